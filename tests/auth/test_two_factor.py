"""The second factor: enrolment, sign-in codes, replay, drift, recovery codes, throttling, resets."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.auth.models import User
from secretariat.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of


def password_step(client, user):
    return client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})


def code_for(user, offset_steps=0):
    totp = pyotp.TOTP(user.totp_secret)
    return totp.generate_otp(int(time.time()) // 30 + offset_steps)


def test_coordinator_must_enrol_before_anything_else(client):
    user = make_user("coordinator", mfa=False)
    response = password_step(client, user)
    assert path_of(response) == "/account/two-factor/setup"
    for url in ("/", "/meetings/", "/archive/", "/account"):
        assert path_of(client.get(url)) == "/account/two-factor/setup", url
    page = page_text(client.get("/account/two-factor/setup"))
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'<code class="key">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.submit("/account/two-factor/setup", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in page_text(wrong)
    done = client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", page_text(done))
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    db.session.refresh(user)
    assert user.totp_confirmed_at is not None
    from secretariat.auth.models import RecoveryCode

    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)


def test_enrolled_user_needs_the_code(client):
    user = make_user("admin")
    assert path_of(password_step(client, user)) == "/login/code"
    assert path_of(client.get("/admin/users")) == "/login/code"
    assert client.submit("/login/code", {"code": "123456"}).status_code == 400
    response = client.submit("/login/code", {"code": code_for(user)})
    assert response.status_code == 302 and path_of(response) == "/"
    assert client.get("/admin/users").status_code == 200


def test_a_code_works_once(app, client):
    user = make_user("coordinator")
    code = code_for(user)
    password_step(client, user)
    assert client.submit("/login/code", {"code": code}).status_code == 302
    other = app.test_client()
    password_step(other, user)
    replay = other.submit("/login/code", {"code": code})
    assert replay.status_code == 400
    assert path_of(other.get("/")) == "/login/code"


def test_small_clock_drift_is_tolerated(client):
    user = make_user("coordinator")
    password_step(client, user)
    assert client.submit("/login/code", {"code": code_for(user, -1)}).status_code == 302


def test_far_drift_is_refused(client):
    user = make_user("coordinator")
    password_step(client, user)
    assert client.submit("/login/code", {"code": code_for(user, -4)}).status_code == 400


def test_recovery_code_works_once(app, client):
    user = make_user("coordinator", mfa=False)
    password_step(client, user)
    page = page_text(client.get("/account/two-factor/setup"))
    secret = re.search(r'<code class="key">([A-Z2-7]+)</code>', page).group(1)
    codes = re.findall(
        r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>",
        page_text(client.submit("/account/two-factor/setup", {"code": pyotp.TOTP(secret).now()})),
    )
    second = app.test_client()
    password_step(second, user)
    assert second.submit("/login/code", {"code": codes[0]}).status_code == 302
    third = app.test_client()
    password_step(third, user)
    assert third.submit("/login/code", {"code": codes[0]}).status_code == 400


def test_failures_are_throttled_and_audited(client):
    user = make_user("coordinator")
    password_step(client, user)
    for _ in range(5):
        client.submit("/login/code", {"code": "000000"})
    throttled = client.submit("/login/code", {"code": code_for(user)})
    assert throttled.status_code == 429 and "Too many wrong codes" in page_text(throttled)
    assert path_of(client.get("/")) == "/login/code"  # the right code was not even checked
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("mfa.failed") == 5 and "mfa.throttled" in actions


def test_officials_may_go_without_and_admins_can_require_it_for_all(app, client):
    official = make_user("official")
    assert path_of(client.login(official.email)) == "/"
    client.logout()
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    admin_client.submit("/admin/settings", {"mfa_required_for_all": "1"})
    assert path_of(password_step(client, official)) == "/account/two-factor/setup"


def test_changing_or_removing_needs_the_password(client):
    official = make_user("official", mfa=True)
    client.login(official.email)
    wrong = client.submit("/account/two-factor/remove", {"password": "not my password"}, page="/account")
    assert "not correct" in page_text(client.get(path_of(wrong)))
    db.session.refresh(official)
    assert official.totp_confirmed_at is not None
    client.submit("/account/two-factor/remove", {"password": DEFAULT_PASSWORD}, page="/account")
    db.session.refresh(official)
    assert official.totp_confirmed_at is None


def test_a_required_factor_cannot_be_removed(client):
    coordinator = make_user("coordinator")
    client.login(coordinator.email)
    response = client.submit("/account/two-factor/remove", {"password": DEFAULT_PASSWORD}, page="/account")
    assert "requires a second factor" in page_text(client.get(path_of(response)))
    db.session.refresh(coordinator)
    assert coordinator.totp_confirmed_at is not None


def test_admin_resets_a_lost_device(app, client):
    coordinator = make_user("coordinator")
    client.login(coordinator.email)
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    admin_client.submit(f"/admin/users/{coordinator.id}/reset-two-factor", page=f"/admin/users/{coordinator.id}")
    assert path_of(client.get("/")).startswith("/login")  # signed out everywhere
    assert path_of(password_step(client, coordinator)) == "/account/two-factor/setup"
    assert "mfa.admin_reset" in db.session.scalars(sa.select(AuditEntry.action)).all()


def test_a_password_reset_never_bypasses_the_second_factor(app, client):
    coordinator = make_user("coordinator")
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    page = admin_client.submit(f"/admin/users/{coordinator.id}/password-link", page=f"/admin/users/{coordinator.id}")
    link = re.search(r'value="http://localhost(/password/set/[^"]+)"', page_text(page)).group(1)
    client.submit(link, {"password": "a brand new passphrase here", "confirm": "a brand new passphrase here"})
    response = client.submit("/login", {"email": coordinator.email, "password": "a brand new passphrase here"})
    assert path_of(response) == "/login/code"
    assert path_of(client.get("/")) == "/login/code"


@pytest.mark.parametrize("url", ["/meetings/new", "/admin/users/new"])
def test_pending_session_cannot_post_anywhere(client, url):
    user = make_user("admin")
    password_step(client, user)
    response = client.submit(url, {"title": "x", "email": "x@example.org"}, page="/login/code")
    assert response.status_code == 302 and path_of(response) == "/login/code"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
