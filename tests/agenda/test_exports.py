"""Exports: iCalendar per meeting and personal feeds, CSV of the meeting list, print views."""

import csv
import io
import re

import icalendar
import pytest

from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def feed_url(client) -> str:
    page = page_text(client.submit("/meetings/calendar", {"action": "create"}))
    return re.search(r'value="http://localhost(/meetings/feed/[^"]+\.ics)"', page).group(1)


def summaries(body: bytes) -> set[str]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(event["SUMMARY"]) for event in cal.walk("VEVENT")}


def test_meeting_ics_is_valid_rfc5545(client, login_as, coordinator):
    meeting = make_meeting(coordinator, title="ASEM SOM Phnom Penh", host="KH")
    login_as("observer")
    response = client.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(response.data)
    assert cal["VERSION"] == "2.0" and "PRODID" in cal
    event = cal.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "ASEM SOM Phnom Penh"
    assert event["DTSTART"].dt.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Asia/Phnom_Penh"
    assert cal.walk("VTIMEZONE")


def test_personal_feed_lists_only_visible_meetings(app, client, coordinator):
    make_meeting(coordinator, title="Open SOM")
    make_meeting(coordinator, title="Coordinators' retreat", kind="coordinators")
    official = make_user("official", partner_code="PH")
    client.login(official.email)
    url = feed_url(client)
    client.logout()
    anonymous = app.test_client()
    response = anonymous.get(url)  # calendar applications do not sign in: the token is the key
    assert response.status_code == 200
    assert summaries(response.data) == {"Open SOM"}
    coord_client = app.test_client()
    coord_client.login(coordinator.email)
    assert summaries(anonymous.get(feed_url(coord_client)).data) == {"Open SOM", "Coordinators' retreat"}


def test_revoked_or_replaced_feed_token_is_refused(app, client):
    client.login(make_user("official").email)
    first = feed_url(client)
    second = feed_url(client)
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    client.submit("/meetings/calendar", {"action": "revoke"})
    assert anonymous.get(second).status_code == 404


def test_feed_of_deactivated_user_is_refused(app, client):
    user = make_user("official")
    client.login(user.email)
    url = feed_url(client)
    user.is_active_account = False
    db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_feed_token_is_stored_hashed(client):
    from secretariat.agenda.models import CalendarFeed

    client.login(make_user("official").email)
    token = feed_url(client).rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(db.select(CalendarFeed.token_hash))
    assert token not in stored and len(stored) == 64


def test_csv_export_follows_filters_and_defuses_formulas(client, login_as, coordinator):
    make_meeting(coordinator, title='=HYPERLINK("http://evil")', host="FR")
    make_meeting(coordinator, title="Plain meeting", host="DE")
    login_as("observer")
    response = client.get("/meetings/export.csv?host=FR")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["code", "title"]
    assert len(rows) == 2
    assert rows[1][1].startswith("'=")


def test_print_views(client, login_as, coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated")
    login_as("official")
    body = page_text(client.get(f"/meetings/{meeting.id}/print"))
    assert "Opening" in body and "Version v1" in body and "print.css" in body
