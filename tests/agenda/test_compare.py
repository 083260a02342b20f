"""Comparing two agenda versions: additions, removals, moves, rewording and field changes."""

import pytest
from flask import get_template_attribute

from secretariat.agenda.compare import compare_items, summarize, word_diff


@pytest.fixture(autouse=True)
def _templates(app):
    """The diffs are marked up by the template's macro: it needs the application."""


def html(segments) -> str:
    """A word diff as agenda/_changes.html writes it."""
    return str(get_template_attribute("agenda/_changes.html", "diff")(segments))


def item(id, number, title, parent_id=None, **fields):
    """A snapshot item with plain defaults; depth follows from the number."""
    return {
        "id": id,
        "number": number,
        "parent_id": parent_id,
        "depth": number.count(".") + 1,
        "title": title,
        "item_type": "discussion",
        "description_source": "",
        "presenter": "",
        "lead_partners": [],
        "duration_minutes": 30,
        **fields,
    }


def base():
    return [
        item(1, "1", "Opening"),
        item(2, "2", "Connectivity"),
        item(3, "2.1", "Transport links", parent_id=2),
        item(4, "2.2", "Digital links", parent_id=2),
        item(5, "3", "Any other business"),
    ]


def by_id(changes):
    return {c.item_id: c for c in changes}


def kinds(changes):
    return [(c.item_id, c.kind) for c in changes]


def test_added_item_appears_in_new_order():
    new = base() + [item(6, "4", "Closing")]
    changes = compare_items(base(), new)
    assert kinds(changes)[-1] == (6, "added")
    added = by_id(changes)[6]
    assert (added.old_number, added.new_number, html(added.title_diff)) == (None, "4", "Closing")
    assert summarize(changes)["added"] == 1


def test_removed_item_is_shown_where_it_was():
    new = [item(1, "1", "Opening"), item(2, "2", "Connectivity"), item(4, "2.1", "Digital links", parent_id=2)]
    new.append(item(5, "3", "Any other business"))
    changes = compare_items(base(), new)
    assert kinds(changes) == [(1, "unchanged"), (2, "unchanged"), (3, "removed"), (4, "unchanged"), (5, "unchanged")]
    removed = by_id(changes)[3]
    assert (removed.old_number, removed.new_number, html(removed.title_diff)) == ("2.1", None, "Transport links")


def test_removed_first_items_stay_at_top_in_old_order():
    old = [item(7, "1", "Welcome"), item(8, "2", "Photo")] + [item(1, "3", "Opening")]
    changes = compare_items(old, [item(1, "1", "Opening")])
    assert kinds(changes) == [(7, "removed"), (8, "removed"), (1, "unchanged")]


def test_insertion_at_top_renumbers_without_marking_moves():
    new = [item(9, "1", "Welcome")] + [
        item(1, "2", "Opening"),
        item(2, "3", "Connectivity"),
        item(3, "3.1", "Transport links", parent_id=2),
        item(4, "3.2", "Digital links", parent_id=2),
        item(5, "4", "Any other business"),
    ]
    changes = compare_items(base(), new)
    assert kinds(changes) == [(9, "added")] + [(i, "unchanged") for i in range(1, 6)]
    assert by_id(changes)[5].old_number == "3" and by_id(changes)[5].new_number == "4"
    assert summarize(changes)["moved"] == 0


def test_swapping_two_items_marks_only_one_moved():
    old = [item(1, "1", "Opening"), item(2, "2", "Trade"), item(3, "3", "Climate"), item(4, "4", "Closing")]
    new = [item(1, "1", "Opening"), item(3, "2", "Climate"), item(2, "3", "Trade"), item(4, "4", "Closing")]
    changes = compare_items(old, new)
    moved = [c for c in changes if c.moved]
    assert len(moved) == 1
    assert moved[0].kind == "moved"
    assert moved[0].details == [f"Moved from {moved[0].old_number} to {moved[0].new_number}"]
    assert [c.item_id for c in changes] == [1, 3, 2, 4]


def test_moving_one_item_to_the_end_marks_only_that_item():
    old = [item(i, str(i), f"Item {i}") for i in range(1, 6)]
    new = [item(i, str(n), f"Item {i}") for n, i in enumerate([2, 3, 4, 5, 1], start=1)]
    changes = compare_items(old, new)
    assert [c.item_id for c in changes if c.moved] == [1]
    assert by_id(changes)[1].details == ["Moved from 1 to 5"]


def test_indenting_an_item_counts_as_a_move():
    old = [item(1, "1", "Opening"), item(2, "2", "Connectivity"), item(3, "3", "Transport links")]
    new = [item(1, "1", "Opening"), item(2, "2", "Connectivity"), item(3, "2.1", "Transport links", parent_id=2)]
    changes = compare_items(old, new)
    indented = by_id(changes)[3]
    assert indented.kind == "moved" and indented.moved
    assert indented.details == ["Moved from 3 to 2.1"]
    assert by_id(changes)[2].kind == "unchanged"


def test_reworded_title_marks_only_the_changed_words():
    old = [item(1, "1", "Approval of the agenda")]
    new = [item(1, "1", "Adoption of the provisional agenda")]
    change = compare_items(old, new)[0]
    assert change.kind == "changed" and change.reworded and not change.moved
    assert html(change.title_diff) == ("<del>Approval</del><ins>Adoption</ins> of the <ins>provisional </ins>agenda")
    assert change.description_diff is None
    assert change.details == []


def test_description_change_gives_word_diff():
    old = [item(1, "1", "Opening", description_source="Welcome by the host country.")]
    new = [item(1, "1", "Opening", description_source="Welcome by the co-chairs.")]
    change = compare_items(old, new)[0]
    assert change.reworded and change.kind == "changed"
    assert html(change.description_diff) == "Welcome by the <del>host country.</del><ins>co-chairs.</ins>"
    assert html(change.title_diff) == "Opening"


def test_field_changes_are_described_in_plain_words():
    old = [item(1, "1", "Trade", item_type="discussion", duration_minutes=30, lead_partners=["JP"], presenter="")]
    new = [
        item(1, "1", "Trade", item_type="decision", duration_minutes=45, lead_partners=["JP", "EU"], presenter="Chair")
    ]
    change = compare_items(old, new)[0]
    assert change.kind == "changed" and not change.reworded
    assert change.details == [
        "Type: for discussion → for decision",
        "Duration: 30 → 45 minutes",
        "Lead partners: JP → JP, EU",
        "Presenter: none → 'Chair'",
    ]
    assert summarize([change])["changed"] == 1 and summarize([change])["reworded"] == 0


def test_duration_removed_and_partner_order_ignored():
    old = [item(1, "1", "Break", item_type="break", duration_minutes=15, lead_partners=["JP", "EU"])]
    new = [item(1, "1", "Break", item_type="break", duration_minutes=None, lead_partners=["EU", "JP"])]
    change = compare_items(old, new)[0]
    assert change.details == ["Duration: 15 minutes → not set"]


def test_moved_and_reworded_item():
    old = [item(1, "1", "Opening"), item(2, "2", "Trade"), item(3, "3", "Climate")]
    new = [item(1, "1", "Opening"), item(3, "2", "Climate"), item(2, "3", "Trade and investment")]
    changes = by_id(compare_items(old, new))
    moved = [c for c in changes.values() if c.moved]
    assert len(moved) == 1
    trade = changes[2]
    assert trade.kind == "moved" and trade.moved and trade.reworded
    assert html(trade.title_diff) == "Trade<ins> and investment</ins>"
    assert "Moved from 2 to 3" in trade.details
    counts = summarize(list(changes.values()))
    assert counts["moved"] == 1 and counts["reworded"] == 1


def test_identical_snapshots_are_all_unchanged():
    changes = compare_items(base(), base())
    assert all(c.kind == "unchanged" and not c.details and c.description_diff is None for c in changes)
    assert summarize(changes) == {"added": 0, "removed": 0, "moved": 0, "reworded": 0, "changed": 0, "unchanged": 5}


def test_script_in_titles_and_descriptions_is_escaped():
    attack = "<script>alert(1)</script>"
    old = [item(1, "1", attack), item(2, "2", "Trade", description_source="ok")]
    new = [
        item(1, "1", attack),
        item(2, "2", f"Trade {attack}", description_source=f"<img src=x onerror=alert(1)> {attack}"),
        item(3, "3", attack),
    ]
    changes = by_id(compare_items(old, new))
    written = [html(changes[1].title_diff), html(changes[2].title_diff), html(changes[2].description_diff)]
    written.append(html(changes[3].title_diff))
    assert html(changes[1].title_diff) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    for fragment in written:
        assert "<script" not in fragment and "<img" not in fragment
    assert "<ins> &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in written[1]
    removed = compare_items(new, old)
    assert all("<script" not in html(c.title_diff) for c in removed)


def test_empty_old_version_means_everything_added():
    changes = compare_items([], base())
    assert [c.kind for c in changes] == ["added"] * 5
    assert summarize(changes)["added"] == 5


def test_empty_new_version_means_everything_removed():
    changes = compare_items(base(), [])
    assert kinds(changes) == [(i, "removed") for i in range(1, 6)]
    assert summarize(changes)["removed"] == 5


def test_word_diff_of_equal_text_has_no_tags():
    result = html(word_diff("Adoption of the agenda & minutes", "Adoption of the agenda & minutes"))
    assert result == "Adoption of the agenda &amp; minutes"
    assert "<del>" not in result and "<ins>" not in result


def test_word_diff_escapes_both_sides():
    result = html(word_diff("a <b>", "a <i>"))
    assert result == "a <del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>"
