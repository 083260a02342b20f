"""SECRET_KEY rotates without signing anyone out: the old key moves to SECRET_KEY_FALLBACKS, cookies
signed with it still open their sessions; once it is dropped they no longer do."""

from __future__ import annotations

import os
import subprocess  # nosec B404
import sys

import pytest

from secretariat.auth import devices
from secretariat.settings import PROJECT_ROOT, _finish_shared
from tests.factories import make_user

OLD_KEY = "o" * 40
NEW_KEY = "n" * 40


@pytest.fixture
def keys(app):
    kept = app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"]

    def use(key: str, fallbacks: list[str]) -> None:
        """As a restart with these settings would have them (settings.finalize)."""
        app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = key, fallbacks
        app.config.pop("WTF_CSRF_SECRET_KEY", None)
        _finish_shared(app.config)

    use(OLD_KEY, [])
    yield use
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = kept
    app.config.pop("WTF_CSRF_SECRET_KEY", None)


def test_a_session_signed_with_the_old_key_survives_rotation(app, client, keys):
    user = make_user()
    client.login(user.email)
    cookie = client.get_cookie("secretariat_session").value
    keys(NEW_KEY, [OLD_KEY])
    browser = app.test_client()
    browser.set_cookie("secretariat_session", cookie)
    assert browser.get("/").status_code == 200
    keys(NEW_KEY, [])
    stale = app.test_client()
    stale.set_cookie("secretariat_session", cookie)
    response = stale.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_form_opened_before_rotation_still_submits(app, client, keys):
    token = client.csrf_token("/login")
    keys(NEW_KEY, [OLD_KEY])
    fields = {"csrf_token": token, "email": "nobody@example.org", "password": "not the password"}
    response = client.post("/login", data=fields)
    assert response.status_code == 200 and "had expired" not in response.get_data(as_text=True)
    keys(NEW_KEY, [])
    response = client.post("/login", data=fields)
    assert response.status_code == 400 and "had expired" in response.get_data(as_text=True)


def test_a_known_device_stays_known_through_rotation(app, keys):
    user = make_user()
    with app.test_request_context():
        cookie = devices.trust(user, None)
    keys(NEW_KEY, [OLD_KEY])
    with app.test_request_context():
        assert devices.find(cookie, user.email) is not None
    keys(NEW_KEY, [])
    with app.test_request_context():
        assert devices.find(cookie, user.email) is None


def test_fallbacks_come_from_the_environment():
    env = {**os.environ, "SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": f"{OLD_KEY}, {'p' * 40}"}
    env["EXTERNAL_BASE_URL"] = "https://secretariat.example.org"
    code = "from secretariat import create_app; print(create_app('production').config['SECRET_KEY_FALLBACKS'])"
    done = start(code, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str([OLD_KEY, "p" * 40])
    env["SECRET_KEY_FALLBACKS"] = "short"
    done = start(code, env)
    assert done.returncode != 0 and "SECRET_KEY_FALLBACKS" in done.stderr


def start(code: str, env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
