"""Line breaks and control characters in a meeting's texts never break its calendar answers.

A CR LF in a meeting title made that meeting's .ics answer 500 (the calendar's name was written raw).
Every text that reaches an event (title, city, chair, and the texts beside them) is tried with every
kind of line break and other control characters, in the per-meeting download and in the feed.
"""

from __future__ import annotations

import re
import unicodedata

import icalendar
import pytest

from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text

#: line breaks of every kind, then other control characters (NUL is refused at the door, and
#: PostgreSQL stores none: it cannot reach a meeting)
BREAKS = {"CR": "\r", "LF": "\n", "CRLF": "\r\n", "VT": "\x0b", "FF": "\x0c", "NEL": "\x85", "LS": "\u2028"}
CONTROLS = {"BEL": "\x07", "BS": "\x08", "ESC": "\x1b", "US": "\x1f", "DEL": "\x7f", "CSI": "\x9b"}
FIELDS = ("title", "city", "chair", "theme", "description_source")


def _calendars(client, meeting_id: int):
    """The meeting's own download and the personal feed, as the official sees them."""
    page = page_text(client.submit("/meetings/calendar", {"action": "create"}))
    feed = re.search(r'value="[^"]*(/meetings/feed/[^"]+\.ics)"', page).group(1)
    return {"download": client.get(f"/meetings/{meeting_id}/calendar.ics"), "feed": client.get(feed)}


def _only_allowed_characters(body: bytes) -> None:
    """No control character but the CR LF that ends (and folds) lines; no line separator either."""
    text = body.decode("utf-8").replace("\r\n", "")
    odd = [ch for ch in text if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} and ch != "\t"]
    assert odd == []


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", [*BREAKS, *CONTROLS])
def test_a_control_character_in_a_meeting_text_keeps_its_calendars_whole(client, field, name):
    coordinator = make_user("coordinator", partner_code="EU")
    character = {**BREAKS, **CONTROLS}[name]
    meeting = make_meeting(coordinator, **{field: f"Before{character}After"})
    client.login(make_user("official").email)
    for kind, response in _calendars(client, meeting.id).items():
        assert response.status_code == 200, (kind, response.status_code)
        _only_allowed_characters(response.data)
        (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
        texts = {"title": "SUMMARY", "city": "LOCATION", "chair": "DESCRIPTION"}
        if field in texts:
            expected = "Before\nAfter" if name in BREAKS else "BeforeAfter"
            assert expected in str(event[texts[field]]), (kind, str(event[texts[field]]))


def test_a_title_on_several_lines_names_the_downloaded_calendar_on_one(client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title="SOM\r\nX-INJECTED:yes\rBrussels\n")
    client.login(make_user("official").email)
    response = client.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "SOM X-INJECTED:yes Brussels"
    assert "X-INJECTED" not in calendar  # the title did not become a property of its own
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "SOM\nX-INJECTED:yes\nBrussels"
    assert "X-INJECTED" not in event
