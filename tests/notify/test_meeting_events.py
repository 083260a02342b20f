"""Minutes adopted, and action points: assigned to a partner with the adoption, due in 7 days, overdue."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from secretariat.agenda import minutes, services
from secretariat.extensions import db
from secretariat.notify import meeting_events, schedule
from secretariat.notify.models import Notification
from tests.agenda.helpers import add, make_meeting
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of


def held_meeting(coordinator, **overrides):
    meeting = make_meeting(coordinator, **overrides)
    add(meeting, coordinator, "Connectivity")
    for status in ("drafting", "circulated", "adopted", "held"):
        services.change_status(meeting, status, actor=coordinator)
    db.session.commit()
    return meeting


def adopt_with_points(meeting, coordinator, points=()):
    minutes.save_minutes(
        meeting, summary="Confidential summary of the talks.", decisions={}, expected_version=0, actor=coordinator
    )
    for text, partner_code, due in points:
        minutes.add_action_point(
            meeting, text=text, partner_code=partner_code, due=due, item_id=None, actor=coordinator
        )
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()


def test_adopted_minutes_reach_whoever_may_see_the_meeting_and_open_for_them(app, smtp_server):
    coordinator = reader("coordinator", partner_code="EU")
    official, observer = reader("official", partner_code="JP"), reader("observer", partner_code="DE")
    reader("admin", partner_code="EU")
    meeting = held_meeting(coordinator)
    adopt_with_points(meeting, coordinator)
    deliver()
    subject = f"Minutes adopted: {meeting.title}"
    mails = about(smtp_server, subject)
    assert {m["To"] for m in mails} == {official.email, observer.email}  # not the coordinator, nor the admin
    message = mails[0]
    assert "Confidential summary" not in text_of(message)  # the title and a link, never the text
    assert link_of(message) == f"http://localhost/meetings/{meeting.id}#minutes"
    assert opens(app, official, link_of(message)) == 200


def test_minutes_of_a_coordinators_meeting_never_reach_an_official(app, smtp_server):
    coordinator = reader("coordinator", partner_code="EU")
    other = reader("coordinator", partner_code="TH")
    reader("official", partner_code="JP")
    reader("observer", partner_code="DE")
    meeting = held_meeting(coordinator, kind="coordinators", title="Coordinators' meeting on the Summit")
    adopt_with_points(meeting, coordinator, [("Draft the Chair's statement", "JP", date(2027, 5, 1))])
    deliver()
    assert {m["To"] for m in smtp_server.messages} <= {coordinator.email, other.email}
    assert {m["To"] for m in about(smtp_server, f"Minutes adopted: {meeting.title}")} == {
        coordinator.email,
        other.email,
    }
    assert not [m for m in smtp_server.messages if "action point" in m["Subject"]]


def test_action_points_are_announced_to_the_officials_of_their_partner_only(app, smtp_server):
    coordinator = reader("coordinator", partner_code="EU")
    vietnam = [reader("official", partner_code="VN"), reader("official", partner_code="VN")]
    reader("observer", partner_code="VN")
    reader("official", partner_code="FR")
    meeting = held_meeting(coordinator)
    adopt_with_points(
        meeting,
        coordinator,
        [("Circulate a concept note", "VN", date(2027, 5, 1)), ("Host a workshop", "VN", date(2027, 4, 1))],
    )
    deliver()
    subject = f"2 action point(s) for Viet Nam: {meeting.title}"
    mails = about(smtp_server, subject)
    assert {m["To"] for m in mails} == {u.email for u in vietnam}  # neither its observer nor France
    assert "The first is due on 2027-04-01." in text_of(mails[0])
    assert link_of(mails[0]) == f"http://localhost/meetings/{meeting.id}#actions"
    assert opens(app, vietnam[0], link_of(mails[0])) == 200


def test_due_and_overdue_reminders_are_sent_once_each(app, smtp_server):
    coordinator = reader("coordinator", partner_code="EU")
    official = reader("official", partner_code="VN")
    reader("official", partner_code="FR")
    today = date(2027, 4, 20)
    meeting = held_meeting(coordinator)
    adopt_with_points(
        meeting,
        coordinator,
        [
            ("Circulate a concept note", "VN", today + timedelta(days=7)),
            ("Later work", "VN", today + timedelta(days=30)),
        ],
    )
    deliver()
    smtp_server.messages.clear()

    assert meeting_events.remind_due(today) == 1  # the point due in a week, not the one due in a month
    assert meeting_events.remind_due(today) == 0  # once
    db.session.commit()
    deliver()
    due = f"Action point due on {(today + timedelta(days=7)).isoformat()}: {meeting.title}"
    assert [m["To"] for m in smtp_server.messages] == [official.email]
    assert about(smtp_server, due) and opens(app, official, link_of(smtp_server.messages[0])) == 200

    later = today + timedelta(days=8)
    assert meeting_events.remind_due(later) == 1 and meeting_events.remind_due(later) == 0
    db.session.commit()
    deliver()
    overdue = f"Action point overdue since {(today + timedelta(days=7)).isoformat()}: {meeting.title}"
    assert [m["To"] for m in about(smtp_server, overdue)] == [official.email]
    rows = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.kind.in_(["action_point_due", "action_point_overdue"])
        )
    )
    assert rows == 2


def test_a_point_marked_done_is_not_reminded(app, smtp_server):
    coordinator = reader("coordinator", partner_code="EU")
    reader("official", partner_code="VN")
    today = date(2027, 4, 20)
    meeting = held_meeting(coordinator)
    adopt_with_points(meeting, coordinator, [("Circulate a concept note", "VN", today + timedelta(days=2))])
    point = minutes.action_points(meeting)[0]
    minutes.mark_done(point, actor=coordinator)
    db.session.commit()
    assert meeting_events.remind_due(today) == 0


def test_the_worker_job_announces_what_is_due(app, runner):
    coordinator = reader("coordinator", partner_code="EU")
    reader("official", partner_code="VN")
    meeting = held_meeting(coordinator)
    adopt_with_points(meeting, coordinator, [("Soon", "VN", date.today() + timedelta(days=3))])
    result = runner.invoke(args=["worker", "--once"])
    assert "1 action point reminder(s), 0 silence reminder(s), 0 embargo release(s) announced." in result.output
    again = runner.invoke(args=["worker", "--once"])
    assert "0 action point reminder(s)" in again.output
    assert schedule.announce_due()["action point reminder(s)"] == 0
