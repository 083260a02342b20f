"""Account events, to the person alone and never switched off: the password link of a new account
or of a reset (through the outbox: a mail server that is down breaks no request), a second factor
removed by an administrator, the person's own password, second factor or recovery codes changed, a
sign-in from a new browser."""

from __future__ import annotations

import re

import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.notify import delivery, preferences
from secretariat.notify.models import Category, Delivery, Notification
from tests.factories import DEFAULT_PASSWORD, make_user, page_text
from tests.notify.conftest import about, deliver, free_port, link_of, opens, point_mail_at, start_server, text_of

PASSWORD_SUBJECT = "Set your password for the ASEM Virtual Secretariat"


def admin_browser(app):
    browser = app.test_client()
    assert browser.login(make_user("admin", partner_code="EU").email).status_code == 302
    return browser


def shown_link(response) -> str:
    return re.search(r'id="link" type="text" readonly value="([^"]+)"', page_text(response)).group(1)


def test_a_new_accounts_link_waits_while_the_mail_server_is_down_and_leaves_when_it_is_back(
    app, mail_ca, ca_file, monkeypatch
):
    port = free_port()
    point_mail_at(app, monkeypatch, port, ca_file)  # nothing listens there: the server is down
    admin = admin_browser(app)
    response = admin.submit(
        "/admin/users/new",
        {"email": "new.person@example.org", "display_name": "New Person", "partner": "JP", "role": "official"},
    )
    assert response.status_code == 200  # the request is not broken by the server being down
    link = shown_link(response)
    assert delivery.deliver_due() == 0
    row = db.session.scalar(sa.select(Notification).where(Notification.kind == "password_link"))
    assert row.state == "queued" and row.last_error and row.user.email == "new.person@example.org"
    queue_page = admin.get("/admin/mail")
    assert queue_page.status_code == 200 and '<dd id="mail-waiting">1</dd>' in page_text(queue_page)

    controller, mailbox = start_server(mail_ca, port)  # the server is back
    try:
        assert deliver() >= 1
    finally:
        controller.stop()
    (mail,) = about(mailbox, PASSWORD_SUBJECT)
    assert mail["To"] == "new.person@example.org" and [m["To"] for m in mailbox.messages] == [mail["To"]]
    assert link_of(mail) == link and "works once, within" in text_of(mail)
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 200  # it opens
    db.session.refresh(row)
    assert row.state == "sent" and row.link_path == ""  # the outbox keeps no usable copy of the link


def test_a_reset_link_reaches_its_person_only(app, smtp_server):
    user = make_user("official", partner_code="FR")
    other = make_user("official", partner_code="FR")
    admin = admin_browser(app)
    link = shown_link(admin.submit(f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}"))
    deliver()
    mails = about(smtp_server, PASSWORD_SUBJECT)
    assert [m["To"] for m in mails] == [user.email] and other.email not in {m["To"] for m in smtp_server.messages}
    assert link_of(mails[0]) == link
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 200


def test_a_second_factor_reset_is_told_to_its_person(app, smtp_server):
    coordinator = make_user("coordinator", partner_code="EU")
    other = make_user("coordinator", partner_code="TH")
    preferences.save(coordinator, {category: Delivery.OFF for category in preferences.CHOOSABLE}, 7)
    db.session.commit()
    assert Category.ACCOUNT not in preferences.CHOOSABLE  # cannot be switched off
    admin = admin_browser(app)
    admin.submit(f"/admin/users/{coordinator.id}/reset-two-factor", page=f"/admin/users/{coordinator.id}")
    deliver()
    mails = about(smtp_server, "Your second factor was removed")
    assert [m["To"] for m in mails] == [coordinator.email]
    assert other.email not in {m["To"] for m in smtp_server.messages}
    assert link_of(mails[0]) == "http://localhost/login"
    assert app.test_client().get("/login").status_code == 200  # signed out everywhere: the sign-in page opens


def test_a_sign_in_from_a_new_browser_is_told_to_its_person(app, smtp_server):
    official = make_user("official", partner_code="JP")
    colleague = make_user("official", partner_code="JP")
    first = app.test_client()
    assert first.login(official.email).status_code == 302  # the account's first browser: nothing to tell
    first.logout()
    assert first.login(official.email).status_code == 302  # a known browser: nothing either
    deliver()
    assert not about(smtp_server, "New sign-in to your account")
    second = app.test_client()
    assert second.login(official.email).status_code == 302
    deliver()
    mails = about(smtp_server, "New sign-in to your account")
    assert [m["To"] for m in mails] == [official.email]
    assert colleague.email not in {m["To"] for m in smtp_server.messages}
    assert link_of(mails[0]) == "http://localhost/account"
    assert opens(app, official, link_of(mails[0])) == 200


def test_ones_own_sign_in_changes_are_told_to_oneself_only(app, smtp_server):
    """Password, second factor and recovery codes changed from a signed-in session: someone who took
    the session over cannot change them unnoticed (the mail goes to the account's address)."""
    official = make_user("official", partner_code="JP", mfa=True)
    colleague = make_user("official", partner_code="JP")
    preferences.save(official, {category: Delivery.OFF for category in preferences.CHOOSABLE}, 7)
    db.session.commit()
    browser = app.test_client()
    assert browser.login(official.email).status_code == 302
    browser.submit("/account/two-factor/recovery-codes", {"password": DEFAULT_PASSWORD}, page="/account")
    browser.submit("/account/two-factor/remove", {"password": DEFAULT_PASSWORD}, page="/account")
    new = "a brand new passphrase for me"
    changed = browser.submit(
        "/account/password", {"current_password": DEFAULT_PASSWORD, "password": new, "confirm": new}, page="/account"
    )
    assert changed.status_code == 302
    deliver()
    subjects = [
        "New recovery codes were made for your account",
        "Your second factor was switched off",
        "Your password was changed",
    ]
    for subject in subjects:
        mails = about(smtp_server, subject)
        assert [m["To"] for m in mails] == [official.email], subject
        assert link_of(mails[0]) == "http://localhost/account"
        assert "tell the secretariat's administrator" in text_of(mails[0])
    assert colleague.email not in {m["To"] for m in smtp_server.messages}
    assert not any(new in text_of(m) for m in smtp_server.messages)  # the new password is never mailed


def test_replacing_the_second_factor_is_told_and_a_wrong_password_changes_nothing(app, smtp_server):
    coordinator = make_user("coordinator", partner_code="EU")
    browser = app.test_client()
    assert browser.login(coordinator.email).status_code == 302
    browser.submit("/account/two-factor/replace", {"password": "not my password"}, page="/account")
    deliver()
    assert not about(smtp_server, "Your second factor is being replaced")
    browser.submit("/account/two-factor/replace", {"password": DEFAULT_PASSWORD}, page="/account")
    deliver()
    assert [m["To"] for m in about(smtp_server, "Your second factor is being replaced")] == [coordinator.email]
