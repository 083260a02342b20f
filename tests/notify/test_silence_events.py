"""Silence procedures: opened (deadline in the reader's time zone and in UTC), reminders 48 h and 24 h
before the deadline to the partners that have not answered, silence broken, the outcome."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from secretariat.extensions import db
from secretariat.notify import preferences, silence_events
from secretariat.notify.models import Category, Delivery
from secretariat.programme import silence
from secretariat.timeutil import as_utc, utcnow
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of


def open_procedure(coordinator, hours=72):
    deadline_local = (utcnow() + timedelta(hours=hours)).astimezone(ZoneInfo("Europe/Brussels"))
    procedure = silence.start(
        subject="Endorse the ASEM Pathfinder Group",
        text="The confidential text under silence.",
        deadline_local=deadline_local.replace(tzinfo=None, second=0, microsecond=0),
        zone="Europe/Brussels",
        initiative=None,
        proposed_status=None,
        actor=coordinator,
    )
    db.session.commit()
    return procedure


def people():
    return {
        "coordinator": reader("coordinator", "EU"),
        "japan": reader("official", "JP"),
        "france": reader("official", "FR"),
        "observer": reader("observer", "DE"),
        "admin": reader("admin", "EU"),
    }


def test_an_opened_procedure_reaches_every_partners_officials_with_the_deadline_in_two_zones(app, smtp_server):
    who = people()
    # Silence cannot be switched off: a person who chose "off" for everything is told all the same.
    preferences.save(who["france"], {category: Delivery.OFF for category in preferences.CHOOSABLE}, 7)
    assert Category.SILENCE not in preferences.CHOOSABLE
    procedure = open_procedure(who["coordinator"])
    deliver()
    mails = about(smtp_server, "Silence procedure opened: Endorse the ASEM Pathfinder Group")
    assert {m["To"] for m in mails} == {who["japan"].email, who["france"].email}
    japan = next(m for m in mails if m["To"] == who["japan"].email)
    text, html = text_of(japan), japan.get_body(("html",)).get_content()
    deadline = as_utc(procedure.deadline)
    tokyo = deadline.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%A %-d %B %Y, %H:%M")
    utc = deadline.strftime("%A %-d %B %Y, %H:%M UTC")
    assert f"Deadline: {tokyo} (Asia/Tokyo)" in text and utc in text
    assert tokyo in html and utc in html
    paris = deadline.astimezone(ZoneInfo("Europe/Paris")).strftime("%A %-d %B %Y, %H:%M")
    assert f"Deadline: {paris} (Europe/Paris)" in text_of(next(m for m in mails if m["To"] == who["france"].email))
    assert "confidential text" not in text
    assert link_of(japan) == f"http://localhost/programme/silence/{procedure.id}"
    assert opens(app, who["japan"], link_of(japan)) == 200


def test_reminders_48_and_24_hours_before_go_once_to_partners_that_have_not_answered(app, smtp_server):
    who = people()
    vietnam = reader("official", "VN")
    procedure = open_procedure(who["coordinator"])
    silence.take_position(procedure, "agreed", "", actor=who["france"])
    db.session.commit()
    deliver()
    smtp_server.messages.clear()
    deadline = as_utc(procedure.deadline)

    assert silence_events.remind(deadline - timedelta(hours=49)) == 0  # not yet
    assert silence_events.remind(deadline - timedelta(hours=47)) == 1
    assert silence_events.remind(deadline - timedelta(hours=46)) == 0  # once
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Silence ends in 48 hours: Endorse the ASEM Pathfinder Group")
    assert {m["To"] for m in mails} == {who["japan"].email, vietnam.email}  # France has answered
    assert "(Asia/Ho_Chi_Minh)" in text_of(next(m for m in mails if m["To"] == vietnam.email))
    assert opens(app, vietnam, link_of(mails[0])) == 200

    silence.take_position(procedure, "agreed", "", actor=vietnam)
    db.session.commit()
    assert silence_events.remind(deadline - timedelta(hours=23)) == 1
    assert silence_events.remind(deadline - timedelta(hours=1)) == 0
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Silence ends in 24 hours: Endorse the ASEM Pathfinder Group")
    assert [m["To"] for m in mails] == [who["japan"].email]


def test_a_procedure_opened_for_less_than_48_hours_has_only_its_24_hour_reminder(app):
    who = people()
    procedure = open_procedure(who["coordinator"], hours=30)
    deadline = as_utc(procedure.deadline)
    assert silence_events.remind(deadline - timedelta(hours=29)) == 0
    assert silence_events.remind(deadline - timedelta(hours=23)) == 1


def test_silence_broken_reaches_coordinators_and_every_partner(app, smtp_server):
    who = people()
    procedure = open_procedure(who["coordinator"])
    silence.take_position(procedure, "broke_silence", "We cannot agree to paragraph 2.", actor=who["japan"])
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Silence broken by Japan: Endorse the ASEM Pathfinder Group")
    assert {m["To"] for m in mails} == {who["coordinator"].email, who["japan"].email, who["france"].email}
    assert opens(app, who["france"], link_of(mails[0])) == 200
    assert opens(app, who["coordinator"], link_of(mails[0])) == 200


def test_the_outcome_reaches_coordinators_and_every_partner(app, smtp_server):
    who = people()
    procedure = open_procedure(who["coordinator"])
    silence.settle_due(now=procedure.deadline)
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Silence procedure adopted: Endorse the ASEM Pathfinder Group")
    assert {m["To"] for m in mails} == {who["coordinator"].email, who["japan"].email, who["france"].email}
    assert "without objection" in text_of(mails[0])
    assert opens(app, who["japan"], link_of(mails[0])) == 200
