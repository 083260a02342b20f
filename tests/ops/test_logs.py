"""Structured logs: every line on stderr is one JSON object; request lines say who did what with which
result and how long it took; passwords, cookies, query strings and path tokens never appear."""

from __future__ import annotations

import json
import logging
import re

import pytest

from secretariat import create_app
from secretariat.auth.permissions import public
from secretariat.ops import logs
from tests.factories import Client, make_user, page_text

PASSWORD = "correct horse battery staple in Ulaanbaatar"
REQUEST_FIELDS = {"timestamp", "level", "logger", "message", "request_id", "user_id", "method", "path", "status"}


@pytest.fixture(autouse=True)
def json_logging(app):
    """The suite runs the migrations in this process, and alembic's env.py then sets up logging its
    own way; configure it again as the application does at start."""
    logs.configure(app)


def json_lines(capsys) -> tuple[list[dict], str]:
    """Everything written to stderr since the last call: each line must be one JSON object."""
    err = capsys.readouterr().err
    return [json.loads(line) for line in err.splitlines()], err


def request_lines(entries: list[dict]) -> list[dict]:
    return [entry for entry in entries if entry["logger"] == "secretariat.request"]


def test_sign_in_and_a_failing_request(app, client, capsys):
    user = make_user("official", password=PASSWORD)
    capsys.readouterr()

    assert client.login(user.email, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    missing = client.get("/archive/records/424242?q=confidential-search-words")
    assert missing.status_code == 404
    cookie = client.get_cookie("secretariat_session").value

    entries, err = json_lines(capsys)
    assert PASSWORD not in err and cookie not in err
    assert "confidential-search-words" not in err  # query strings are never logged
    lines = request_lines(entries)
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/login", 200),
        ("POST", "/login", 302),
        ("GET", "/", 200),
        ("GET", "/archive/records/424242", 404),
    ]
    for entry in lines:
        assert set(entry) >= REQUEST_FIELDS and entry["level"] == "INFO"
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert lines[0]["user_id"] is None
    assert lines[1]["user_id"] == lines[2]["user_id"] == lines[3]["user_id"] == user.id
    assert len({entry["request_id"] for entry in lines}) == 4

    # The failing request: its error line carries the same request id, which the page and header show.
    failing = lines[3]["request_id"]
    assert missing.headers["X-Request-ID"] == failing
    error_lines = [e for e in entries if e["logger"] == "secretariat" and e.get("request_id") == failing]
    error_id = re.search(r"reference <code>([0-9a-f]{12})</code>", page_text(missing)).group(1)
    assert error_lines and error_id in error_lines[0]["message"] and error_lines[0]["user_id"] == user.id
    assert f"request <code>{failing}</code>" in page_text(missing)


def test_an_unexpected_error_is_logged_with_its_exception(database_url, tmp_path, capsys):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "ARCHIVE_STORAGE": str(tmp_path)})
    app.test_client_class = Client

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("detail for the log only")

    capsys.readouterr()
    response = app.test_client().get("/boom", headers={"X-Request-ID": "lb-7f3a.42"})
    entries, _ = json_lines(capsys)

    assert response.status_code == 500 and "detail for the log only" not in page_text(response)
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"
    assert "request <code>lb-7f3a.42</code>" in page_text(response)
    error = next(e for e in entries if e["level"] == "ERROR")
    assert error["request_id"] == "lb-7f3a.42" and error["path"] == "/boom"
    assert "RuntimeError: detail for the log only" in error["exception"]
    assert request_lines(entries)[-1]["status"] == 500


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "<script>", 'a"b', "ä-unicode", ""])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    answered = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert answered != incoming and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_tokens_in_paths_are_redacted(app, client, runner, capsys):
    make_user("admin", partner_code="EU")
    capsys.readouterr()
    client.get("/password/set/TopSecretPasswordLinkToken")
    client.get("/meetings/feed/TopSecretCalendarToken.ics")
    # Without a mail server the application logs the link it issued: the token is redacted there too.
    created = runner.invoke(
        args=["create-user", "new.person@example.org", "--role", "observer", "--partner", "JP", "--link"]
    )
    token = created.stdout.split("/password/set/")[1].split()[0]

    entries, err = json_lines(capsys)
    assert "TopSecret" not in err
    paths = [e["path"] for e in request_lines(entries)]
    assert paths == ["/password/set/[redacted]", "/meetings/feed/[redacted].ics"]
    # The command's own stderr (the runner captures it) holds the application's log lines.
    command_log = [json.loads(line) for line in created.stderr.splitlines()]
    assert token not in created.stderr
    assert any(e["message"].startswith("Password link for new.person@example.org") for e in command_log)
    assert any("/password/set/[redacted]" in e["message"] for e in command_log)


def test_the_level_comes_from_log_level(database_url, tmp_path, capsys):
    quiet = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "ARCHIVE_STORAGE": str(tmp_path), "LOG_LEVEL": "WARNING"}
    )
    try:
        capsys.readouterr()
        quiet.test_client().get("/nowhere")  # a 404 is logged at INFO, as is the request line
        entries, _ = json_lines(capsys)
        assert entries == []
    finally:
        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("secretariat").setLevel(logging.INFO)
