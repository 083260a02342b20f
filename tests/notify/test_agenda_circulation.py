"""Agenda circulated and adopted: who is mailed, what the mail says, the link and the calendar event."""

from __future__ import annotations

import icalendar
import sqlalchemy as sa

from secretariat.agenda import services
from secretariat.extensions import db
from secretariat.notify import delivery
from secretariat.notify.models import Notification
from tests.agenda.helpers import add, make_meeting
from tests.factories import make_user
from tests.notify.conftest import time_passes


def people():
    return {
        "coordinator": make_user("coordinator", partner_code="EU"),
        "official_jp": make_user("official", partner_code="JP"),
        "official_fr": make_user("official", partner_code="FR"),
        "observer": make_user("observer", partner_code="DE"),
        "admin": make_user("admin", partner_code="EU"),
        "inactive": make_user("official", partner_code="IT", active=False),
    }


def circulate(meeting, actor, note=""):
    services.change_status(meeting, "circulated", actor=actor, note=note)
    db.session.commit()
    time_passes()  # agendas come in the daily digest by default: its hour has come


def event_of(message) -> icalendar.cal.Component:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(parts[0].get_content())
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    return event


def test_circulation_mails_every_official_and_observer_with_link_and_event(app, smtp_server):
    who = people()
    coordinator = who["coordinator"]
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening of the meeting")
    services.change_status(meeting, "drafting", actor=coordinator)
    circulate(meeting, coordinator, note="Please send comments by Friday.")

    assert delivery.deliver_due() == 3
    partners = {who[k].email for k in ("official_jp", "official_fr", "observer")}
    assert smtp_server.recipients() == partners  # not the coordinator, the admin, nor an inactive account
    message = smtp_server.to(who["official_fr"].email)[0]
    assert message["Subject"] == f"Agenda v1 circulated: {meeting.title}"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"].endswith("@localhost>")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Please send comments by Friday." in text and "Please send comments by Friday." in html
    assert "http://localhost/account" in text  # the preferences
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Read the agenda: "))
    assert link == f"http://localhost/meetings/{meeting.id}"

    reader = app.test_client()
    reader.login(who["official_fr"].email)
    page = reader.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200 and "Opening of the meeting" in page.get_data(as_text=True)

    first = event_of(message)
    add(meeting, coordinator, "Connectivity")
    circulate(meeting, coordinator)
    assert delivery.deliver_due() == 3
    second_mail = smtp_server.to(who["official_fr"].email)[1]
    assert second_mail["Subject"] == f"Agenda v2 circulated: {meeting.title}"
    assert second_mail["Message-ID"] != message["Message-ID"]
    second_text = second_mail.get_body(("plain",)).get_content()
    assert "Since v1: 1 added, 0 removed" in second_text
    assert f"http://localhost/meetings/{meeting.id}/compare?from=v1&to=v2" in second_text
    second = event_of(second_mail)
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])

    services.change_status(meeting, "adopted", actor=coordinator)
    db.session.commit()
    time_passes()
    assert delivery.deliver_due() == 3
    adopted = smtp_server.to(who["observer"].email)[-1]
    assert adopted["Subject"] == f"Agenda v3 adopted: {meeting.title}"
    assert int(event_of(adopted)["SEQUENCE"]) > int(second["SEQUENCE"])


def test_a_coordinators_meeting_reaches_coordinators_only(app, smtp_server):
    who = people()
    other_coordinator = make_user("coordinator", partner_code="TH")
    coordinator = who["coordinator"]
    meeting = make_meeting(coordinator, kind="coordinators", title="Coordinators' meeting on the Summit")
    add(meeting, coordinator, "Summit logistics")
    services.change_status(meeting, "drafting", actor=coordinator)
    circulate(meeting, coordinator)
    delivery.deliver_due()
    assert smtp_server.recipients() == {coordinator.email, other_coordinator.email}


def test_rows_are_written_in_the_transaction_of_the_change(app):
    who = people()
    coordinator = who["coordinator"]
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    services.change_status(meeting, "drafting", actor=coordinator)
    db.session.commit()
    services.change_status(meeting, "circulated", actor=coordinator)
    db.session.rollback()  # the change is abandoned: so are its mails
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    circulate(meeting, coordinator)
    rows = db.session.scalars(sa.select(Notification)).all()
    assert len(rows) == 3 and len({row.message_id for row in rows}) == 3
    assert {row.state for row in rows} == {"queued"}
