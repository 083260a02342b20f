"""Coordinators' meeting page: an adopted meeting's draft is cached, editable drafts' controls built in Python.

The cached draft (fragments.draft_agenda) must follow every change of what it shows; the item controls
(links.ItemControls) must give the links and forms the template gave.
"""

import sqlalchemy as sa
from flask import url_for

from secretariat.agenda.models import AgendaItem, agenda_item_partners
from secretariat.auth.models import Partner
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text, page_without_tokens


def _adopted(coordinator):
    meeting = make_meeting(coordinator)
    opening = add(meeting, coordinator, "Opening", lead_partners=["JP"], coordinator_notes="Seating plan")
    add(meeting, coordinator, "Connectivity", parent=opening, duration_minutes=45)
    set_status(meeting, coordinator, "drafting", "circulated", "adopted")
    return meeting, opening


def test_adopted_draft_follows_changes_and_shows_notes(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting, opening = _adopted(coordinator)
    client.login(coordinator.email)
    first = page_without_tokens(client.get(f"/meetings/{meeting.id}"))
    assert "Seating plan" in first and "Opening" in first and "item-controls" not in first
    assert page_without_tokens(client.get(f"/meetings/{meeting.id}")) == first  # from the cache: same page
    # Changes behind the application's back (what a cache keyed by ids would miss).
    db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == opening.id)
        .values(title="Opening <b>", coordinator_notes="New plan")  # noqa: E501
    )
    db.session.execute(sa.update(Partner).where(Partner.code == "JP").values(name="Nippon"))
    db.session.commit()
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Opening &lt;b&gt;" in body and "New plan" in body and "Seating plan" not in body
    assert "Lead: Nippon" in body
    # A lead partner added to an item changes no item row: the lead partners are in the key too.
    vn = db.session.scalar(sa.select(Partner.id).where(Partner.code == "VN"))
    db.session.execute(sa.insert(agenda_item_partners).values(item_id=opening.id, partner_id=vn))
    db.session.commit()
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Lead: Nippon, " in body


def test_editable_draft_controls(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    top = add(meeting, coordinator, "Opening")
    sub = add(meeting, coordinator, "Sub", parent=top)
    subsub = add(meeting, coordinator, "Subsub", parent=sub)
    set_status(meeting, coordinator, "drafting")
    client.login(coordinator.email)
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    with app.test_request_context():
        for item, number in ((top, "1"), (sub, "1.1"), (subsub, "1.1.1")):
            move = url_for("agenda.move_item", meeting_id=meeting.id, item_id=item.id)
            assert body.count(f'action="{move}"') == 5
            assert f'href="{url_for("agenda.edit_item", meeting_id=meeting.id, item_id=item.id)}"' in body
            assert f'href="{url_for("agenda.delete_item", meeting_id=meeting.id, item_id=item.id)}"' in body
            assert f'aria-label="Change item {number}"' in body
            assert f'<label for="target-{item.id}">Move item {number} to number</label>' in body
            has_add_sub = f'href="{url_for("agenda.add_item", meeting_id=meeting.id, parent_id=item.id)}"' in body
            assert has_add_sub == (item is not subsub)  # no sub-item below the third level
    assert body.count('name="csrf_token"') >= 15
    assert "Move out a level" in page_text(client.get(f"/meetings/{meeting.id}"))


def test_record_type_labels_are_the_enum_labels():
    import pytest

    from secretariat.agenda.views import _RECORD_TYPE_LABELS
    from secretariat.archive.models import RecordType

    assert all(_RECORD_TYPE_LABELS[t.value] == t.label for t in RecordType)
    with pytest.raises(ValueError):
        _RECORD_TYPE_LABELS["not a type"]  # as record.type_enum raised
