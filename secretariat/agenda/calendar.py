"""Meetings as iCalendar (RFC 5545) documents, for the per-meeting download and the personal feeds.

Pure: the caller turns its meetings into :class:`CalendarMeeting` values (plain data, no database
or request access here) and gets back the bytes of one VCALENDAR. Meetings without a start time
become all-day events (DTEND exclusive, so the day after the last day); timed meetings are given
in the venue's IANA zone, with a VTIMEZONE for every zone used so any client can place them.

Every text that goes into the document passes through :func:`ical_text` (or :func:`ical_line`):
line breaks of any kind become the "\\n" escape, other control characters are dropped (RFC 5545
section 3.3.11 allows none in TEXT), so a title typed with a CR LF cannot break the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event

PRODID = "-//ASEM Virtual Secretariat//Meetings//EN"

#: our meeting status -> iCalendar STATUS (RFC 5545 section 3.8.1.11)
STATUS_MAP = {
    "planned": "TENTATIVE",
    "drafting": "TENTATIVE",
    "circulated": "TENTATIVE",
    "adopted": "CONFIRMED",
    "held": "CONFIRMED",
    "closed": "CONFIRMED",
}

#: end of a multi-day timed meeting whose closing time is unknown (local time on the last day)
DEFAULT_END_OF_DAY = time(18, 0)
#: length of a one-day timed meeting whose closing time is unknown
DEFAULT_DURATION = timedelta(hours=2)
#: the VTIMEZONE definitions cover this much before the first and after the last meeting
_ZONE_MARGIN = timedelta(days=366)


@dataclass(frozen=True)
class CalendarMeeting:
    uid: str  # stable, e.g. "meeting-42@asem-secretariat" (the caller builds it)
    title: str
    start_date: date
    end_date: date  # inclusive last day
    start_time: time | None  # local time at the venue on the first day, if known
    end_time: time | None  # local time on the last day, if known
    time_zone: str  # IANA zone of the venue, e.g. "Asia/Phnom_Penh"
    location: str | None
    description: str  # plain text
    url: str | None
    status: str  # planned/drafting/circulated/adopted/held/closed
    last_modified: datetime  # aware UTC
    sequence: int  # increases when the meeting changes


#: control characters left once line breaks are normalised: all C0 but HTAB and LF, DEL, all C1
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def ical_text(value: str | None) -> str:
    """Text fit for a TEXT value: CR LF, CR, NEL, LS, PS and the like become LF, other controls go."""
    # str.splitlines() knows every line boundary: \r\n, \r, \n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029
    return _CONTROLS.sub("", "\n".join((value or "").splitlines()))


def ical_line(value: str | None) -> str:
    """Text on one line (a calendar's name, a UID, a URL): line breaks become spaces."""
    return " ".join(ical_text(value).split("\n")).strip()


def ical_status(status: str) -> str:
    """The iCalendar STATUS for one of our meeting statuses (TENTATIVE until adopted)."""
    return STATUS_MAP.get(status, "TENTATIVE")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _as_utc(value: datetime) -> datetime:
    # naive values (e.g. from SQLite) are taken to be UTC already
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def event_bounds(meeting: CalendarMeeting) -> tuple[date, date] | tuple[datetime, datetime]:
    """DTSTART and (exclusive) DTEND: dates for an all-day meeting, aware venue-zone datetimes otherwise."""
    last_day = max(meeting.end_date, meeting.start_date)
    if meeting.start_time is None:
        return meeting.start_date, last_day + timedelta(days=1)
    zone = _zone(meeting.time_zone)
    start = datetime.combine(meeting.start_date, meeting.start_time, tzinfo=zone)
    if meeting.end_time is not None:
        end = datetime.combine(last_day, meeting.end_time, tzinfo=zone)
    elif last_day > meeting.start_date:
        end = datetime.combine(last_day, DEFAULT_END_OF_DAY, tzinfo=zone)
    else:
        end = None
    if end is None or end.astimezone(UTC) <= start.astimezone(UTC):
        # unknown (or inconsistent) closing time: a fixed duration, computed on the real timeline
        end = (start.astimezone(UTC) + DEFAULT_DURATION).astimezone(zone)
    return start, end


def _event(meeting: CalendarMeeting, stamp: datetime) -> Event:
    start, end = event_bounds(meeting)
    event = Event()
    event.add("uid", ical_line(meeting.uid))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", ical_text(meeting.title))
    if meeting.location:
        event.add("location", ical_text(meeting.location))
    event.add("description", ical_text(meeting.description))
    if meeting.url:
        event.add("url", ical_line(meeting.url))
    event.add("last-modified", _as_utc(meeting.last_modified))
    event.add("sequence", meeting.sequence)
    event.add("status", ical_status(meeting.status))
    return event


def meetings_to_ics(meetings: Iterable[CalendarMeeting], *, calendar_name: str, now: datetime) -> bytes:
    """One VCALENDAR (METHOD:PUBLISH) with a VEVENT per meeting and the VTIMEZONEs they need."""
    items = list(meetings)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # written as given (an X- property, which clients read raw): on one line, or the document breaks
    cal.add("x-wr-calname", ical_line(calendar_name))
    stamp = _as_utc(now)
    for meeting in items:
        cal.add_component(_event(meeting, stamp))
    timed = [m for m in items if m.start_time is not None]
    if timed:
        first = min(m.start_date for m in timed) - _ZONE_MARGIN
        last = max(max(m.end_date, m.start_date) for m in timed) + _ZONE_MARGIN
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
