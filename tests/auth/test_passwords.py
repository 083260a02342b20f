"""Password policy, hashing and the one-time links with which users set their password."""

import logging
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from secretariat.auth.models import PasswordToken, User
from secretariat.auth.passwords import common_passwords, policy_errors
from secretariat.extensions import db
from secretariat.notify import delivery
from secretariat.timeutil import utcnow
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of

UNICODE_PASSPHRASE = "Ünïcödé фраза 漢字かな 😀 with  double  spaces and a trailing space! "
assert len(UNICODE_PASSPHRASE) == 64


def test_too_short_is_refused(app):
    assert any("at least 12" in e for e in policy_errors("short pass"))


def test_too_long_is_refused(app):
    assert any("at most" in e for e in policy_errors("x" * 300))


def test_128_characters_are_allowed(app):
    assert policy_errors("correct horse " * 9 + "ab") == []


@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "qwertyuiopasdf", "iloveyou123456"])
def test_blocklisted_passwords_are_refused(app, password):
    assert any("commonly used" in e for e in policy_errors(password))


def test_blocklist_is_shipped_and_large(app):
    assert len(common_passwords()) > 10000


@pytest.mark.parametrize(
    "password, email, name, word",
    [
        ("my asem password is long", "", "", "asem"),
        ("ASEM-2026-secretariat", "", "", "asem"),
        ("jane.doe is my password", "jane.doe@example.org", "", "jane.doe"),
        ("wolfgang amadeus forever", "x@example.org", "Wolfgang Mozart", "wolfgang"),
    ],
)
def test_context_words_are_refused(app, password, email, name, word):
    errors = policy_errors(password, email=email, name=name)
    assert any(word in e for e in errors), errors


def test_no_composition_rules(app):
    assert policy_errors("all lower case words here") == []


def test_unicode_passphrase_with_spaces_is_accepted_unchanged(app, client):
    """Set through the real link flow, then sign in with exactly the same string."""
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    page = admin_client.submit(
        "/admin/users/new",
        {"email": "new.person@example.org", "display_name": "New Person", "partner": "TH", "role": "official"},
    )
    link = re.search(r'value="(http://[^"]+/password/set/[^"]+)"', page_text(page)).group(1)
    path = link.split("localhost", 1)[1]
    response = client.submit(path, {"password": UNICODE_PASSPHRASE, "confirm": UNICODE_PASSPHRASE})
    assert response.status_code == 302
    assert client.login("new.person@example.org", UNICODE_PASSPHRASE).status_code == 302
    client.logout()
    # not stripped, not normalized: a variant without the trailing space is a different password
    assert client.login("new.person@example.org", UNICODE_PASSPHRASE.rstrip()).status_code == 200


def test_passwords_are_hashed_with_argon2id(app):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in user.password_hash


def new_user_link(app) -> tuple[User, str]:
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    page = admin_client.submit(
        "/admin/users/new",
        {"email": "linked@example.org", "display_name": "Linda Linked", "partner": "DE", "role": "observer"},
    )
    assert page.status_code == 200, page_text(page)[:400]
    link = re.search(r'value="http://localhost(/password/set/[^"]+)"', page_text(page)).group(1)
    return db.session.scalar(sa.select(User).where(User.email == "linked@example.org")), link


def test_link_is_shown_and_logged_while_no_mail_server(app, caplog):
    with caplog.at_level(logging.WARNING):
        _, link = new_user_link(app)
    assert link in caplog.text


def test_link_sets_the_password_and_works_once(app, client):
    _, link = new_user_link(app)
    form = client.get(link)
    assert form.status_code == 200 and "linked@example.org" in page_text(form)
    response = client.submit(link, {"password": "a river runs through it", "confirm": "a river runs through it"})
    assert response.status_code == 302 and path_of(response).startswith("/login")
    assert client.get(link).status_code == 404
    assert client.login("linked@example.org", "a river runs through it").status_code == 302


def test_weak_password_on_link_rerenders_with_reasons(app, client):
    _, link = new_user_link(app)
    response = client.submit(link, {"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 400
    assert "commonly used" in page_text(response)
    # the link is still usable after a refused attempt
    assert client.get(link).status_code == 200


def test_mismatched_confirmation_is_refused(app, client):
    _, link = new_user_link(app)
    response = client.submit(link, {"password": "a river runs through it", "confirm": "a river runs through"})
    assert response.status_code == 400 and "do not match" in page_text(response)


def test_expired_link_is_refused(app, client):
    _, link = new_user_link(app)
    db.session.execute(sa.update(PasswordToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert client.get(link).status_code == 404


def test_a_new_link_invalidates_the_previous_one(app, client):
    user, first = new_user_link(app)
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    page = admin_client.submit(f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}")
    second = re.search(r'value="http://localhost(/password/set/[^"]+)"', page_text(page)).group(1)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_unknown_token_is_refused(client):
    assert client.get("/password/set/not-a-real-token").status_code == 404


def test_link_of_deactivated_user_is_refused(app, client):
    user, link = new_user_link(app)
    user.is_active_account = False
    db.session.commit()
    assert client.get(link).status_code == 404


def test_token_is_stored_hashed(app):
    _, link = new_user_link(app)
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalars(sa.select(PasswordToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_change_password_needs_the_current_one(app, client):
    user = make_user()
    client.login(user.email)
    response = client.submit(
        "/account/password",
        {
            "current_password": "not my password at all",
            "password": "brand new phrase here",
            "confirm": "brand new phrase here",
        },
        page="/account",
    )
    assert response.status_code == 400
    assert "current password is not correct" in page_text(response)
    client.logout()
    assert client.login(user.email).status_code == 302


def test_change_password_applies_the_policy(app, client):
    user = make_user()
    client.login(user.email)
    response = client.submit(
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "password": "short", "confirm": "short"},
        page="/account",
    )
    assert response.status_code == 400 and "at least 12" in page_text(response)


def test_mail_is_sent_when_a_server_is_configured(app):
    """A tiny SMTP server on loopback receives the link."""
    import asyncio
    import socket
    import threading

    received: list[bytes] = []

    async def handle(reader, writer):
        writer.write(b"220 localhost ESMTP\r\n")
        data_mode = False
        body = b""
        while line := await reader.readline():
            if data_mode:
                if line == b".\r\n":
                    received.append(body)
                    data_mode = False
                    writer.write(b"250 OK\r\n")
                else:
                    body += line
                continue
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                writer.write(b"250 localhost\r\n")
            elif cmd == b"DATA":
                data_mode = True
                writer.write(b"354 go\r\n")
            elif cmd == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(handle, sock=sock))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    try:
        _, link = new_user_link(app)
        delivery.deliver_due()  # the worker's turn: the link goes through the outbox
    finally:
        app.config.update(MAIL_SERVER=None)
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert received, "no mail received"
    message = message_from_bytes(received[0], policy=policy.default)
    assert link in message.get_body(("plain",)).get_content()
    assert message["To"] == "linked@example.org"
