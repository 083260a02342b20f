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


def test_upcoming_meetings_in_start_order_on_every_page_and_on_the_home_page(client, login_as, meetings):
    """The meetings not over yet, soonest first, across pages; one that has begun and not ended
    comes first; a coordinators' meeting is not listed to an official. (Both databases are given
    the not-over meetings first and sort them: see core.queries.)"""
    import re
    from datetime import timedelta

    from secretariat.timeutil import utcnow
    from tests.agenda.helpers import make_meeting
    from tests.factories import make_user

    coordinator = make_user("coordinator", partner_code="EU")
    today = utcnow().date()
    # Created in a shuffled order, so the ids do not already give the expected order.
    offsets = [(n * 7) % 30 + 1 for n in range(30)]  # 30 distinct days ahead
    for days in offsets:
        start = today + timedelta(days=days * 3)
        make_meeting(coordinator, title=f"Upcoming meeting {days:02d}", start_date=start, end_date=start)
    make_meeting(coordinator, title="Running meeting", start_date=today - timedelta(days=2), end_date=today)
    make_meeting(
        coordinator, title="Ended meeting", start_date=today - timedelta(days=9), end_date=today - timedelta(days=8)
    )
    make_meeting(
        coordinator,
        title="Coordination retreat",
        kind="coordinators",
        start_date=today + timedelta(days=1),
        end_date=today + timedelta(days=1),
    )
    login_as("official")
    listed = []
    for number in (1, 2):
        body = page_text(client.get(f"/meetings/?when=upcoming&page={number}"))
        listed += re.findall(r"(Upcoming meeting \d\d|Running meeting|Ended meeting|Coordination retreat)", body)
    assert listed == ["Running meeting"] + [f"Upcoming meeting {n:02d}" for n in range(1, 31)]
    assert "Coordination retreat" not in page_text(client.get("/meetings/?when=upcoming"))
    home = page_text(client.get("/"))
    shown = re.findall(r"(Upcoming meeting \d\d|Running meeting|Coordination retreat)", home)
    assert shown == ["Running meeting"] + [f"Upcoming meeting {n:02d}" for n in range(1, 5)]
