"""Fewer steps to build an agenda: several items at once, an item right below another, a proposal placed
where it belongs, the removal that says what goes, and a parent's time spanning its sub-items."""

from datetime import datetime, time

import pytest
import sqlalchemy as sa

from secretariat.agenda import bulk, items, timetable
from secretariat.agenda.models import AgendaItem, AgendaRevision, ItemProposal
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, numbering, set_status
from tests.factories import make_user, page_text

THIRTEEN = """Opening of the meeting (10 min) [adoption]
2. Connectivity
   2.1 Transport links (30 min)
   2.2 Digital links (20 min) [decision]
Coffee break (15 min) [break]
4. Sustainable development (1 h)
    4.1 Climate (20 min)
        4.1.1 Adaptation finance (10 min)
    4.2 Water (20 min)
- Education and culture (25 min)
Any other business (10 min) [information]
Date of the next meeting (5 min)
Closing (5 min)
"""


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def meeting(coordinator):
    meeting = make_meeting(coordinator)
    set_status(meeting, coordinator, "drafting")
    return meeting


def test_lines_are_read_with_levels_durations_and_types():
    lines = bulk.parse(THIRTEEN)
    assert [(line.level, line.title, line.duration_minutes, line.item_type) for line in lines[:8]] == [
        (1, "Opening of the meeting", 10, "adoption"),
        (1, "Connectivity", None, "discussion"),
        (2, "Transport links", 30, "discussion"),
        (2, "Digital links", 20, "decision"),
        (1, "Coffee break", 15, "break"),
        (1, "Sustainable development", 60, "discussion"),
        (2, "Climate", 20, "discussion"),
        (3, "Adaptation finance", 10, "discussion"),
    ]
    assert [line.level for line in lines[8:]] == [2, 1, 1, 1, 1]
    assert bulk.problems(lines) == []
    assert bulk.parse("Welcome (1 h 30)")[0].duration_minutes == 90


def test_each_wrong_line_says_what_is_wrong():
    lines = bulk.parse("  1.1 Starts too deep\nFine (10 min)\n(15 min)\nTyped [urgent]\n1.1.1.1 Far too deep")
    assert bulk.problems(lines) == [
        "Line 1: The first line cannot be a sub-item: nothing is above it.",
        "Line 3: The line has no title.",
        "Line 4: “[urgent]” is not a type: use [information], [discussion], [decision], [adoption] or [break].",
        "Line 5: A sub-item needs an item one level up above it.",
        "Line 5: Sub-items can go 3 levels deep at most.",
    ]


def test_thirteen_items_in_one_save_with_one_revision(client, coordinator, meeting):
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/bulk"
    response = client.submit(url, {"lines": THIRTEEN, "placement": "end", "save": "1"})
    assert response.status_code == 302
    assert "13 item(s) added." in page_text(client.get(response.headers["Location"]))
    assert [n for n, _ in numbering(meeting)] == [
        "1", "2", "2.1", "2.2", "3", "4", "4.1", "4.1.1", "4.2", "5", "6", "7", "8"
    ]  # fmt: skip
    summaries = db.session.scalars(sa.select(AgendaRevision.summary).where(AgendaRevision.meeting_id == meeting.id))
    assert [s for s in summaries if s.startswith("Added")] == [
        "Added 13 items: 1, 2, 2.1, 2.2, 3, 4, 4.1, 4.1.1, 4.2, 5, 6, 7, 8"
    ]


def test_preview_shows_each_line_and_keeps_the_text_on_error(client, coordinator, meeting):
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/bulk"
    preview = page_text(client.submit(url, {"lines": THIRTEEN, "placement": "end", "preview": "1"}))
    assert "Adaptation finance" in preview and "Sub-item (level 3)" in preview and "60 min" in preview
    assert numbering(meeting) == []  # a preview saves nothing
    typed = "Opening (10 min)\n      2.1.1 Too deep at once\nClosing [soon]"
    response = client.submit(url, {"lines": typed, "placement": "end", "save": "1"})
    body = page_text(response)
    assert response.status_code == 400
    assert "Line 2: A sub-item needs an item one level up above it." in body
    assert "Line 3: “[soon]” is not a type" in body
    assert "2.1.1 Too deep at once" in body and "Closing [soon]" in body  # the text is kept as typed
    assert numbering(meeting) == []


def test_several_items_go_right_after_an_item_or_under_it(client, coordinator, meeting):
    first = add(meeting, coordinator, "Opening")
    add(meeting, coordinator, "Closing")
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/bulk"
    client.submit(url, {"lines": "Trade\n  Investment", "placement": f"after:{first.id}", "save": "1"})
    assert numbering(meeting) == [("1", "Opening"), ("2", "Trade"), ("2.1", "Investment"), ("3", "Closing")]
    client.submit(url, {"lines": "Welcome\nAdoption of the agenda", "placement": f"under:{first.id}", "save": "1"})
    assert numbering(meeting)[:3] == [("1", "Opening"), ("1.1", "Welcome"), ("1.2", "Adoption of the agenda")]
    # under a third-level place nothing may go deeper: the line says so
    deep = "A\n  B\n    C"
    response = client.submit(url, {"lines": deep, "placement": f"under:{first.id}", "save": "1"})
    assert response.status_code == 400 and "Line 3: Sub-items can go 3 levels deep at most." in page_text(response)


def test_a_placement_of_another_meeting_is_refused(client, coordinator, meeting):
    other = make_meeting(coordinator, code="SOM-X")
    stranger = add(other, coordinator, "Elsewhere")
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/bulk"
    response = client.submit(url, {"lines": "Mine", "placement": f"after:{stranger.id}", "save": "1"})
    assert response.status_code == 400 and "Choose where the items go from the list." in page_text(response)
    assert numbering(meeting) == [] and numbering(other) == [("1", "Elsewhere")]


def test_add_an_item_right_below_another(client, coordinator, meeting):
    first = add(meeting, coordinator, "Opening")
    add(meeting, coordinator, "Closing")
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/new?after_id={first.id}"
    assert "Right after item 1 “Opening”." in page_text(client.get(url))
    response = client.submit(url, {"title": "Welcome", "item_type": "information", "after_id": str(first.id)})
    assert response.status_code == 302
    assert numbering(meeting) == [("1", "Opening"), ("2", "Welcome"), ("3", "Closing")]


def test_removal_asks_first_and_names_the_sub_items(client, coordinator, meeting):
    top = add(meeting, coordinator, "Connectivity")
    add(meeting, coordinator, "Transport links", parent=top)
    add(meeting, coordinator, "Digital links", parent=top)
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/{top.id}/delete"
    page = page_text(client.get(url))
    assert "These 3 items will leave the working agenda: the item and its 2 sub-items." in page
    assert "1.1</span> Transport links" in page and "1.2</span> Digital links" in page
    assert "Remove 3 items" in page
    assert numbering(meeting) != []  # asking removed nothing
    assert client.submit(url).status_code == 302
    assert numbering(meeting) == []


def test_accepting_a_proposal_asks_where_it_goes(app, client, coordinator, meeting):
    first = add(meeting, coordinator, "Opening")
    add(meeting, coordinator, "Closing")
    official = make_user("official", partner_code="TH")
    client.login(official.email)
    client.submit(f"/meetings/{meeting.id}/propose", {"title": "Mekong water", "item_type": "discussion"})
    proposal = db.session.scalar(sa.select(ItemProposal))
    coord = app.test_client()
    coord.login(coordinator.email)
    url = f"/meetings/{meeting.id}/proposals/{proposal.id}/accept"
    meeting_page = coord.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'href="{url}"' in meeting_page  # a link to the question, not a button that appends
    question = page_text(coord.get(url))
    assert "Where it goes on the agenda" in question and "After 1 Opening" in question and "Under 1 Opening" in question
    assert coord.submit(url, {"placement": f"under:{first.id}"}).status_code == 302
    assert numbering(meeting) == [("1", "Opening"), ("1.1", "Mekong water"), ("2", "Closing")]
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.title == "Mekong water"))
    assert [p.code for p in item.lead_partners] == ["TH"]


def test_a_parent_spans_its_sub_items_which_start_with_it():
    rows = [
        {"id": 1, "depth": 1, "duration_minutes": 10},
        {"id": 2, "depth": 1, "duration_minutes": 60},  # a session of an hour ...
        {"id": 3, "depth": 2, "duration_minutes": 20},  # ... whose sub-items take 40 minutes of it
        {"id": 4, "depth": 2, "duration_minutes": 20},
        {"id": 5, "depth": 1, "duration_minutes": 15},
        {"id": 6, "depth": 1, "duration_minutes": 5},  # a parent shorter than its sub-items
        {"id": 7, "depth": 2, "duration_minutes": 30},
        {"id": 8, "depth": 3, "duration_minutes": 10},
        {"id": 9, "depth": 1, "duration_minutes": 5},
    ]
    slots = timetable.compute(
        rows, start_date=datetime(2027, 3, 10).date(), start_time=time(9, 0), time_zone="Europe/Brussels"
    )
    assert {i: slots[i].label for i in slots} == {
        1: "09:00–09:10",
        2: "09:10–10:10",
        3: "09:10–09:30",
        4: "09:30–09:50",
        5: "10:10–10:25",
        6: "10:25–10:55",
        7: "10:25–10:55",
        8: "10:25–10:35",
        9: "10:55–11:00",
    }


def test_bulk_add_refused_once_adopted(coordinator, meeting):
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "circulated", "adopted")
    with pytest.raises(items.AgendaLocked):
        items.add_items(meeting, [(1, bulk.parse("Late")[0].item_data())], actor=coordinator)


def test_before_the_first_version_only_the_draft_can_be_printed(client, coordinator, meeting):
    add(meeting, coordinator, "Opening")
    client.login(coordinator.email)
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'href="/meetings/{meeting.id}/print?draft=1"' in body
    assert f'href="/meetings/{meeting.id}/print"' not in body  # there is no version to print yet
