"""The session cookie is signed, not encrypted: nothing secret may travel in it (issue 25, item 13).

A TOTP secret being enrolled waits on the server, tied to the user's server-side session; it
expires, and it ends on confirmation, cancellation and sign-out. Recovery codes and password
links never reach the cookie either.
"""

import re
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from secretariat.auth.models import User, UserSession
from secretariat.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of


def cookie_contents(app, client) -> str:
    """What anyone holding a copy of the session cookie can read from it."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return ""
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def start_enrolment(client, user) -> str:
    """Sign in with the password and open the set-up page; returns the key it shows."""
    client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    page = page_text(client.get("/account/two-factor/setup"))
    return re.search(r'<code class="key">([A-Z2-7]+)</code>', page).group(1)


def enrolled(user) -> bool:
    return db.session.scalar(sa.select(User.totp_confirmed_at).where(User.id == user.id)) is not None


def test_the_secret_being_enrolled_is_not_in_the_session_cookie(app, client):
    user = make_user("coordinator", mfa=False)
    secret = start_enrolment(client, user)
    assert "sid" in cookie_contents(app, client)  # the decoding works: the session id is there
    assert secret not in cookie_contents(app, client)
    assert secret not in client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    # The page shown again keeps the same key (it waits on the server), still not in the cookie.
    page = page_text(client.get("/account/two-factor/setup"))
    assert secret in page and secret not in cookie_contents(app, client)


def test_neither_the_secret_nor_recovery_codes_are_in_the_cookie_after_confirmation(app, client):
    user = make_user("coordinator", mfa=False)
    secret = start_enrolment(client, user)
    done = client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", page_text(done))
    assert len(codes) == 10 and enrolled(user)
    contents = cookie_contents(app, client)
    assert secret not in contents and not any(code in contents for code in codes)
    assert db.session.scalar(sa.select(sa.func.count()).where(UserSession.pending_totp_secret.is_not(None))) == 0


def test_confirming_from_another_session_fails(app):
    user = make_user("coordinator", mfa=False)
    first = app.test_client()
    secret = start_enrolment(first, user)
    other = app.test_client()
    other.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    refused = other.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 400 and not enrolled(user)
    assert secret not in page_text(refused)  # the other session is shown a key of its own
    # The session that started it can still finish it.
    assert first.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert enrolled(user)


def test_the_pending_secret_expires(app, client):
    official = make_user("official")
    client.login(official.email)
    page = page_text(client.get("/account/two-factor/setup"))
    secret = re.search(r'<code class="key">([A-Z2-7]+)</code>', page).group(1)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.pending_totp_secret.is_not(None)))
    row.pending_totp_started_at -= timedelta(minutes=21)
    db.session.commit()
    refused = client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()}, page="/account")
    assert refused.status_code == 400 and "expired" in page_text(refused) and not enrolled(official)
    fresh = re.search(r'<code class="key">([A-Z2-7]+)</code>', page_text(refused)).group(1)
    assert fresh != secret
    assert client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(fresh).now()}).status_code == 200


def test_cancelling_or_signing_out_forgets_the_pending_secret(app, client):
    official = make_user("official")
    client.login(official.email)
    page = page_text(client.get("/account/two-factor/setup"))
    secret = re.search(r'<code class="key">([A-Z2-7]+)</code>', page).group(1)
    response = client.submit("/account/two-factor/cancel", page="/account/two-factor/setup")
    assert path_of(response) == "/account"
    assert db.session.scalar(sa.select(sa.func.count()).where(UserSession.pending_totp_secret.is_not(None))) == 0
    refused = client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 400 and not enrolled(official)

    coordinator = make_user("coordinator", mfa=False)
    second = app.test_client()
    start_enrolment(second, coordinator)
    second.submit("/logout", page="/account/two-factor/setup")
    pending = sa.select(UserSession.pending_totp_secret).where(UserSession.user_id == coordinator.id)
    assert db.session.scalars(pending).all() == [None]


def test_a_password_link_never_reaches_the_administrators_cookie(app, client):
    admin = make_user("admin")
    client.login(admin.email)
    user = make_user()
    page = client.submit(f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}")
    token = re.search(r'value="http://localhost/password/set/([^"]+)"', page_text(page)).group(1)
    assert token not in cookie_contents(app, client)
