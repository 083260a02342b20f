"""The worker's delivery: TLS that verifies, a server down then up, a crash between send and mark,
and the administrator's view of the queue."""

from __future__ import annotations

import ssl
import time
from datetime import timedelta

import sqlalchemy as sa

from secretariat import mail
from secretariat.agenda import services
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.notify import delivery
from secretariat.notify.models import Notification
from secretariat.timeutil import utcnow
from tests.agenda.helpers import add, make_meeting
from tests.factories import make_user
from tests.notify.conftest import (
    Mailbox,
    aiosmtpd_controller,
    free_port,
    point_mail_at,
    start_server,
    time_passes,
    trustme,
)


def queue_circulation(readers: int = 2):
    coordinator = make_user("coordinator", partner_code="EU")
    users = [make_user("official", partner_code=code) for code in ("JP", "FR", "DE", "IN")[:readers]]
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    services.change_status(meeting, "drafting", actor=coordinator)
    services.change_status(meeting, "circulated", actor=coordinator)
    db.session.commit()
    time_passes()  # agendas come in the daily digest by default: its hour has come
    return users


def rows() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_a_server_whose_certificate_is_not_trusted_is_refused(app, ca_file, monkeypatch):
    stranger = trustme.CA()  # a certificate our CA did not issue, for the right host name
    controller, mailbox = start_server(stranger)
    point_mail_at(app, monkeypatch, controller.port, ca_file)
    try:
        queue_circulation()
        assert delivery.deliver_due() == 0
    finally:
        controller.stop()
    assert mailbox.messages == []
    for row in rows():
        assert row.state == "queued" and row.attempts == 1
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error or "certificate verify failed" in row.last_error
        assert row.next_attempt_at > utcnow()


def test_mail_waits_while_the_server_is_down_and_goes_when_it_is_back(app, client, mail_ca, ca_file, monkeypatch):
    port = free_port()
    point_mail_at(app, monkeypatch, port, ca_file)
    users = queue_circulation()
    assert delivery.deliver_due() == 0
    assert delivery.deliver_due() == 0  # not due again before its delay
    first_errors = rows()
    assert {row.state for row in first_errors} == {"queued"}
    assert all("Connection refused" in row.last_error or "Errno" in row.last_error for row in first_errors)

    admin = make_user("admin", partner_code="EU")
    client.login(admin.email)
    page = client.get("/admin/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<dd id="mail-waiting">2</dd>' in html and "Connection refused" in html
    assert users[0].email in html

    controller, mailbox = start_server(mail_ca, port)
    try:
        time_passes()
        assert delivery.deliver_due() == 2
    finally:
        controller.stop()
    assert mailbox.recipients() == {user.email for user in users}
    assert {(row.state, row.attempts) for row in rows()} == {("sent", 2)}
    assert '<dd id="mail-waiting">0</dd>' in client.get("/admin/mail").get_data(as_text=True)


def test_mail_held_for_a_digest_is_not_counted_as_a_delivery_problem(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    make_user("official", partner_code="JP")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    services.change_status(meeting, "drafting", actor=coordinator)
    services.change_status(meeting, "circulated", actor=coordinator)
    db.session.commit()
    client.login(make_user("admin", partner_code="EU").email)
    html = client.get("/admin/mail").get_data(as_text=True)
    assert '<dd id="mail-waiting">0</dd>' in html and '<dd id="mail-digest">1</dd>' in html


def test_retry_delays_grow_and_end(app):
    delays = [delivery.retry_delay(n) for n in range(1, 14)]
    assert delays == sorted(delays) and delays[0] == timedelta(minutes=1) and delays[-1] == timedelta(hours=24)


def test_a_worker_dying_between_send_and_mark_resends_with_the_same_message_id(app, smtp_server):
    queue_circulation(readers=1)
    # The worker claims the row and sends the mail, then dies before marking it sent.
    (claimed,) = delivery.claim_due(10)
    with mail.connection() as send:
        send(delivery.render([claimed]))
    db.session.rollback()
    assert len(smtp_server.messages) == 1
    # A worker started at once leaves the claim alone: the first may still be marking it.
    assert delivery.deliver_due() == 0
    # Once the claim is old, the row is sent again with the Message-ID the reader already has.
    assert delivery.recover_abandoned(now=utcnow() + delivery.CLAIM_TIMEOUT + timedelta(seconds=1)) == 1
    assert delivery.deliver_due() == 1
    first, again = smtp_server.messages
    assert first["Message-ID"] == again["Message-ID"] == rows()[0].message_id
    assert rows()[0].state == "sent"
    assert delivery.deliver_due() == 0  # marked: never sent a third time
    assert len(smtp_server.messages) == 2


def test_without_a_mail_server_mails_are_printed_not_sent(app, capsys):
    queue_circulation(readers=1)
    assert delivery.deliver_due() == 1
    out = capsys.readouterr().out
    assert "Subject: Agenda v1 circulated" in out and "Read the agenda: http://localhost/meetings/" in out


def test_the_worker_command_sends_what_waits(app, runner, smtp_server):
    users = queue_circulation(readers=2)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 mail(s) sent." in result.output and "0 file(s) extracted." in result.output
    assert smtp_server.recipients() == {user.email for user in users}


def test_a_circulation_to_53_partners_with_3_officials_each_goes_within_a_minute(app, smtp_server):
    codes = db.session.scalars(sa.select(Partner.code).order_by(Partner.code)).all()
    assert len(codes) == 53
    for code in codes:
        for _ in range(3):
            make_user("official", partner_code=code, password=None)
    queue_circulation(readers=0)
    started = time.monotonic()
    assert delivery.deliver_due() == 159
    took = time.monotonic() - started
    print(f"\n159 circulation mails delivered over STARTTLS in {took:.1f} s")
    assert took < 60 and len(smtp_server.messages) == 159


def test_a_mail_that_cannot_be_made_waits_alone_and_the_others_go(app, smtp_server):
    users = queue_circulation(readers=2)
    broken = rows()[0]
    broken.kind = "no_such_event"
    db.session.commit()
    assert delivery.deliver_due() == 1
    assert smtp_server.recipients() == {users[1].email}
    broken = rows()[0]
    assert broken.state == "queued" and "no_such_event" in broken.last_error


def test_implicit_tls_verifies_the_server_too(app, mail_ca, ca_file, monkeypatch):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    mail_ca.issue_cert("127.0.0.1").configure_cert(context)
    mailbox = Mailbox()
    controller = aiosmtpd_controller.Controller(mailbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    point_mail_at(app, monkeypatch, controller.port, ca_file)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", True)
    try:
        users = queue_circulation(readers=1)
        assert delivery.deliver_due() == 1
    finally:
        controller.stop()
    assert mailbox.recipients() == {users[0].email}


def test_a_mail_is_given_up_after_its_last_attempt_and_stays_listed(app, client, ca_file, monkeypatch):
    point_mail_at(app, monkeypatch, free_port(), ca_file)  # nothing listens there
    queue_circulation(readers=1)
    db.session.execute(sa.update(Notification).values(attempts=delivery.MAX_ATTEMPTS - 1))
    db.session.commit()
    assert delivery.deliver_due() == 0
    assert rows()[0].state == "failed"
    client.login(make_user("admin", partner_code="EU").email)
    html = client.get("/admin/mail").get_data(as_text=True)
    assert '<dd id="mail-failed">1</dd>' in html and "failed" in html
