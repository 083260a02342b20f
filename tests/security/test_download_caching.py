"""No cache keeps a feed, a download or an export: each answers `Cache-Control: private, no-store`.

The personal calendar feed is read without a session (the token in its address is the credential),
so the rule that marked signed-in answers did not reach it: it answered with no Cache-Control at
all, and a shared proxy could have kept one person's restricted meetings.
"""

from __future__ import annotations

import re

import pytest

from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative
from tests.routes import routes


def _not_cached(response, *, private: bool = True) -> None:
    """No-store (a probe's plain "no-store" is as strict); downloads say "private" as well."""
    directives = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    assert ({"private", "no-store"} if private else {"no-store"}) <= directives, response.headers.get("Cache-Control")
    assert response.headers.get("Pragma") == "no-cache"


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_the_personal_feed_is_not_cached(app, client, coordinator):
    make_meeting(coordinator, title="SOM in Brussels")
    client.login(make_user("official").email)
    page = page_text(client.submit("/meetings/calendar", {"action": "create"}))
    feed = re.search(r'value="[^"]*(/meetings/feed/[^"]+\.ics)"', page).group(1)
    response = app.test_client().get(feed)  # a calendar application: no session
    assert response.status_code == 200 and b"SOM in Brussels" in response.data
    _not_cached(response)
    _not_cached(app.test_client().get("/meetings/feed/not-a-token.ics"))  # the refusal neither


def test_every_download_and_export_is_not_cached(client, coordinator):
    meeting = make_meeting(coordinator)
    make_initiative(coordinator, "ASEM-ECO-010")
    record = file_record(coordinator, files=[("note.txt", b"plain words"), ("statement.pdf", pdf("words"))])
    client.login(make_user("official").email)
    page = page_text(client.get(f"/archive/records/{record.id}"))
    files = sorted(set(re.findall(r'href="(/archive/records/\d+/versions/1/files/\d+)"', page)))
    assert len(files) == 2
    for url in [f"/meetings/{meeting.id}/calendar.ics", "/meetings/export.csv", "/programme/export.csv", *files]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        _not_cached(response)


def test_every_answer_but_static_files_is_not_cached(app, client):
    """Whatever a route answers, anonymous or signed in, 200 or an error: never kept by a cache."""
    for _endpoint, url in routes(app, "GET"):
        _not_cached(client.get(url), private=False)
    client.login(make_user("admin", partner_code="EU").email)
    for _endpoint, url in routes(app, "GET"):
        _not_cached(client.get(url), private=False)
    assert "no-store" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")
