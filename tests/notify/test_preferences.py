"""Preferences on the account page: at once, daily digest at the person's hour, or off; silence and
account mails always at once."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa

from secretariat import mail
from secretariat.agenda import services
from secretariat.extensions import db
from secretariat.notify import delivery, preferences
from secretariat.notify.models import Category, Delivery, Notification
from secretariat.timeutil import utcnow
from tests.agenda.helpers import add, make_meeting
from tests.factories import make_user, page_text
from tests.notify.conftest import time_passes


def circulate():
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    services.change_status(meeting, "drafting", actor=coordinator)
    services.change_status(meeting, "circulated", actor=coordinator)
    db.session.commit()


def row_of(user) -> Notification | None:
    return db.session.scalar(sa.select(Notification).where(Notification.user_id == user.id))


def test_by_default_an_agenda_waits_for_the_digest_hour_in_the_partners_time_zone(app):
    official = make_user("official", partner_code="JP")
    before = utcnow()
    circulate()
    row = row_of(official)
    assert row.for_digest and row.state == "queued"
    local = row.next_attempt_at.astimezone(ZoneInfo(official.partner.time_zone))
    assert (local.hour, local.minute) == (7, 0)
    assert before < row.next_attempt_at <= before + timedelta(hours=24)


def test_a_person_chooses_on_the_account_page(app, client):
    official = make_user("official", partner_code="FR")
    client.login(official.email)
    page = page_text(client.get("/account"))
    assert "Save mail preferences" in page and "Silence procedures are always mailed at once" in page
    choices = {category.value: "digest" for category in preferences.CHOOSABLE}
    response = client.submit(
        "/account/notifications", {**choices, "agenda": "off", "digest_hour": "9"}, page="/account"
    )
    assert response.status_code == 302
    saved = preferences.of_user(official)
    assert preferences.delivery(saved, Category.AGENDA) is Delivery.OFF and saved.digest_hour == 9
    page = client.get("/account").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="agenda".*?<option selected value="off">', page, re.S)
    circulate()
    assert row_of(official) is None  # off: no mail


def test_immediate_is_due_at_once(app):
    official = make_user("official", partner_code="IN")
    preferences.save(official, {Category.AGENDA: Delivery.IMMEDIATE}, 7)
    db.session.commit()
    circulate()
    row = row_of(official)
    assert not row.for_digest and row.next_attempt_at <= utcnow()


def test_silence_and_account_mails_cannot_be_switched_off_or_delayed(app):
    official = make_user("official", partner_code="TH")
    saved = preferences.save(official, {Category.SILENCE: Delivery.OFF, Category.ACCOUNT: Delivery.DIGEST}, 7)
    assert preferences.delivery(saved, Category.SILENCE) is Delivery.IMMEDIATE
    assert preferences.delivery(saved, Category.ACCOUNT) is Delivery.IMMEDIATE
    assert preferences.delivery(None, Category.ACTION_POINTS) is Delivery.IMMEDIATE  # the defaults
    assert preferences.delivery(None, Category.MINUTES) is Delivery.DIGEST


def test_a_persons_digest_gathers_the_days_mails_into_one(app, smtp_server):
    official = make_user("official", partner_code="JP")
    circulate()
    circulate()  # a second meeting's agenda
    assert delivery.deliver_due() == 0  # both wait for 07:00 in Tokyo
    time_passes()
    # The worker dies after sending the digest, before marking it: sent again, as the same mail.
    claimed = delivery.claim_due(10)
    with mail.connection() as send:
        send(delivery.render(claimed))
    db.session.rollback()
    delivery.recover_abandoned(now=utcnow() + delivery.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert delivery.deliver_due() == 2
    first, again = smtp_server.to(official.email)
    assert first["Message-ID"] == again["Message-ID"]
    assert again["Subject"] == "Your daily digest: 2 updates"
    text = again.get_body(("plain",)).get_content()
    assert text.count("Agenda v1 circulated: Senior Officials' Meeting, Brussels") == 2
    events = [p for p in again.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len({icalendar.Calendar.from_ical(p.get_content()).walk("VEVENT")[0]["UID"] for p in events}) == 2
