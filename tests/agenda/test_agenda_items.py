"""Building an agenda: adding, numbering, moving, indenting, removing; timetable; revisions."""

import json
from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa

from secretariat.agenda import items, timetable
from secretariat.agenda.models import AgendaRevision
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.agenda.helpers import add, item_form, make_meeting, numbering
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def agenda(coordinator):
    meeting = make_meeting(coordinator)
    one = add(meeting, coordinator, "Opening")
    two = add(meeting, coordinator, "Connectivity")
    two_one = add(meeting, coordinator, "Transport links", parent=two)
    two_two = add(meeting, coordinator, "Digital links", parent=two)
    three = add(meeting, coordinator, "Any other business")
    return meeting, {"1": one, "2": two, "2.1": two_one, "2.2": two_two, "3": three}


def test_items_are_numbered_in_reading_order(agenda):
    meeting, _ = agenda
    assert numbering(meeting) == [
        ("1", "Opening"),
        ("2", "Connectivity"),
        ("2.1", "Transport links"),
        ("2.2", "Digital links"),
        ("3", "Any other business"),
    ]


def test_move_up_and_down_renumber(agenda, coordinator):
    meeting, it = agenda
    items.move_item(meeting, it["3"], "up", actor=coordinator)
    db.session.commit()
    assert [t for _, t in numbering(meeting)] == [
        "Opening",
        "Any other business",
        "Connectivity",
        "Transport links",
        "Digital links",
    ]
    items.move_item(meeting, it["2.2"], "up", actor=coordinator)
    db.session.commit()
    assert numbering(meeting)[3:] == [("3.1", "Digital links"), ("3.2", "Transport links")]


def test_indent_and_outdent(agenda, coordinator):
    meeting, it = agenda
    items.move_item(meeting, it["3"], "indent", actor=coordinator)
    db.session.commit()
    assert numbering(meeting)[-1] == ("2.3", "Any other business")
    items.move_item(meeting, it["2.1"], "outdent", actor=coordinator)
    db.session.commit()
    assert numbering(meeting) == [
        ("1", "Opening"),
        ("2", "Connectivity"),
        ("2.1", "Digital links"),
        ("2.2", "Any other business"),
        ("3", "Transport links"),
    ]


def test_indent_moves_sub_items_along(agenda, coordinator):
    meeting, it = agenda
    items.move_item(meeting, it["2"], "indent", actor=coordinator)
    db.session.commit()
    assert numbering(meeting)[:4] == [
        ("1", "Opening"),
        ("1.1", "Connectivity"),
        ("1.1.1", "Transport links"),
        ("1.1.2", "Digital links"),
    ]


def test_depth_is_limited(agenda, coordinator):
    meeting, it = agenda
    items.move_item(meeting, it["2"], "indent", actor=coordinator)
    db.session.commit()
    with pytest.raises(items.MoveRefused, match="levels deep"):
        items.move_item(meeting, it["2.2"], "indent", actor=coordinator)


def test_move_to_position(agenda, coordinator):
    meeting, it = agenda
    assert items.move_item(meeting, it["3"], "position", actor=coordinator, target="1") == "1"
    db.session.commit()
    assert numbering(meeting)[0] == ("1", "Any other business")
    assert items.move_item(meeting, it["1"], "position", actor=coordinator, target="3.1") == "2.1"
    db.session.commit()
    assert ("2.1", "Opening") in numbering(meeting)


@pytest.mark.parametrize("target, message", [("x", "digits"), ("9.1", "no item 9"), ("2.1.1.1", "levels deep")])
def test_bad_move_targets_are_refused_with_a_reason(agenda, coordinator, target, message):
    meeting, it = agenda
    with pytest.raises(items.MoveRefused, match=message):
        items.move_item(meeting, it["1"], "position", actor=coordinator, target=target)


def test_item_cannot_move_into_itself(agenda, coordinator):
    meeting, it = agenda
    with pytest.raises(items.MoveRefused, match="itself"):
        items.move_item(meeting, it["2"], "position", actor=coordinator, target="2.1")


def test_first_item_cannot_move_up(agenda, coordinator):
    meeting, it = agenda
    with pytest.raises(items.MoveRefused, match="already the first"):
        items.move_item(meeting, it["1"], "up", actor=coordinator)


def test_delete_removes_sub_items_and_renumbers(agenda, coordinator):
    meeting, it = agenda
    items.delete_item(meeting, it["2"], actor=coordinator)
    db.session.commit()
    assert numbering(meeting) == [("1", "Opening"), ("2", "Any other business")]


def test_every_save_is_a_revision_with_who_and_what(agenda, coordinator):
    meeting, it = agenda
    items.move_item(meeting, it["3"], "up", actor=coordinator)
    db.session.commit()
    revisions = db.session.scalars(
        sa.select(AgendaRevision).where(AgendaRevision.meeting_id == meeting.id).order_by(AgendaRevision.number)
    ).all()
    assert [r.number for r in revisions] == [1, 2, 3, 4, 5, 6]
    last = revisions[-1]
    assert last.actor_label == coordinator.email
    assert last.summary == "Moved item 3 “Any other business” to 2"
    assert [i["title"] for i in json.loads(last.snapshot)["items"]][1] == "Any other business"


def test_changes_are_audited_with_diffs(agenda, coordinator, client):
    meeting, it = agenda
    client.login(coordinator.email)
    client.submit(
        f"/meetings/{meeting.id}/items/{it['1'].id}/edit",
        item_form("Opening session", item_type="information", duration_minutes="15", version="1"),
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agenda.item.update"))
    diff = json.loads(entry.details)["diff"]
    assert diff["title"] == ["Opening", "Opening session"]
    assert diff["item_type"] == ["discussion", "information"]
    assert diff["duration_minutes"] == [30, 15]
    moves = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("agenda.%"))).all()
    assert moves.count("agenda.item.create") == 5


def test_add_item_through_the_form_keeps_input_on_error(agenda, coordinator, client):
    meeting, _ = agenda
    client.login(coordinator.email)
    response = client.submit(
        f"/meetings/{meeting.id}/items/new",
        {"title": "", "item_type": "decision", "description_source": "Text I typed", "duration_minutes": "-5"},
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "Text I typed" in body and "This field is required" in body
    assert "Number must be between 0 and 1440" in body


def test_move_through_plain_forms(agenda, coordinator, client):
    meeting, it = agenda
    client.login(coordinator.email)
    response = client.submit(
        f"/meetings/{meeting.id}/items/{it['3'].id}/move", {"action": "up"}, page=f"/meetings/{meeting.id}"
    )
    assert response.status_code == 302
    follow = page_text(client.get(response.headers["Location"]))
    assert "is now number 2" in follow
    response = client.submit(
        f"/meetings/{meeting.id}/items/{it['1'].id}/move", {"action": "up"}, page=f"/meetings/{meeting.id}"
    )
    assert "already the first" in page_text(client.get(response.headers["Location"]))


def test_timetable_follows_durations_and_fixed_starts():
    rows = [
        {"id": 1, "duration_minutes": 45},
        {"id": 2, "duration_minutes": 30},
        {"id": 3, "duration_minutes": 60, "fixed_start": "2027-03-11T09:30"},
    ]
    slots = timetable.compute(
        rows, start_date=datetime(2027, 3, 10).date(), start_time=time(9, 0), time_zone="Europe/Brussels"
    )
    assert [slots[i].label for i in (1, 2, 3)] == ["09:00–09:45", "09:45–10:15", "09:30–10:30"]
    assert slots[3].start.date().isoformat() == "2027-03-11"


def test_timetable_across_midnight_stays_in_the_venue_zone():
    rows = [{"id": 1, "duration_minutes": 90}, {"id": 2, "duration_minutes": 60}]
    slots = timetable.compute(
        rows, start_date=datetime(2027, 11, 5).date(), start_time=time(22, 45), time_zone="Asia/Phnom_Penh"
    )
    assert slots[1].label == "22:45–00:15"
    assert slots[2].start.date().isoformat() == "2027-11-06"
    assert slots[2].start.utcoffset().total_seconds() == 7 * 3600


def test_timetable_across_a_daylight_saving_change():
    rows = [{"id": 1, "duration_minutes": 120}, {"id": 2, "duration_minutes": 60}]
    # Europe/Brussels leaves summer time at 03:00 on 31 October 2027: clocks go back to 02:00.
    slots = timetable.compute(
        rows, start_date=datetime(2027, 10, 31).date(), start_time=time(1, 0), time_zone="Europe/Brussels"
    )
    assert slots[1].label == "01:00–02:00"  # two real hours later the clock reads 02:00 again
    assert (slots[2].start.astimezone(UTC) - slots[1].start.astimezone(UTC)).total_seconds() == 7200


def test_timetable_shown_on_the_meeting_page_in_the_host_zone(coordinator, client):
    meeting = make_meeting(coordinator, host="KH", start_time=time(8, 30))
    add(meeting, coordinator, "Welcome", duration_minutes=20)
    add(meeting, coordinator, "Coffee", item_type="break", duration_minutes=15)
    add(meeting, coordinator, "Statements")
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Phnom Penh time" in body
    assert "08:30–08:50" in body and "08:50–09:05" in body and "09:05–09:35" in body


def test_an_item_with_sub_items_spans_them():
    rows = [
        {"id": 1, "depth": 1, "duration_minutes": 0},
        {"id": 2, "depth": 2, "duration_minutes": 45},
        {"id": 3, "depth": 2, "duration_minutes": 20},
        {"id": 4, "depth": 1, "duration_minutes": 15},
    ]
    slots = timetable.compute(
        rows, start_date=datetime(2027, 3, 10).date(), start_time=time(9, 30), time_zone="Europe/Brussels"
    )
    assert slots[1].label == "09:30–10:35"
    assert slots[4].label == "10:35–10:50"
