"""Server-side sessions: a copied cookie stops working when the session ends, however it ends."""

from datetime import timedelta

import sqlalchemy as sa

from secretariat.auth.models import UserSession
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of

NEW_PASSWORD = "another quite long passphrase 2026"


def session_cookie(client) -> str:
    cookie = client.get_cookie("secretariat_session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie_value: str):
    """A second browser presenting a copied cookie."""
    thief = app.test_client()
    thief.set_cookie("secretariat_session", cookie_value)
    return thief.get("/")


def test_new_session_on_login_no_fixation(app, client):
    user = make_user()
    client.get("/login")
    before = session_cookie(client)
    client.login(user.email)
    after = session_cookie(client)
    assert before != after
    # the pre-login cookie does not carry the signed-in session
    assert replay(app, before).status_code == 302


def test_copied_cookie_works_while_session_is_open(app, client):
    user = make_user()
    client.login(user.email)
    assert replay(app, session_cookie(client)).status_code == 200


def test_cookie_captured_before_logout_is_refused_afterwards(app, client):
    user = make_user()
    client.login(user.email)
    stolen = session_cookie(client)
    assert client.logout().status_code == 302
    response = replay(app, stolen)
    assert response.status_code == 302 and path_of(response).startswith("/login")


def test_cookie_from_before_password_change_is_refused(app, client):
    user = make_user()
    other_browser = app.test_client()
    other_browser.login(user.email)
    old_cookie = session_cookie(other_browser)
    client.login(user.email)
    response = client.submit(
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account",
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # the session that changed it continues
    assert replay(app, old_cookie).status_code == 302
    assert other_browser.get("/").status_code == 302


def test_deactivated_users_open_session_is_refused_on_next_request(app, client):
    user = make_user()
    client.login(user.email)
    assert client.get("/").status_code == 200
    admin = make_user("admin")
    admin_client = app.test_client()
    admin_client.login(admin.email)
    response = admin_client.submit(
        f"/admin/users/{user.id}",
        {"display_name": user.display_name, "partner": "JP", "role": "official"},  # active unticked
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_inactive_flag_alone_ends_the_session(app, client):
    user = make_user()
    client.login(user.email)
    user.is_active_account = False  # e.g. changed directly in the database
    db.session.commit()
    assert client.get("/").status_code == 302


def test_role_change_ends_the_users_sessions(app, client):
    user = make_user("coordinator")
    client.login(user.email)
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    admin_client.submit(
        f"/admin/users/{user.id}",
        {"display_name": user.display_name, "partner": "JP", "role": "observer", "active": "y"},
    )
    assert client.get("/").status_code == 302
    client.login(user.email)
    home = client.get("/")
    assert "Observer" in page_text(home)


def test_admin_can_end_a_users_sessions(app, client):
    user = make_user()
    client.login(user.email)
    admin_client = app.test_client()
    admin_client.login(make_user("admin").email)
    response = admin_client.submit(f"/admin/users/{user.id}/reset-sessions", page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_idle_timeout(app, client):
    user = make_user()
    client.login(user.email)
    db.session.execute(
        sa.update(UserSession).values(last_seen_at=utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1))
    )
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    login_page = client.get(path_of(response))
    assert "Your session has ended" in page_text(login_page)
    row = db.session.scalar(sa.select(UserSession))
    assert row.revoked_reason == "idle-timeout"


def test_activity_keeps_the_session_alive(app, client):
    user = make_user()
    client.login(user.email)
    almost = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=2)
    db.session.execute(sa.update(UserSession).values(last_seen_at=almost))
    db.session.commit()
    assert client.get("/").status_code == 200
    row = db.session.scalar(sa.select(UserSession))
    db.session.refresh(row)
    assert row.last_seen_at > almost + timedelta(minutes=1)


def test_absolute_timeout_even_when_active(app, client):
    user = make_user()
    client.login(user.email)
    db.session.execute(
        sa.update(UserSession).values(
            created_at=utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(minutes=1),
            last_seen_at=utcnow(),
        )
    )
    db.session.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client):
    user = make_user()
    response = client.login(user.email)
    header = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "secretariat_session" in v)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_session_id_is_not_stored_in_clear(client):
    user = make_user()
    client.login(user.email)
    row = db.session.scalar(sa.select(UserSession))
    assert len(row.token_hash) == 64
    assert row.token_hash not in session_cookie(client)
