"""Records: one filed for a meeting the reader follows (the "follow this meeting" form), and an
embargo released (announced by the worker once, to the partners who may then open the record)."""

from __future__ import annotations

import sqlalchemy as sa

from secretariat.agenda import services
from secretariat.extensions import db
from secretariat.notify import record_events
from secretariat.notify.models import MeetingFollow
from tests.agenda.helpers import add, make_meeting
from tests.archive.helpers import file_record
from tests.factories import page_text
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of


def follow(app, user, meeting, on=True):
    browser = app.test_client()
    assert browser.login(user.email).status_code == 302
    page = f"/meetings/{meeting.id}"
    response = browser.submit(f"/meetings/{meeting.id}/follow", {"follow": "1" if on else "0"}, page=page)
    assert response.status_code == 302
    return browser


def test_the_meeting_page_offers_to_follow_and_to_stop(app):
    coordinator = reader("coordinator", "EU")
    official = reader("official", "JP")
    meeting = make_meeting(coordinator)
    browser = follow(app, official, meeting)
    body = page_text(browser.get(f"/meetings/{meeting.id}"))
    assert "Stop following this meeting" in body and "You follow this meeting" in body
    assert record_events.follows(official, meeting)
    browser.submit(f"/meetings/{meeting.id}/follow", {"follow": "0"})
    assert "Follow this meeting" in page_text(browser.get(f"/meetings/{meeting.id}"))
    assert not record_events.follows(official, meeting)


def test_a_coordinators_meeting_cannot_be_followed_by_an_official(app):
    coordinator = reader("coordinator", "EU")
    official = reader("official", "JP")
    meeting = make_meeting(coordinator, kind="coordinators", title="Coordinators' meeting on the Summit")
    browser = app.test_client()
    browser.login(official.email)
    response = browser.submit(f"/meetings/{meeting.id}/follow", {"follow": "1"}, page="/meetings")
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingFollow)) == 0


def test_a_record_filed_for_a_followed_meeting_reaches_followers_who_may_open_it(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    follower, other = reader("official", "JP"), reader("official", "FR")
    observer = reader("observer", "DE")
    meeting = make_meeting(coordinator)
    follow(app, follower, meeting)
    follow(app, observer, meeting)
    deliver()
    smtp_server.messages.clear()
    record = file_record(
        coordinator, title="Chair's statement of the SOM", meeting_id=meeting.id, description_source="Secret body"
    )
    file_record(
        coordinator, title="Coordinators' note on the SOM", meeting_id=meeting.id, confidentiality="coordinators"
    )
    deliver()
    subject = f"Filed for {meeting.title}: Chair's statement of the SOM"
    mails = about(smtp_server, subject)
    assert {m["To"] for m in mails} == {follower.email, observer.email}  # not France, which does not follow
    assert other.email not in {m["To"] for m in smtp_server.messages}
    assert not [m for m in smtp_server.messages if "Coordinators' note" in m["Subject"]]  # a level they may not see
    assert "Secret body" not in text_of(mails[0])
    assert link_of(mails[0]) == f"http://localhost/archive/records/{record.id}"
    assert opens(app, follower, link_of(mails[0])) == 200


def test_an_embargoed_record_is_announced_at_its_release_once(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    follower, other = reader("official", "JP"), reader("observer", "FR")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    follow(app, follower, meeting)
    record = file_record(
        coordinator, title="Chair's statement, embargoed", meeting_id=meeting.id, embargo_meeting_id=meeting.id
    )
    assert record_events.announce_releases() == 0
    for status in ("drafting", "circulated", "adopted", "held"):
        services.change_status(meeting, status, actor=coordinator)
    db.session.commit()
    assert record_events.announce_releases() == 0  # under embargo until the meeting closes
    services.change_status(meeting, "closed", actor=coordinator)
    db.session.commit()
    assert record_events.announce_releases() == 1
    assert record_events.announce_releases() == 0  # once
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Released: Chair's statement, embargoed")
    assert {m["To"] for m in mails} == {follower.email, other.email}  # the partners; coordinators saw it already
    assert link_of(mails[0]) == f"http://localhost/archive/records/{record.id}"
    assert opens(app, other, link_of(mails[0])) == 200
    # Not announced to its meeting's follower when it was filed, under embargo; nor the agenda versions
    # the archive filed at the circulation and the adoption (their own mails announced them).
    assert not [m for m in smtp_server.messages if m["Subject"].strip().startswith("Filed for")]
