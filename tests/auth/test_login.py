"""Signing in and out: credentials, one answer for every failure, throttling, redirects."""

import pytest
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.auth.access import is_safe_next
from secretariat.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert path_of(response).startswith("/login?next=/")


def test_login_success_reaches_dashboard_and_is_audited(client):
    user = make_user("coordinator", name="Clara Coordinator")
    response = client.login(user.email)
    assert response.status_code == 302 and path_of(response) == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Clara Coordinator" in page_text(home)
    assert "auth.login" in actions()


def test_email_is_case_insensitive_and_trimmed(client):
    user = make_user(email="Someone@Example.org")
    assert user.email == "someone@example.org"
    assert client.login("  SOMEONE@example.ORG ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    user = make_user()
    wrong = client.login(user.email, "not the right passphrase at all")
    unknown = client.login("nobody@example.org", "not the right passphrase at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "The email address or password is not correct." in page_text(wrong)
    body_wrong = page_text(wrong).replace(user.email, "EMAIL")
    body_unknown = page_text(unknown).replace("nobody@example.org", "EMAIL")
    strip = lambda body: __import__("re").sub(r'value="[^"]{20,}"', "", body)  # noqa: E731  (csrf tokens)
    assert strip(body_wrong) == strip(body_unknown)
    assert actions().count("auth.login_failed") == 2
    # the password typed is never sent back
    assert "not the right passphrase" not in page_text(wrong)


def test_failed_login_keeps_the_email(client):
    user = make_user()
    response = client.login(user.email, "wrong wrong wrong wrong")
    assert f'value="{user.email}"' in page_text(response)


def test_inactive_user_cannot_sign_in(client):
    user = make_user(active=False)
    response = client.login(user.email)
    assert response.status_code == 200
    assert "not correct" in page_text(response)


def test_user_without_password_cannot_sign_in(client):
    user = make_user(password=None)
    assert client.login(user.email, "").status_code == 400
    assert client.login(user.email, "anything at all here").status_code == 200


def test_throttling_after_five_failures_even_with_right_password(client, app):
    user = make_user()
    for _ in range(5):
        assert client.login(user.email, "wrong password number x").status_code == 200
    blocked = client.login(user.email, DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed attempts" in page_text(blocked)
    assert "auth.login_throttled" in actions()
    assert client.get("/").status_code == 302  # not signed in


def test_throttling_of_one_address_does_not_lock_out_the_user_elsewhere(app):
    user = make_user()
    attacker = app.test_client()
    for _ in range(6):
        attacker.login(user.email, "guessing guessing guessing")
    owner = app.test_client()
    response = owner.submit(
        "/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_throttle_lifts_when_failures_leave_the_window(client, app):
    from secretariat.auth.models import LoginAttempt
    from secretariat.timeutil import utcnow

    user = make_user()
    for _ in range(5):
        client.login(user.email, "wrong password number y")
    assert client.login(user.email).status_code == 429
    db.session.execute(sa.update(LoginAttempt).values(created_at=utcnow() - app.config["LOGIN_FAILURE_WINDOW"] * 2))
    db.session.commit()
    assert client.login(user.email).status_code == 302


def test_successful_login_resets_the_failure_count(client):
    user = make_user()
    for _ in range(4):
        client.login(user.email, "wrong password number z")
    assert client.login(user.email).status_code == 302
    client.logout()
    for _ in range(4):
        client.login(user.email, "wrong password number z")
    assert client.login(user.email).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\tevil",
    ],
)
def test_open_redirects_are_refused(client, target):
    user = make_user()
    response = client.login(user.email, next_url=target)
    assert response.status_code == 302
    assert path_of(response) == "/"


def test_encoded_newlines_in_next_cannot_inject_headers(client):
    user = make_user()
    response = client.login(user.email, next_url="/%0d%0aSet-Cookie: x=1")
    assert response.status_code == 302
    assert path_of(response).startswith("/") and not path_of(response).startswith("//")
    assert "\r" not in path_of(response) and "\n" not in path_of(response)
    assert not any("x=1" in value for key, value in response.headers.items() if key == "Set-Cookie")


def test_next_path_on_this_site_is_followed(client):
    user = make_user("admin")
    response = client.login(user.email, next_url="/admin/users?role=admin")
    assert path_of(response) == "/admin/users?role=admin"


def test_login_page_remembers_where_the_user_was_going(client):
    response = client.get("/meetings/?when=past")
    assert response.status_code == 302
    login_page = client.get(path_of(response))
    assert 'value="/meetings/?when=past"' in page_text(login_page)


@pytest.mark.parametrize("value", ["", None, "relative", "//x", "/\\x", "https://x", "/ok\r\n"])
def test_is_safe_next_rejects_everything_but_local_paths(value):
    assert not is_safe_next(value)


def test_is_safe_next_accepts_local_paths():
    assert is_safe_next("/meetings/3?x=1")


def test_logout_requires_post(client, login_as):
    login_as()
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_signed_in_user_visiting_login_goes_home(client, login_as):
    login_as()
    response = client.get("/login")
    assert response.status_code == 302 and path_of(response) == "/"


def test_one_address_spraying_many_accounts_is_throttled(client):
    victim = make_user()
    for n in range(20):
        client.login(f"sprayed{n}@example.org", "some guessed password")
    response = client.login(victim.email)
    assert response.status_code == 429


def test_request_rate_limit_answers_429_with_the_generic_page(app, client):
    """The suite runs with a high ceiling; lower it for one address here, then restore it."""
    app.config["AUTH_POST_RATE_LIMIT"] = "3 per minute"
    flood = {"environ_base": {"REMOTE_ADDR": "10.20.30.40"}}
    try:
        statuses = [
            client.submit("/login", {"email": "flood@example.org", "password": "x" * 20}, **flood).status_code
            for _ in range(5)
        ]
        last = client.submit("/login", {"email": "flood@example.org", "password": "x" * 20}, **flood)
    finally:
        app.config["AUTH_POST_RATE_LIMIT"] = "10000 per minute"
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert "Too many requests" in last.get_data(as_text=True)
