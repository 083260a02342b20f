"""Circulating and adopting an agenda ask first, saying what will happen and to whom: a confirmation
page without JavaScript (the action's POST without ``confirmed`` answers with it), a dialog with it."""

import pytest

from secretariat.agenda import services
from secretariat.agenda.models import Meeting
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def drafting(coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting")
    for code in ("JP", "VN", "FR"):
        make_user("official", partner_code=code)
    make_user("observer", partner_code="JP")
    return meeting


def _status(meeting) -> str:
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id).status


def test_circulating_shows_what_happens_and_to_whom_first(client, coordinator, drafting):
    client.login(coordinator.email)
    url = f"/meetings/{drafting.id}/status"
    page = page_text(client.get(url + "?target=circulated"))
    assert "Circulate agenda v1 to 3 partners?" in page and "3 partners (4 people)" in page
    assert "can never change" in page and 'name="confirmed" value="yes"' in page
    response = client.submit(
        url, {"target": "circulated", "note": "Please comment by Friday"}, page=f"/meetings/{drafting.id}"
    )
    body = page_text(response)
    assert response.status_code == 200 and "Circulate agenda v1 to 3 partners?" in body
    assert 'name="note" value="Please comment by Friday"' in body  # the note is carried to the confirmation
    assert _status(drafting) == "drafting" and services.version_numbers(drafting) == []
    done = client.submit(
        url,
        {"target": "circulated", "note": "Please comment by Friday", "confirmed": "yes"},
        page=f"/meetings/{drafting.id}",
    )
    assert done.status_code == 302 and _status(drafting) == "circulated"
    assert services.version_numbers(drafting) == [1]


def test_adopting_the_agenda_asks_first(client, coordinator, drafting):
    set_status(drafting, coordinator, "circulated")
    client.login(coordinator.email)
    url = f"/meetings/{drafting.id}/status"
    response = client.submit(url, {"target": "adopted"}, page=f"/meetings/{drafting.id}")
    body = page_text(response)
    assert "Adopt agenda v2 to 3 partners?" in body and "can no longer be added, changed or removed" in body
    assert _status(drafting) == "circulated"
    assert (
        client.submit(url, {"target": "adopted", "confirmed": "yes"}, page=f"/meetings/{drafting.id}").status_code
        == 302
    )
    assert _status(drafting) == "adopted"


def test_the_meeting_page_holds_the_dialogs(client, coordinator, drafting):
    client.login(coordinator.email)
    page = page_text(client.get(f"/meetings/{drafting.id}"))
    assert '<dialog id="confirm-circulated"' in page and 'data-confirm="confirm-circulated"' in page
    assert "Circulate agenda v1 to 3 partners?" in page and "/static/js/confirm.js" in page
    assert " onclick" not in page and "<script>" not in page  # no inline handlers or scripts (CSP)


def test_a_status_change_that_informs_nobody_does_not_ask(client, coordinator):
    meeting = make_meeting(coordinator)
    client.login(coordinator.email)
    response = client.submit(f"/meetings/{meeting.id}/status", {"target": "drafting"}, page=f"/meetings/{meeting.id}")
    assert response.status_code == 302 and _status(meeting) == "drafting"
