"""The minutes page is one form: every button saves what was typed before doing what it says, a
half-written action point is never dropped, adopting asks first, and a stale save is merged."""

import html
import re

import pytest
import sqlalchemy as sa

from secretariat.agenda.models import ActionPoint, Minutes
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU", name="Alice Coordinator")


@pytest.fixture
def held(coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    add(meeting, coordinator, "Connectivity")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    return meeting


def _typed(client, meeting) -> dict:
    """The summary and every outcome typed, as a person fills the page."""
    page = page_text(client.get(f"/meetings/{meeting.id}/minutes"))
    data = {"summary": "The SOM met in Brussels.", "version": re.search(r'name="version" value="(\d+)"', page).group(1)}
    data["edit_base"] = re.search(r'name="edit_base" value="([^"]+)"', page).group(1)
    for n, name in enumerate(re.findall(r'name="(decision-\d+)"', page)):
        data[name] = f"Outcome {n + 1} agreed."
    return data


def _as_shown(body: str) -> dict:
    """The minutes form's fields as the page shows them (what pressing its button sends back)."""
    data = {m[0]: html.unescape(m[1]) for m in re.findall(r'name="([\w-]+)"[^>]*>([^<]*)</textarea>', body)}
    for name in ("version", "edit_base"):
        data[name] = re.search(rf'name="{name}" value="([^"]+)"', body).group(1)
    return data


def _minutes(meeting) -> Minutes | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def test_adding_an_action_point_saves_the_minutes_typed(client, coordinator, held):
    client.login(coordinator.email)
    data = _typed(client, held)
    response = client.submit(
        f"/meetings/{held.id}/minutes",
        {**data, "text": "Circulate a concept note", "partner": "VN", "due_date": "2027-05-01", "then": "action-point"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#action-points")
    saved = _minutes(held)
    assert saved.summary_source == "The SOM met in Brussels."
    page = page_text(client.get(f"/meetings/{held.id}/minutes"))
    assert "Outcome 1 agreed." in page and "Outcome 2 agreed." in page
    assert "Circulate a concept note" in page and "Action point added" in page
    assert db.session.scalar(sa.select(ActionPoint.text)) == "Circulate a concept note"


def test_an_action_point_with_an_error_keeps_everything_typed(client, coordinator, held):
    client.login(coordinator.email)
    data = _typed(client, held)
    response = client.submit(
        f"/meetings/{held.id}/minutes", {**data, "text": "Host a workshop", "partner": "", "then": "action-point"}
    )
    body = page_text(response)
    assert response.status_code == 400
    assert _minutes(held).summary_source == "The SOM met in Brussels."  # the minutes are saved
    assert "The SOM met in Brussels." in body and "Outcome 2 agreed." in body
    assert 'value="Host a workshop"' in body and "field__errors" in body  # the action point waits, with its error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionPoint)) == 0


def test_saving_with_an_action_point_half_written_keeps_it(client, coordinator, held):
    client.login(coordinator.email)
    data = _typed(client, held)
    response = client.submit(f"/meetings/{held.id}/minutes", {**data, "text": "Draft a report", "then": "save"})
    body = page_text(response)
    assert response.status_code == 400 and 'value="Draft a report"' in body and 'id="partner-error"' in body
    assert _minutes(held).summary_source == "The SOM met in Brussels."


def test_saving_with_an_action_point_written_adds_it(client, coordinator, held):
    client.login(coordinator.email)
    data = {**_typed(client, held), "text": "Draft a report", "partner": "JP", "then": "save"}
    assert client.submit(f"/meetings/{held.id}/minutes", data).status_code == 302
    assert db.session.scalar(sa.select(ActionPoint.text)) == "Draft a report"
    assert _minutes(held).summary_source == "The SOM met in Brussels."


def test_adopting_saves_then_asks_then_adopts(client, coordinator, held):
    make_user("official", partner_code="VN")
    make_user("official", partner_code="JP")
    client.login(coordinator.email)
    response = client.submit(f"/meetings/{held.id}/minutes", {**_typed(client, held), "then": "adopt"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/meetings/{held.id}/minutes/adopt")
    assert _minutes(held).summary_source == "The SOM met in Brussels."
    page = page_text(client.get(response.headers["Location"]))
    assert "Adopt the minutes and show them to 2 partners?" in page and "2 partners (2 people)" in page
    assert "can never change" in page and 'name="confirmed" value="yes"' in page
    # The action's POST without the confirmation answers with the confirmation page, and changes nothing.
    unconfirmed = client.submit(f"/meetings/{held.id}/minutes/adopt", page=f"/meetings/{held.id}/minutes")
    assert unconfirmed.status_code == 200 and "Adopt the minutes and show them" in page_text(unconfirmed)
    assert _minutes(held).status == "draft"
    done = client.submit(
        f"/meetings/{held.id}/minutes/adopt", {"confirmed": "yes"}, page=f"/meetings/{held.id}/minutes"
    )
    assert done.status_code == 302 and _minutes(held).status == "adopted"


def test_the_dialog_saves_and_adopts_in_one_step(client, coordinator, held):
    client.login(coordinator.email)
    page = page_text(client.get(f"/meetings/{held.id}/minutes"))
    assert '<dialog id="confirm-adopt-minutes"' in page and 'data-confirm="confirm-adopt-minutes"' in page
    assert "/static/js/confirm.js" in page
    response = client.submit(
        f"/meetings/{held.id}/minutes", {**_typed(client, held), "then": "adopt", "confirmed": "yes"}
    )
    assert response.status_code == 302
    saved = _minutes(held)
    assert (saved.status, saved.summary_source) == ("adopted", "The SOM met in Brussels.")


def test_a_stale_save_of_the_minutes_is_merged(app, coordinator, held):
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(make_user("coordinator", partner_code="SG", name="Bob Coordinator").email)
    url = f"/meetings/{held.id}/minutes"
    bob_form = _typed(bob, held)
    alice_form = _typed(alice, held)
    assert alice.submit(url, {**alice_form, "summary": "Alice's summary"}).status_code == 302
    # Bob changes one outcome only, leaving the summary as he found it (empty): Alice's summary survives.
    outcome = next(name for name in bob_form if name.startswith("decision-"))
    blank = {name: "" for name in bob_form if name.startswith("decision-")}
    bob_form = {**bob_form, **blank, "summary": "", outcome: "Bob's outcome"}
    response = bob.submit(url, bob_form)
    body = page_text(response)
    assert response.status_code == 409  # Alice wrote all outcomes too: Bob's one clashes
    assert "Someone else saved the minutes" in body and f'name="choose-{outcome}"' in body
    assert "Alice&#39;s summary" in body  # her summary, which Bob never touched, is in his form now
    chosen = bob.submit(url, {**_as_shown(body), f"choose-{outcome}": "mine"})
    assert chosen.status_code == 302
    assert _minutes(held).summary_source == "Alice's summary"
    page = page_text(bob.get(url))
    assert "Bob&#39;s outcome" in page and "Outcome 2 agreed." in page  # his choice, and her other outcome
