"""The meeting list and meeting pages, on the real seeded summits and ministerial meetings."""

import pytest

from secretariat import seed
from secretariat.extensions import db
from tests.factories import page_text


@pytest.fixture
def meetings(app):
    seed.seed_meetings()
    db.session.commit()


def test_list_shows_real_summits(client, login_as, meetings):
    login_as("observer")
    body = page_text(client.get("/meetings/?kind=summit"))
    assert "Bangkok" in body and "Phnom Penh" in body
    assert "Foreign Ministers" not in body.split("<tbody>")[1]


def test_filter_by_year_and_host(client, login_as, meetings):
    login_as("official")
    body = page_text(client.get("/meetings/?year=1996"))
    assert "ASEM1" in body and "ASEM2" not in body
    body = page_text(client.get("/meetings/?host=KH"))
    assert "Phnom Penh" in body and "Bangkok" not in body


def test_past_and_upcoming(client, login_as, meetings):
    login_as("official")
    past = page_text(client.get("/meetings/?when=past"))
    assert "ASEM13" in past
    upcoming = page_text(client.get("/meetings/?when=upcoming"))
    assert "No meetings match" in upcoming


def test_bad_filter_values_are_ignored_not_errors(client, login_as, meetings):
    login_as("official")
    for query in ("kind=bogus", "year=abc", "when=%27;drop", "host=%3Cscript%3E", "page=-3", "page=99999"):
        response = client.get(f"/meetings/?{query}")
        assert response.status_code == 200, query
        assert "<script>" not in page_text(response)


def test_meeting_page(client, login_as, meetings):
    login_as("observer")
    listing = page_text(client.get("/meetings/?kind=summit&year=2021"))
    import re

    meeting_id = re.search(r'href="/meetings/(\d+)"', listing).group(1)
    body = page_text(client.get(f"/meetings/{meeting_id}"))
    assert "ASEM13" in body and "Phnom Penh" in body and "Virtual" in body


def test_unknown_meeting_is_404(client, login_as):
    login_as("observer")
    assert client.get("/meetings/999999").status_code == 404


def test_pagination(client, login_as, meetings):
    login_as("observer")
    first = page_text(client.get("/meetings/"))
    assert "Next page" in first and "Page 1 of" in first
    second = client.get("/meetings/?page=2")
    assert second.status_code == 200 and "Previous page" in page_text(second)
