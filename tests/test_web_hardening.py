"""Security headers, CSRF, and error pages that reveal nothing."""

import logging
import re

import pytest

from secretariat import create_app
from secretariat.auth.permissions import public
from tests.factories import page_text
from tests.routes import routes


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # every answer, signed in or not (the calendar feeds are read without a session)
    assert "no-store" in response.headers["Cache-Control"]


def test_headers_on_public_pages_and_errors(client):
    for url in ("/login", "/healthz", "/does-not-exist", "/password/set/bad"):
        assert_security_headers(client.get(url))


def test_headers_on_every_signed_in_page(app, client, login_as):
    login_as("admin")
    for _endpoint, url in routes(app, "GET"):
        response = client.get(url)
        assert_security_headers(response)


def test_nonce_changes_per_response(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_templates_have_no_inline_scripts_or_styles(app):
    from pathlib import Path

    for template in Path(app.template_folder).rglob("*.html"):
        text = template.read_text()
        # scripts are files of our own (static/js), or carry the response's nonce; never inline code
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=\"{{ url_for('static'" in tag or "nonce" in tag, (template, tag)
        assert "style=" not in text and "<style" not in text, template
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), template


PRODUCTION_BASE = "https://secretariat.asem.example"


def test_production_sets_hsts_and_secure_cookies(database_url):
    app = create_app(
        "production",
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40, "EXTERNAL_BASE_URL": PRODUCTION_BASE},
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login", base_url=PRODUCTION_BASE)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("key", [None, "", "changeme", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(database_url, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            "production",
            {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": key, "EXTERNAL_BASE_URL": PRODUCTION_BASE},
        )


def test_production_refuses_debug(database_url):
    with pytest.raises(RuntimeError, match="debug"):
        create_app(
            "production",
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "k" * 40,
                "EXTERNAL_BASE_URL": PRODUCTION_BASE,
                "DEBUG": True,
            },
        )


def test_post_without_csrf_token_is_refused_everywhere(app, client, login_as):
    login_as("admin")
    for endpoint, url in routes(app, "POST"):
        response = client.post(url, data={})
        assert response.status_code == 400, (endpoint, url, response.status_code)
        assert "expired or was not sent from this site" in page_text(response)


def test_post_with_a_forged_token_is_refused(client, login_as):
    login_as("admin")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_login_without_csrf_token_is_refused(client):
    assert client.post("/login", data={"email": "a@b.c", "password": "x" * 20}).status_code == 400


def test_unexpected_error_shows_a_generic_page_with_an_id(database_url, caplog):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    body = page_text(response)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret internal detail" not in body and "RuntimeError" not in body
    error_id = re.search(r"reference <code>([0-9a-f]{12})</code>", body).group(1)
    assert error_id in caplog.text and "secret internal detail" in caplog.text
    assert_security_headers(response)


@pytest.mark.parametrize("url, status", [("/nope", 404), ("/logout", 405)])
def test_error_pages_are_generic_and_in_the_layout(client, url, status):
    response = client.get(url)
    body = page_text(response)
    assert response.status_code == status
    assert 'class="skip-link"' in body and "<h1>" in body
    assert re.search(r"reference <code>[0-9a-f]{12}</code>", body)


def test_upload_too_large_is_413(app, client, login_as):
    login_as("admin")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/logout", data={"f": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 50 * 1024 * 1024
    assert response.status_code == 413
    assert "larger than" in page_text(response)


def test_forbidden_page_is_generic(client, login_as):
    login_as("observer")
    response = client.get("/admin/users")
    assert response.status_code == 403 and "Access denied" in page_text(response)


def test_an_error_outside_the_request_handlers_still_gets_the_generic_page(app):
    """An exception escaping Flask itself (a teardown failing while the database restarts, say)
    must get the generic page, not the server's own."""
    import logging

    from werkzeug.test import Client as WsgiClient

    from secretariat.errors import LastResort

    layer, wrapped = app.wsgi_app, False
    while layer is not None and not wrapped:  # the application is served through it
        wrapped = isinstance(layer, LastResort)
        layer = getattr(layer, "app", None) or getattr(layer, "wsgi_app", None)
    assert wrapped

    def broken(environ, start_response):
        raise RuntimeError("teardown failed")

    response = WsgiClient(LastResort(broken, logging.getLogger("test"))).get("/")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in text and "Error id:" in text
    assert "RuntimeError" not in text and "Traceback" not in text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _served(wsgi_app) -> tuple[list[tuple[str, list]], bytes]:
    """Every start_response the server sees, and the body; as gunicorn does, a second call with
    exc_info before the body is sent replaces the status but adds its headers to the first ones."""
    calls: list[tuple[str, list]] = []

    def start_response(status, headers, exc_info=None):
        calls.append((status, list(headers)))
        return lambda data: None

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "wsgi.input": None, "wsgi.errors": None}
    body = b"".join(wsgi_app(environ, start_response))
    return calls, body


def test_a_failure_after_the_answer_was_started_gives_one_whole_answer():
    """Seen under a PostgreSQL restart: the view answered 302, then the session's teardown failed.
    The server must be told one status and one Content-Length that fits the body it gets, never the
    view's headers followed by the error page's (a client then waits for bytes that never come)."""
    import logging

    from secretariat.errors import LastResort

    def answers_then_fails(environ, start_response):
        start_response("302 FOUND", [("Location", "/meetings/1"), ("Content-Length", "253")])
        raise RuntimeError("teardown failed: connection closed")

    calls, body = _served(LastResort(answers_then_fails, logging.getLogger("test")))
    assert len(calls) == 1
    status, headers = calls[0]
    assert status.startswith("500")
    lengths = [value for name, value in headers if name.lower() == "content-length"]
    assert lengths == [str(len(body))]
    assert not any(name == "Location" for name, _ in headers)


def test_an_answer_without_failure_passes_through_unchanged():
    import logging

    from secretariat.errors import LastResort

    def answers(environ, start_response):
        start_response("302 FOUND", [("Location", "/meetings/1"), ("Content-Length", "5")])
        return [b"moved"]

    calls, body = _served(LastResort(answers, logging.getLogger("test")))
    assert calls == [("302 FOUND", [("Location", "/meetings/1"), ("Content-Length", "5")])]
    assert body == b"moved"
