"""Absolute links are built on EXTERNAL_BASE_URL, never on the Host header a request came with.

An attacker who gets an administrator (or a proxy) to send `Host: evil.example` must not receive a
password link, a calendar address or an event URL pointing to their own server. Production refuses
to start without the base, and answers a request for any other host with a plain 400.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import icalendar
import pytest

from secretariat import create_app
from secretariat.auth.models import User
from secretariat.notify import delivery
from tests.agenda.helpers import make_meeting
from tests.factories import Client, make_user, page_text

BASE = "https://secretariat.asem.example"
EVIL = "evil.example"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=[None, BASE], ids=["default base", "configured base"])
def configured_base(request, app, monkeypatch) -> str:
    """The base links must use: the testing default (nothing set), or one set by the deployment."""
    if request.param is not None:
        monkeypatch.setitem(app.config, "EXTERNAL_BASE_URL", request.param)
    return request.param or "http://localhost"


class EvilHostClient(Client):
    """A client whose every request says `Host: evil.example` (and signs in through it)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", f"http://{EVIL}")
        return super().open(*args, **kwargs)


@pytest.fixture
def evil_client(app) -> Client:
    return EvilHostClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def sent_mail(app, tmp_path, monkeypatch):
    """The messages the application's SMTP server received (a real one, on 127.0.0.1, over STARTTLS)."""
    from tests.notify.conftest import point_mail_at, start_server, trustme

    authority = trustme.CA()
    ca_file = tmp_path / "mail-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    controller, mailbox = start_server(authority)
    point_mail_at(app, monkeypatch, controller.port, str(ca_file))
    yield mailbox.messages
    controller.stop()


def _shown_link(response) -> str:
    return re.search(r'id="link" type="text" readonly value="([^"]+)"', page_text(response)).group(1)


def _admin(evil_client) -> User:
    admin = make_user("admin", partner_code="EU")
    assert evil_client.login(admin.email).status_code == 302
    return admin


def test_the_password_link_of_a_new_account_ignores_the_host_header(configured_base, evil_client, caplog):
    _admin(evil_client)
    with caplog.at_level(logging.INFO):
        response = evil_client.submit(
            "/admin/users/new",
            {"email": "new.person@example.org", "display_name": "New Person", "partner": "JP", "role": "official"},
        )
    assert response.status_code == 200
    assert _shown_link(response).startswith(f"{configured_base}/password/set/")
    assert EVIL not in page_text(response)
    assert EVIL not in caplog.text
    assert f"{configured_base}/password/set/" in caplog.text  # the line the administrator may look up


def test_the_password_link_of_a_reset_ignores_the_host_header(configured_base, evil_client, caplog):
    _admin(evil_client)
    user = make_user("official")
    with caplog.at_level(logging.INFO):
        response = evil_client.submit(f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}")
    assert response.status_code == 200
    link = _shown_link(response)
    assert link.startswith(f"{configured_base}/password/set/")
    assert EVIL not in caplog.text and EVIL not in page_text(response)
    # and the link works, on the path it names
    anonymous = Client(evil_client.application)
    assert anonymous.get(link.removeprefix(configured_base)).status_code == 200


def test_the_mailed_password_link_ignores_the_host_header(configured_base, evil_client, sent_mail):
    _admin(evil_client)
    user = make_user("official")
    evil_client.submit(
        "/admin/users/new",
        {"email": "mailed@example.org", "display_name": "Mailed", "partner": "FR", "role": "observer"},
    )
    evil_client.submit(f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}")
    delivery.deliver_due()  # the worker's turn: the links go through the outbox
    assert [m["To"] for m in sent_mail] == ["mailed@example.org", user.email]
    for message in sent_mail:
        body = message.get_body(("plain",)).get_content()
        assert f"{configured_base}/password/set/" in body and EVIL not in body


def test_the_command_line_link_uses_the_configured_base(configured_base, runner):
    result = runner.invoke(args=["create-user", "cli@example.org", "--role", "observer", "--partner", "JP", "--link"])
    assert f"Password link (valid once): {configured_base}/password/set/" in result.stdout


def test_the_calendar_feed_address_ignores_the_host_header(configured_base, evil_client, app):
    evil_client.login(make_user("official").email)
    page = page_text(evil_client.submit("/meetings/calendar", {"action": "create"}))
    address = re.search(r'value="([^"]*/meetings/feed/[^"]+\.ics)"', page).group(1)
    assert address.startswith(f"{configured_base}/meetings/feed/")
    assert EVIL not in page
    # the address works
    assert app.test_client().get(address.removeprefix(configured_base)).status_code == 200


def test_event_urls_in_calendars_ignore_the_host_header(configured_base, evil_client, app):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title="SOM in Brussels")
    evil_client.login(make_user("official").email)
    page = page_text(evil_client.submit("/meetings/calendar", {"action": "create"}))
    feed = re.search(r'value="[^"]*(/meetings/feed/[^"]+\.ics)"', page).group(1)
    downloads = [evil_client.get(f"/meetings/{meeting.id}/calendar.ics"), evil_client.get(feed)]
    for response in downloads:
        assert response.status_code == 200
        assert EVIL.encode() not in response.data
        (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
        assert str(event["URL"]) == f"{configured_base}/meetings/{meeting.id}"
        assert str(event["DESCRIPTION"]).endswith(f"\n{configured_base}/meetings/{meeting.id}")


# --- production settings ----------------------------------------------------------------------


def _production(database_url, **settings):
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40, "TRUSTED_PROXIES": 0, **settings}
    return create_app("production", settings)


@pytest.mark.parametrize("base", [None, "", "secretariat.asem.example", "http://secretariat.asem.example", "https://"])
def test_production_refuses_to_start_without_an_https_external_base_url(database_url, base):
    with pytest.raises(RuntimeError, match="EXTERNAL_BASE_URL"):
        _production(database_url, EXTERNAL_BASE_URL=base)


def test_production_accepts_only_the_hosts_it_trusts(database_url, caplog):
    app = _production(database_url, EXTERNAL_BASE_URL=BASE + "/")
    assert app.config["EXTERNAL_BASE_URL"] == BASE
    assert app.config["TRUSTED_HOSTS"] == ["secretariat.asem.example"]
    client = app.test_client()
    assert client.get("/login", base_url=BASE).status_code == 200
    with caplog.at_level(logging.INFO):
        refused = client.get("/login", headers={"Host": EVIL})
    body = page_text(refused)
    assert refused.status_code == 400
    assert "Bad request" in body and re.search(r"[0-9a-f]{12}", body)
    assert "Traceback" not in body and "SecurityError" not in body and EVIL not in body
    assert "Traceback" not in caplog.text
    assert refused.headers["Cache-Control"].endswith("no-store")


def test_production_takes_its_trusted_hosts_from_the_setting(database_url):
    app = _production(database_url, EXTERNAL_BASE_URL=BASE, TRUSTED_HOSTS="secretariat.asem.example, 10.0.0.5")
    assert app.config["TRUSTED_HOSTS"] == ["secretariat.asem.example", "10.0.0.5"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": EVIL}).status_code == 400


def test_a_forwarded_host_is_checked_too_behind_a_trusted_proxy(database_url):
    app = _production(database_url, EXTERNAL_BASE_URL=BASE, TRUSTED_PROXIES=1)
    client = app.test_client()
    good = {"Host": "secretariat.asem.example", "X-Forwarded-Host": "secretariat.asem.example"}
    assert client.get("/healthz", headers=good).status_code == 200
    forged = {"Host": "secretariat.asem.example", "X-Forwarded-Host": EVIL}
    assert client.get("/healthz", headers=forged).status_code == 400


def test_without_a_proxy_a_forwarded_host_is_ignored(database_url):
    app = _production(database_url, EXTERNAL_BASE_URL=BASE)
    forged = {"Host": "secretariat.asem.example", "X-Forwarded-Host": EVIL}
    assert app.test_client().get("/healthz", headers=forged).status_code == 200


def test_development_and_testing_have_a_base_that_works_without_settings(database_url, monkeypatch):
    monkeypatch.delenv("EXTERNAL_BASE_URL", raising=False)
    assert create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url}).config["EXTERNAL_BASE_URL"] == (
        "http://localhost"
    )
    development = create_app("development", {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40})
    assert development.config["EXTERNAL_BASE_URL"] == "http://127.0.0.1:5000"
    assert development.config["TRUSTED_HOSTS"] is None


# --- no other way to an absolute URL ----------------------------------------------------------

#: what builds a URL from the request's host: Flask's external url_for and werkzeug's request URLs
FROM_THE_REQUEST = re.compile(
    r"_external\s*=|\bhost_url\b|\burl_root\b|\brequest\.host\b|\brequest\.url\b|\bbase_url\b|SERVER_NAME"
)


def test_nothing_builds_an_absolute_url_from_the_request():
    offenders = []
    for folder, pattern in (("secretariat", "*.py"), ("templates", "*.html")):
        for path in sorted((PROJECT / folder).rglob(pattern)):
            if path.name == "external_links.py":  # the one place that knows the request's host
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if FROM_THE_REQUEST.search(line):
                    offenders.append(f"{path.relative_to(PROJECT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("path", ["/meetings", "/meetings//1", "/archive//records/1", "/programme"])
def test_routing_redirects_do_not_name_the_requested_host(client, path):
    """Werkzeug's own redirects (a missing trailing slash, doubled slashes) were absolute URLs on
    the Host header; they stay on the site, as a path, and never become protocol-relative."""
    response = client.get(path, headers={"Host": EVIL})
    location = response.headers["Location"]
    assert response.status_code in (301, 302, 308)
    assert EVIL not in location
    assert location.startswith("/") and not location.startswith("//")
    assert EVIL not in page_text(response)
