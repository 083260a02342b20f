"""The iCalendar export: RFC 5545 structure, all-day and timed events, zones, escaping, folding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from secretariat.agenda.calendar import CalendarMeeting, event_bounds, ical_status, meetings_to_ics

NOW = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


def _meeting(**overrides) -> CalendarMeeting:
    values = {
        "uid": "meeting-42@asem-secretariat",
        "title": "13th ASEM Summit (ASEM13)",
        "start_date": date(2026, 11, 12),
        "end_date": date(2026, 11, 13),
        "start_time": None,
        "end_time": None,
        "time_zone": "Asia/Phnom_Penh",
        "location": "Phnom Penh, Cambodia",
        "description": "Summit. Status: Planned.\nhttps://secretariat.example/meetings/42",
        "url": "https://secretariat.example/meetings/42",
        "status": "planned",
        "last_modified": datetime(2026, 4, 1, 12, 0, tzinfo=UTC),
        "sequence": 3,
    }
    values.update(overrides)
    return CalendarMeeting(**values)


def _parse(*meetings: CalendarMeeting, name: str = "ASEM meetings") -> Calendar:
    return Calendar.from_ical(meetings_to_ics(meetings, calendar_name=name, now=NOW))


def _events(cal: Calendar) -> list:
    return cal.walk("VEVENT")


def test_calendar_properties_required_by_rfc5545():
    cal = _parse(_meeting(), name="ASEM meetings")
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//ASEM Virtual Secretariat//Meetings//EN"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "ASEM meetings"


def test_event_properties():
    (event,) = _events(_parse(_meeting()))
    assert str(event["UID"]) == "meeting-42@asem-secretariat"
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["SUMMARY"]) == "13th ASEM Summit (ASEM13)"
    assert str(event["LOCATION"]) == "Phnom Penh, Cambodia"
    assert str(event["DESCRIPTION"]) == "Summit. Status: Planned.\nhttps://secretariat.example/meetings/42"
    assert str(event["URL"]) == "https://secretariat.example/meetings/42"
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 3


def test_optional_location_and_url_are_left_out():
    (event,) = _events(_parse(_meeting(location=None, url=None)))
    assert "LOCATION" not in event
    assert "URL" not in event
    assert "UID" in event and "DTSTAMP" in event


def test_all_day_event_has_exclusive_dtend():
    raw = meetings_to_ics([_meeting()], calendar_name="x", now=NOW)
    assert b"DTSTART;VALUE=DATE:20261112\r\n" in raw
    assert b"DTEND;VALUE=DATE:20261114\r\n" in raw  # the day after the last day
    (event,) = _events(Calendar.from_ical(raw))
    assert event.decoded("DTSTART") == date(2026, 11, 12)
    assert event.decoded("DTEND") == date(2026, 11, 14)
    assert b"VTIMEZONE" not in raw  # dates carry no zone


def test_one_day_all_day_event_lasts_one_day():
    (event,) = _events(_parse(_meeting(end_date=date(2026, 11, 12))))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)


def test_timed_event_keeps_venue_zone_and_utc_instant():
    meeting = _meeting(start_time=time(9, 0), end_time=time(17, 30))
    raw = meetings_to_ics([meeting], calendar_name="x", now=NOW)
    assert b"DTSTART;TZID=Asia/Phnom_Penh:20261112T090000\r\n" in raw
    (event,) = _events(Calendar.from_ical(raw))
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Asia/Phnom_Penh"
    assert start.astimezone(UTC) == datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 13, 10, 30, tzinfo=UTC)


def test_timed_event_default_end():
    multi_day = _meeting(start_time=time(9, 0))
    assert event_bounds(multi_day)[1] == datetime(2026, 11, 13, 18, 0, tzinfo=ZoneInfo("Asia/Phnom_Penh"))
    one_day = _meeting(start_time=time(9, 0), end_date=date(2026, 11, 12))
    (event,) = _events(_parse(one_day))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    assert event["DTEND"].params["TZID"] == "Asia/Phnom_Penh"


def test_end_before_start_on_one_day_falls_back_to_two_hours():
    start, end = event_bounds(_meeting(start_time=time(15, 0), end_time=time(9, 0), end_date=date(2026, 11, 12)))
    assert end - start == timedelta(hours=2)


def test_vtimezone_for_every_tzid_used():
    meetings = [
        _meeting(uid="a@asem", start_time=time(9, 0)),
        _meeting(uid="b@asem", start_time=time(10, 0), time_zone="Europe/Brussels"),
        _meeting(uid="c@asem", start_time=time(10, 0), time_zone="Europe/Brussels"),
        _meeting(uid="d@asem"),  # all-day: no zone
    ]
    cal = _parse(*meetings)
    used = {event["DTSTART"].params["TZID"] for event in _events(cal) if "TZID" in event["DTSTART"].params}
    assert used == {"Asia/Phnom_Penh", "Europe/Brussels"}
    defined = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert sorted(defined) == ["Asia/Phnom_Penh", "Europe/Brussels"]  # one each, no duplicates
    assert cal.get_missing_tzids() == set()


def test_vtimezone_precedes_events():
    raw = meetings_to_ics([_meeting(start_time=time(9, 0))], calendar_name="x", now=NOW)
    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")


def test_utc_venue_uses_z_times_without_vtimezone():
    raw = meetings_to_ics([_meeting(start_time=time(9, 0), time_zone="UTC")], calendar_name="x", now=NOW)
    assert b"DTSTART:20261112T090000Z\r\n" in raw
    assert b"VTIMEZONE" not in raw


def test_unknown_time_zone_is_an_error():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        meetings_to_ics([_meeting(start_time=time(9, 0), time_zone="Mars/Olympus")], calendar_name="x", now=NOW)


def test_lines_folded_at_75_octets_with_crlf():
    long_text = "Ministerial consultations on connectivity, Hà Nội – Улаанбаатар. " * 10
    raw = meetings_to_ics([_meeting(description=long_text, title=long_text)], calendar_name="x", now=NOW)
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)  # every line ends with CRLF
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    for line in lines:
        line.decode("utf-8")  # folds never split a multi-byte character
    (event,) = _events(Calendar.from_ical(raw))
    assert str(event["DESCRIPTION"]) == long_text


def test_special_characters_round_trip():
    text = "Hà Nội; Ulaanbaatar, Монгол\nSecond line: back\\slash"
    meeting = _meeting(title=text, location=text, description=text)
    raw = meetings_to_ics([meeting], calendar_name="Calendrier; ASEM, été", now=NOW)
    assert "LOCATION:Hà Nội\\; Ulaanbaatar\\, Монгол\\n".encode() in raw
    cal = Calendar.from_ical(raw)
    (event,) = _events(cal)
    assert str(event["SUMMARY"]) == text
    assert str(event["LOCATION"]) == text
    assert str(event["DESCRIPTION"]) == text
    assert str(cal["X-WR-CALNAME"]) == "Calendrier; ASEM, été"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("planned", "TENTATIVE"),
        ("drafting", "TENTATIVE"),
        ("circulated", "TENTATIVE"),
        ("adopted", "CONFIRMED"),
        ("held", "CONFIRMED"),
        ("closed", "CONFIRMED"),
    ],
)
def test_status_mapping(status, expected):
    assert ical_status(status) == expected
    (event,) = _events(_parse(_meeting(status=status)))
    assert str(event["STATUS"]) == expected


def test_empty_calendar_is_valid():
    raw = meetings_to_ics([], calendar_name="ASEM meetings", now=NOW)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    cal = Calendar.from_ical(raw)
    assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
    assert _events(cal) == []


def test_accepts_a_generator():
    meetings = (_meeting(uid=f"meeting-{i}@asem-secretariat", start_time=time(9, 0)) for i in range(2))
    cal = Calendar.from_ical(meetings_to_ics(meetings, calendar_name="x", now=NOW))
    assert len(_events(cal)) == 2 and len(cal.walk("VTIMEZONE")) == 1


def test_multiple_meetings_have_unique_uids():
    meetings = [_meeting(uid=f"meeting-{i}@asem-secretariat", title=f"Meeting {i}") for i in range(5)]
    events = _events(_parse(*meetings))
    uids = [str(event["UID"]) for event in events]
    assert len(uids) == 5 and len(set(uids)) == 5
    assert all("DTSTAMP" in event and "DTSTART" in event for event in events)


def test_dtstamp_and_last_modified_are_utc():
    paris_now = datetime(2026, 5, 4, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    raw = meetings_to_ics([_meeting()], calendar_name="x", now=paris_now)
    assert b"DTSTAMP:20260504T083000Z\r\n" in raw
    assert b"LAST-MODIFIED:20260401T120000Z\r\n" in raw


def test_meeting_across_dst_change_gives_right_utc_instants():
    # Brussels leaves summer time (CEST, +02:00) for CET (+01:00) on 25 October 2026
    meeting = replace(
        _meeting(),
        start_date=date(2026, 10, 24),
        end_date=date(2026, 10, 26),
        start_time=time(9, 0),
        end_time=time(17, 0),
        time_zone="Europe/Brussels",
        location="Brussels, Belgium",
    )
    cal = _parse(meeting)
    (event,) = _events(cal)
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2026, 10, 26, 16, 0, tzinfo=UTC)
    # the generated VTIMEZONE itself knows about the change
    (vtimezone,) = cal.walk("VTIMEZONE")
    zone = vtimezone.to_tz()
    assert datetime(2026, 10, 24, 9, 0, tzinfo=zone).utcoffset() == timedelta(hours=2)
    assert datetime(2026, 10, 26, 17, 0, tzinfo=zone).utcoffset() == timedelta(hours=1)
