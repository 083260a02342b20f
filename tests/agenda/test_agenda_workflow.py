"""Who sees what, publishing and freezing versions, comparison, proposals, conflicts, minutes."""

import json
import re

import pytest
import sqlalchemy as sa

from secretariat.agenda import items, services
from secretariat.agenda.models import ActionPoint, AgendaVersion, ItemProposal
from secretariat.extensions import db
from tests.agenda.helpers import add, ids_in, item_form, make_meeting, numbering, set_status
from tests.factories import make_user, page_text, path_of
from tests.html_checks import executable_bits


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def drafted(coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening", coordinator_notes="Secret seating plan")
    add(meeting, coordinator, "Connectivity")
    set_status(meeting, coordinator, "drafting")
    return meeting


# --- who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["official", "observer", "admin"])
def test_partners_never_see_a_draft(client, login_as, drafted, role):
    login_as(role)
    body = page_text(client.get(f"/meetings/{drafted.id}"))
    assert "has not been circulated" in body
    assert "Opening" not in body and "Connectivity" not in body
    assert client.get(f"/meetings/{drafted.id}/print?draft=1").status_code == 404
    assert "Opening" not in page_text(client.get(f"/meetings/{drafted.id}/compare?from=draft&to=draft"))
    assert "Opening" not in page_text(client.get(f"/meetings/{drafted.id}/as-of?date=2100-01-01"))


def test_partners_see_the_circulated_version_not_later_draft_changes(client, login_as, drafted, coordinator):
    set_status(drafted, coordinator, "circulated")
    add(drafted, coordinator, "Late secret addition")
    login_as("official")
    body = page_text(client.get(f"/meetings/{drafted.id}"))
    assert "Opening" in body and "Connectivity" in body and "v1" in body
    assert "Late secret addition" not in body
    assert "Secret seating plan" not in body  # coordinators' notes never leave the draft


def test_coordinators_see_the_working_draft_with_notes(client, drafted, coordinator):
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{drafted.id}"))
    assert "working draft" in body and "Secret seating plan" in body


@pytest.mark.parametrize("role", ["official", "observer", "admin"])
def test_only_coordinators_may_change_agendas(client, login_as, drafted, role):
    login_as(role)
    item_id = ids_in(page_text(client.get(f"/meetings/{drafted.id}")))  # none shown to them
    assert item_id == []
    first = numbering(drafted)[0]
    item = db.session.scalars(sa.select(items.AgendaItem).where(items.AgendaItem.title == first[1])).one()
    urls = [
        (f"/meetings/{drafted.id}/items/new", item_form("Hijack")),
        (f"/meetings/{drafted.id}/items/{item.id}/edit", item_form("Hijack", version="1")),
        (f"/meetings/{drafted.id}/items/{item.id}/move", {"action": "down"}),
        (f"/meetings/{drafted.id}/items/{item.id}/delete", {}),
        (f"/meetings/{drafted.id}/status", {"target": "circulated"}),
        (f"/meetings/{drafted.id}/edit", {"title": "Hijack"}),
        ("/meetings/new", {"title": "Hijack"}),
        (f"/meetings/{drafted.id}/minutes", {"summary": "Hijack"}),
    ]
    for url, data in urls:
        assert client.submit(url, data, page="/").status_code == 403, url
    assert [t for _, t in numbering(drafted)] == ["Opening", "Connectivity"]


def test_coordinators_meetings_are_hidden_from_partners(client, login_as, coordinator):
    secret = make_meeting(coordinator, title="Coordinators' retreat", kind="coordinators")
    login_as("official")
    assert client.get(f"/meetings/{secret.id}").status_code == 404
    assert "Coordinators&#39; retreat" not in page_text(client.get("/meetings/"))
    assert "retreat" not in page_text(client.get("/meetings/export.csv"))


# --- publishing and versions --------------------------------------------------------------------


def test_circulating_and_adopting_freeze_numbered_versions(drafted, coordinator):
    set_status(drafted, coordinator, "circulated")
    add(drafted, coordinator, "Date of next meeting")
    set_status(drafted, coordinator, "circulated", "adopted")
    versions = services.versions(drafted)
    assert [(v.number, v.kind) for v in versions] == [(1, "circulated"), (2, "circulated"), (3, "adopted")]
    v1 = json.loads(versions[0].snapshot)["items"]
    assert [i["title"] for i in v1] == ["Opening", "Connectivity"]
    assert "coordinator_notes" not in v1[0]


def test_circulating_an_unchanged_agenda_is_refused(drafted, coordinator):
    set_status(drafted, coordinator, "circulated")
    with pytest.raises(services.TransitionRefused, match="not changed since v1"):
        services.change_status(drafted, "circulated", actor=coordinator)


def test_empty_agenda_cannot_be_circulated(coordinator):
    meeting = make_meeting(coordinator)
    set_status(meeting, coordinator, "drafting")
    with pytest.raises(services.TransitionRefused, match="no items"):
        services.change_status(meeting, "circulated", actor=coordinator)


def test_illegal_transition_is_refused_with_a_message(client, drafted, coordinator):
    client.login(coordinator.email)
    response = client.submit(f"/meetings/{drafted.id}/status", {"target": "closed"}, page=f"/meetings/{drafted.id}")
    assert "cannot go to" in page_text(client.get(path_of(response)))


def test_a_frozen_version_cannot_change_through_any_route(app, client, drafted, coordinator):
    set_status(drafted, coordinator, "circulated", "adopted")
    frozen = {v.id: (v.snapshot, v.snapshot_sha256) for v in services.versions(drafted)}
    client.login(coordinator.email)
    item_ids = ids_in(page_text(client.get(f"/meetings/{drafted.id}")))
    from tests.routes import concrete_url

    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not rule.rule.startswith("/meetings"):
            continue
        url = concrete_url(rule).replace("/1/", f"/{drafted.id}/", 1)
        for item_id in item_ids:
            client.submit(
                url.replace("/items/1/", f"/items/{item_id}/"),
                {
                    **item_form("Tampered", version="1"),
                    "action": "up",
                    "target": "circulated",
                    "summary": "x",
                    "reason": "x",
                },
                page="/",
            )
    db.session.expire_all()
    after = {v.id: (v.snapshot, v.snapshot_sha256) for v in services.versions(drafted)}
    assert after == frozen
    assert "Tampered" not in page_text(client.get(f"/meetings/{drafted.id}/versions/2"))
    assert "unaltered" in page_text(client.get(f"/meetings/{drafted.id}/versions/2"))


def test_adopted_agenda_is_locked(drafted, coordinator):
    set_status(drafted, coordinator, "circulated", "adopted")
    with pytest.raises(items.AgendaLocked):
        add(drafted, coordinator, "Too late")


def test_version_tampering_in_the_database_is_shown(client, drafted, coordinator):
    set_status(drafted, coordinator, "circulated")
    db.session.execute(
        sa.update(AgendaVersion).values(snapshot=sa.func.replace(AgendaVersion.snapshot, "Opening", "Forged"))
    )
    db.session.commit()
    client.login(coordinator.email)
    assert "has been altered" in page_text(client.get(f"/meetings/{drafted.id}/versions/1"))


def test_comparison_page_shows_added_removed_moved_reworded(client, login_as, drafted, coordinator):
    add(drafted, coordinator, "Dialogue on climate")
    set_status(drafted, coordinator, "circulated")
    nodes = dict((t, n) for n, t in numbering(drafted))
    by_title = {i.title: i for i in db.session.scalars(sa.select(items.AgendaItem))}
    items.update_item(
        drafted,
        by_title["Connectivity"],
        {**items.item_state(by_title["Connectivity"]), "title": "Sustainable connectivity"},
        expected_version=1,
        actor=coordinator,
    )
    items.move_item(drafted, by_title["Dialogue on climate"], "position", actor=coordinator, target="1")
    items.delete_item(drafted, by_title["Opening"], actor=coordinator)
    add(drafted, coordinator, "Next meeting")
    set_status(drafted, coordinator, "circulated")
    assert nodes  # sanity
    login_as("official")
    body = page_text(client.get(f"/meetings/{drafted.id}/compare?from=v1&to=v2"))
    assert "1 added" in body and "1 removed" in body and "1 moved" in body and "1 reworded" in body
    assert "<del>Connectivity</del>" in body.replace("\n", "") or "<ins>Sustainable" in body
    assert "Next meeting" in body and "Opening" in body


def test_agenda_as_it_stood_on_a_date(client, drafted, coordinator):
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{drafted.id}/as-of?date=2000-01-01"))
    assert "There was no agenda" in body
    body = page_text(client.get(f"/meetings/{drafted.id}/as-of?date=2100-01-01"))
    assert "Opening" in body and "Connectivity" in body
    assert client.get(f"/meetings/{drafted.id}/as-of?date=garbage").status_code == 400


# --- concurrent editing ---------------------------------------------------------------------------


def test_two_coordinators_editing_the_same_item(app, drafted, coordinator):
    other = make_user("coordinator", partner_code="KH", name="Sokha Coordinator")
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(other.email)
    item = db.session.scalars(sa.select(items.AgendaItem).where(items.AgendaItem.title == "Connectivity")).one()
    url = f"/meetings/{drafted.id}/items/{item.id}/edit"
    alice_form = alice.get(url)
    assert 'value="1"' in page_text(bob.get(url))  # both opened version 1
    assert 'name="version" type="hidden" value="1"' in page_text(alice_form)
    first = alice.submit(
        url, item_form("Connectivity and transport", version="1", description_source="Alice's paragraph")
    )
    assert first.status_code == 302
    second = bob.submit(url, item_form("Digital connectivity", version="1", description_source="Bob's paragraph"))
    body = page_text(second)
    assert second.status_code == 409
    assert "Someone else saved this item" in body
    # Without the form's base (an old page), both changed every differing field: each is a choice.
    assert 'Keep theirs: <span class="merge-choice__value">Connectivity and transport</span>' in body
    assert "Alice&#39;s paragraph</span>" in body
    assert 'value="Digital connectivity"' in body and "Bob&#39;s paragraph" in body  # Bob's typing kept
    assert 'name="version" type="hidden" value="2"' in body
    db.session.expire_all()
    assert db.session.get(items.AgendaItem, item.id).title == "Connectivity and transport"
    third = bob.submit(url, item_form("Digital connectivity", version="2", description_source="Merged"))
    assert third.status_code == 302
    db.session.expire_all()
    assert db.session.get(items.AgendaItem, item.id).title == "Digital connectivity"


def test_two_coordinators_editing_the_meeting(app, drafted, coordinator):
    other = make_user("coordinator", partner_code="SG")
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(other.email)
    url = f"/meetings/{drafted.id}/edit"
    form_data = {
        "kind": "som",
        "start_date": "2027-03-10",
        "end_date": "2027-03-11",
        "format": "hybrid",
        "host": "BE",
        "version": "1",
    }
    assert alice.submit(url, {**form_data, "title": "SOM Brussels (hybrid)"}).status_code == 302
    response = bob.submit(url, {**form_data, "title": "SOM in Brussels"})
    assert response.status_code == 409
    assert "Someone else saved this meeting" in page_text(response)
    assert 'value="SOM in Brussels"' in page_text(response)


# --- proposals --------------------------------------------------------------------------------------


def test_official_proposes_and_coordinator_accepts(app, client, drafted, coordinator):
    official = make_user("official", partner_code="TH", name="Somchai Official")
    client.login(official.email)
    response = client.submit(
        f"/meetings/{drafted.id}/propose",
        {
            "title": "Water security in the Mekong",
            "item_type": "discussion",
            "duration_minutes": "20",
            "description_source": "Thailand proposes a **short** exchange.",
        },
    )
    assert response.status_code == 302
    assert "Awaiting the coordinators" in page_text(client.get(f"/meetings/{drafted.id}"))
    proposal = db.session.scalar(sa.select(ItemProposal))
    coord = app.test_client()
    coord.login(coordinator.email)
    assert (
        coord.submit(
            f"/meetings/{drafted.id}/proposals/{proposal.id}/accept", page=f"/meetings/{drafted.id}"
        ).status_code
        == 302
    )
    assert numbering(drafted)[-1] == ("3", "Water security in the Mekong")
    lead = db.session.scalars(sa.select(items.AgendaItem).where(items.AgendaItem.title.like("Water%"))).one()
    assert [p.code for p in lead.lead_partners] == ["TH"]
    assert "Accepted: on the agenda" in page_text(client.get(f"/meetings/{drafted.id}"))


def test_coordinator_declines_with_a_reason_the_proposer_sees(app, client, drafted, coordinator):
    official = make_user("official", partner_code="MN")
    client.login(official.email)
    client.submit(f"/meetings/{drafted.id}/propose", {"title": "Steppe ecology", "item_type": "information"})
    proposal = db.session.scalar(sa.select(ItemProposal))
    coord = app.test_client()
    coord.login(coordinator.email)
    url = f"/meetings/{drafted.id}/proposals/{proposal.id}/decline"
    assert coord.submit(url, {"reason": ""}).status_code == 400
    assert coord.submit(url, {"reason": "Better placed at the environment ministers' meeting."}).status_code == 302
    assert "Better placed at the environment" in page_text(client.get(f"/meetings/{drafted.id}"))
    assert (
        coord.submit(
            f"/meetings/{drafted.id}/proposals/{proposal.id}/accept", page=f"/meetings/{drafted.id}"
        ).status_code
        == 302
    )
    assert len(numbering(drafted)) == 2  # a declined proposal cannot be accepted afterwards


def test_other_partners_do_not_see_a_proposal(app, client, drafted):
    thai = app.test_client()
    thai.login(make_user("official", partner_code="TH").email)
    thai.submit(f"/meetings/{drafted.id}/propose", {"title": "Confidential Thai idea", "item_type": "information"})
    client.login(make_user("official", partner_code="VN").email)
    assert "Confidential Thai idea" not in page_text(client.get(f"/meetings/{drafted.id}"))
    successor = app.test_client()
    successor.login(make_user("official", partner_code="TH").email)
    assert "Confidential Thai idea" in page_text(successor.get(f"/meetings/{drafted.id}"))


def test_proposals_closed_outside_drafting_and_circulation(client, login_as, coordinator):
    meeting = make_meeting(coordinator)
    login_as("official")
    response = client.submit(f"/meetings/{meeting.id}/propose", {"title": "Too early", "item_type": "information"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ItemProposal.id))) == 0


def test_observers_cannot_propose(client, login_as, drafted):
    login_as("observer")
    assert client.get(f"/meetings/{drafted.id}/propose").status_code == 403


# --- rich text ------------------------------------------------------------------------------------


XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<svg/onload=alert(1)>",
    "{{7*7}}",
]


@pytest.mark.parametrize("payload", XSS)
def test_payloads_in_titles_and_descriptions_are_inert(client, login_as, drafted, coordinator, payload):
    add(drafted, coordinator, f"Title {payload}", description_source=f"Text {payload}")
    set_status(drafted, coordinator, "circulated")
    login_as("official")
    for url in (f"/meetings/{drafted.id}", f"/meetings/{drafted.id}/versions/1", f"/meetings/{drafted.id}/print"):
        body = page_text(client.get(url))
        assert executable_bits(body) == [], url
        if "{{" in payload:
            assert "Title {{7*7}}" in body and "Title 49" not in body


# --- minutes and action points --------------------------------------------------------------------


def test_minutes_outcomes_and_action_points(app, client, drafted, coordinator):
    set_status(drafted, coordinator, "circulated", "adopted", "held")
    client.login(coordinator.email)
    page = page_text(client.get(f"/meetings/{drafted.id}/minutes"))
    field = re.search(r'name="(decision-\d+)"', page).group(1)
    response = client.submit(
        f"/meetings/{drafted.id}/minutes",
        {"summary": "The SOM met in Brussels.", field: "Agreed to **proceed**.", "version": "0"},
    )
    assert response.status_code == 302
    client.submit(
        f"/meetings/{drafted.id}/action-points",
        {"text": "Circulate a concept note", "partner": "VN", "due_date": "2027-05-01"},
        page=f"/meetings/{drafted.id}/minutes",
    )
    vietnam = app.test_client()
    vietnam.login(make_user("official", partner_code="VN").email)
    # Draft minutes, and their action points, are the coordinators' until adopted.
    assert "Circulate a concept note" not in page_text(vietnam.get("/"))
    body = page_text(vietnam.get(f"/meetings/{drafted.id}"))
    assert "The SOM met in Brussels" not in body and "Circulate a concept note" not in body
    assert (
        client.submit(
            f"/meetings/{drafted.id}/minutes/adopt", {"confirmed": "yes"}, page=f"/meetings/{drafted.id}/minutes"
        ).status_code
        == 302
    )
    body = page_text(vietnam.get(f"/meetings/{drafted.id}"))
    assert "The SOM met in Brussels" in body and "<strong>proceed</strong>" in body
    assert "Circulate a concept note" in body and "Circulate a concept note" in page_text(vietnam.get("/"))
    point = db.session.scalar(sa.select(ActionPoint))
    assert vietnam.submit(f"/meetings/action-points/{point.id}/done", {"back": "home"}).status_code == 302
    assert "Nothing is open for your partner" in page_text(vietnam.get("/"))
    again = client.submit(f"/meetings/{drafted.id}/minutes", {"summary": "Rewritten", "version": "2"})
    assert again.status_code == 302
    assert "Rewritten" not in page_text(vietnam.get(f"/meetings/{drafted.id}"))


def test_other_partner_cannot_close_an_action_point(app, client, drafted, coordinator):
    set_status(drafted, coordinator, "circulated", "adopted", "held")
    from secretariat.agenda import minutes

    point = minutes.add_action_point(
        drafted, text="Host a workshop", partner_code="VN", due=None, item_id=None, actor=coordinator
    )
    minutes.save_minutes(drafted, summary="Met.", decisions={}, expected_version=0, actor=coordinator)
    minutes.adopt(drafted, actor=coordinator)
    db.session.commit()
    client.login(make_user("official", partner_code="LA").email)
    assert client.submit(f"/meetings/action-points/{point.id}/done", page="/").status_code == 403
    db.session.refresh(point)
    assert point.done_at is None


def test_two_coordinators_writing_minutes(app, drafted, coordinator):
    set_status(drafted, coordinator, "circulated", "adopted", "held")
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(make_user("coordinator", partner_code="SG").email)
    url = f"/meetings/{drafted.id}/minutes"
    assert alice.submit(url, {"summary": "Alice's summary", "version": "0"}).status_code == 302
    response = bob.submit(url, {"summary": "Bob's summary", "version": "0"})
    assert response.status_code == 409
    body = page_text(response)
    assert "Someone else saved the minutes" in body
    assert "Bob&#39;s summary" in body and "Alice&#39;s summary" in body
