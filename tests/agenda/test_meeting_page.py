"""The meeting page: what each reader sees of proposals, minutes, action points and the agenda,
and the links and controls each is given."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for

from secretariat.agenda import minutes, proposals, services
from secretariat.agenda.models import AgendaItem, Minutes, agenda_item_partners
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.timeutil import as_utc
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text, page_without_tokens


def _meeting_with_everything():
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting")
    thai = make_user("official", partner_code="TH")
    lao = make_user("official", partner_code="LA")
    proposals.propose(meeting, {"title": "Mekong <water>", "item_type": "discussion"}, actor=thai)
    declined = proposals.propose(
        meeting, {"title": "Lao rice", "item_type": "information", "description_source": "A **short** one."}, actor=lao
    )
    proposals.decline(meeting, declined, "Next year & later", actor=coordinator)
    db.session.commit()
    set_status(meeting, coordinator, "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="The SOM *met*.", decisions={}, expected_version=0, actor=coordinator)
    for text, code, due in (("Thai task", "TH", date(2027, 5, 1)), ("Lao task", "LA", None), ("Done task", "TH", None)):
        minutes.add_action_point(meeting, text=text, partner_code=code, due=due, item_id=None, actor=coordinator)
    db.session.commit()
    done = [p for p in minutes.action_points(meeting) if p.text == "Done task"][0]
    # Noon in Bangkok, where the Thai official reads it: the same day in every zone of the partners
    # (the time of day the test ran once made it 4 June there).
    done.done_at = datetime(2027, 6, 3, 5, 0, tzinfo=UTC)
    db.session.commit()
    return coordinator, thai, meeting


def test_an_official_sees_own_proposals_adopted_minutes_and_own_controls(app, client):
    coordinator, thai, meeting = _meeting_with_everything()
    client.login(thai.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "<td><strong>Mekong &lt;water&gt;</strong></td>\n        <td>Thailand</td>" in body
    assert "Awaiting the coordinators" in body and "Lao rice" not in body  # another partner's proposal
    assert "The SOM" not in body and "Print view of the minutes" not in body  # draft minutes
    assert "Thai task" not in body and "Mark done" not in body  # and their action points
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "<em>met</em>" in body and "Print view of the minutes" in body
    assert "<td>Thai task</td><td>Thailand</td><td>1 May 2027</td>" in body
    assert "<td>Lao task</td><td>Lao PDR</td><td></td>" in body
    assert "Done 3 June 2027" in body
    assert body.count("Mark done") == 1 and 'Mark done<span class="visually-hidden">: Thai task' in body
    # The day as the reader sees it: in Thailand's zone (past 17:00 UTC it is already the next day there).
    bangkok = ZoneInfo(db.session.scalar(sa.select(Partner.time_zone).where(Partner.code == "TH")))
    adopted_at = as_utc(db.session.scalar(sa.select(Minutes.adopted_at))).astimezone(bangkok)
    assert f"adopted {adopted_at.strftime('%-d %B %Y')}" in body


def test_a_coordinator_sees_every_proposal_draft_minutes_and_all_controls(app, client):
    coordinator, _, meeting = _meeting_with_everything()
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Mekong &lt;water&gt;" in body and "Declined: Next year &amp; later" in body
    assert "<strong>short</strong>" in body  # the description's stored HTML
    assert '<span class="badge">draft</span>' in body and "<em>met</em>" in body
    assert body.count("Mark done") == 2  # every open point, whoever is responsible
    assert "v2" in body and services.latest_version(meeting).number == 2


def test_the_minutes_pages_still_name_the_responsible_partner(app, client):
    # They read the action points as objects (ap.responsible_partner.name): a row there would print nothing.
    coordinator, _, meeting = _meeting_with_everything()
    client.login(coordinator.email)
    assert "Thai task — Thailand, due 1 May 2027" in page_text(client.get(f"/meetings/{meeting.id}/minutes"))
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    assert "<td>Lao task</td><td>Lao PDR</td>" in page_text(client.get(f"/meetings/{meeting.id}/minutes/print"))


def test_officials_meeting_page_links(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    login_as("official")
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert f'<li><a href="/meetings/{meeting.id}" aria-current="page">Meeting and agenda</a></li>' in body
    assert f'href="/meetings/{meeting.id}/edit"' not in body and "Print the draft" not in body


def test_coordinators_meeting_page_links(client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/edit"' in body and f'action="/meetings/{meeting.id}/status"' in body
    assert f'href="/meetings/{meeting.id}/items/new"' in body


def _adopted(coordinator):
    meeting = make_meeting(coordinator)
    opening = add(meeting, coordinator, "Opening", lead_partners=["JP"], coordinator_notes="Seating plan")
    add(meeting, coordinator, "Connectivity", parent=opening, duration_minutes=45)
    set_status(meeting, coordinator, "drafting", "circulated", "adopted")
    return meeting, opening


def test_adopted_draft_follows_changes_and_shows_notes(app, client):
    """An adopted agenda's draft shows coordinators their notes, no controls, and every change."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting, opening = _adopted(coordinator)
    client.login(coordinator.email)
    first = page_without_tokens(client.get(f"/meetings/{meeting.id}"))
    assert "Seating plan" in first and "Opening" in first and "item-controls" not in first
    # Changes behind the application's back.
    db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == opening.id)
        .values(title="Opening <b>", coordinator_notes="New plan")
    )
    db.session.execute(sa.update(Partner).where(Partner.code == "JP").values(name="Nippon"))
    db.session.commit()
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Opening &lt;b&gt;" in body and "New plan" in body and "Seating plan" not in body
    assert "Lead: Nippon" in body
    # A lead partner added to an item changes no item row.
    vn = db.session.scalar(sa.select(Partner.id).where(Partner.code == "VN"))
    db.session.execute(sa.insert(agenda_item_partners).values(item_id=opening.id, partner_id=vn))
    db.session.commit()
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Lead: Nippon, " in body


def test_editable_draft_controls(app, client):
    """One "Edit" per item on the meeting page; the moves, adding next to it and removing it are on the
    item's edit page, offered only where they make sense."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    top = add(meeting, coordinator, "Opening")
    sub = add(meeting, coordinator, "Sub", parent=top)
    subsub = add(meeting, coordinator, "Subsub", parent=sub)
    set_status(meeting, coordinator, "drafting")
    client.login(coordinator.email)
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "/move" not in body and body.count(">Edit<") == 3
    with app.test_request_context():
        for item, number in ((top, "1"), (sub, "1.1"), (subsub, "1.1.1")):
            edit = url_for("agenda.edit_item", meeting_id=meeting.id, item_id=item.id)
            assert f'href="{edit}"' in body
            page = client.get(edit).get_data(as_text=True)
            move = url_for("agenda.move_item", meeting_id=meeting.id, item_id=item.id)
            assert page.count(f'action="{move}"') == (1 if item is top else 2)  # only child: out a level; move to
            assert f'href="{url_for("agenda.delete_item", meeting_id=meeting.id, item_id=item.id)}"' in page
            assert f'aria-label="Move item {number}"' in page
            assert f'<label for="target-{item.id}">Move item {number} to number</label>' in page
            assert f'href="{url_for("agenda.add_item", meeting_id=meeting.id, after_id=item.id)}"' in page
            has_add_sub = f'href="{url_for("agenda.add_item", meeting_id=meeting.id, parent_id=item.id)}"' in page
            assert has_add_sub == (item is not subsub)  # no sub-item below the third level
    assert "Move out a level" in page_text(client.get(f"/meetings/{meeting.id}/items/{sub.id}/edit"))
