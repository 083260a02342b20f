"""The shortcuts taken for speed on the agenda pages give what the slow way gave.

The rendered agenda of a frozen version is cached (secretariat/agenda/fragments.py): it must follow
every change of what it shows besides the version itself. Links are built from one url_for per page
and select options in one piece (links.py), and the draft is read as columns (tree.draft_items).
"""

import re
from datetime import datetime, time

import pytest
import sqlalchemy as sa
from flask import render_template_string, url_for
from sqlalchemy import event

from secretariat.agenda import links, tree
from secretariat.agenda.models import AgendaVersion
from secretariat.auth.models import Partner
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text, page_without_tokens


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def circulated(coordinator):
    meeting = make_meeting(coordinator)
    opening = add(meeting, coordinator, "Opening", lead_partners=["JP", "EU"], coordinator_notes="Seating plan")
    add(meeting, coordinator, "Connectivity", parent=opening, duration_minutes=45)
    add(meeting, coordinator, "Day two", fixed_start=datetime(2027, 3, 11, 10, 0), presenter="Chair <of> the SOM")
    set_status(meeting, coordinator, "drafting", "circulated")
    return meeting


def test_frozen_agenda_follows_the_meeting_times(client, login_as, circulated, coordinator):
    login_as("official")
    assert "09:00–10:15" in page_text(client.get(f"/meetings/{circulated.id}"))
    circulated.start_time = time(14, 30)
    db.session.commit()
    body = page_text(client.get(f"/meetings/{circulated.id}"))
    assert "14:30–15:45" in body and "09:00–10:15" not in body
    circulated.time_zone = "Asia/Tokyo"
    db.session.commit()
    assert "Times are local to the venue (Asia/Tokyo)" in page_text(client.get(f"/meetings/{circulated.id}"))


def test_frozen_agenda_follows_partner_names(client, login_as, circulated):
    login_as("official")
    assert "Lead: European Union, Japan" in page_text(client.get(f"/meetings/{circulated.id}"))
    japan = db.session.scalar(sa.select(Partner).where(Partner.code == "JP"))
    old_name = japan.name
    japan.name = "Nippon"
    db.session.commit()
    try:
        assert "Lead: European Union, Nippon" in page_text(client.get(f"/meetings/{circulated.id}"))
    finally:  # partners outlive a test
        japan.name = old_name
        db.session.commit()


def test_frozen_agenda_is_what_the_template_renders_uncached(app, client, login_as, circulated):
    login_as("official")
    first = page_without_tokens(client.get(f"/meetings/{circulated.id}"))
    cached = page_without_tokens(client.get(f"/meetings/{circulated.id}"))
    app.extensions["agenda_fragments"].entries.clear()
    fresh = page_without_tokens(client.get(f"/meetings/{circulated.id}"))
    assert first == cached == fresh
    assert "Chair &lt;of&gt; the SOM" in fresh and "Seating plan" not in fresh


def test_frozen_agenda_of_a_new_version_is_not_the_old_one(client, login_as, circulated, coordinator):
    login_as("official")
    assert "Late item" not in page_text(client.get(f"/meetings/{circulated.id}"))
    add(circulated, coordinator, "Late item")
    set_status(circulated, coordinator, "circulated")  # v2
    assert "Late item" in page_text(client.get(f"/meetings/{circulated.id}"))


def test_draft_items_are_the_item_dicts_of_the_tree(circulated, coordinator):
    add(circulated, coordinator, "Closing", lead_partners=["VN"], coordinator_notes="Thanks")
    for notes in (True, False):
        expected = [tree.item_dict(n, include_notes=notes) for n in tree.agenda_nodes(circulated.id)]
        assert tree.draft_items(circulated.id, include_notes=notes) == expected


@pytest.mark.parametrize(
    ("endpoint", "argument", "values"),
    [
        ("agenda.meeting", "meeting_id", {}),
        ("agenda.edit_item", "item_id", {"meeting_id": 7}),
        ("agenda.add_item", "parent_id", {"meeting_id": 7}),
        ("archive.record", "record_id", {}),
    ],
)
def test_url_pattern_is_url_for(app, endpoint, argument, values):
    with app.test_request_context("/"):
        pattern = links.UrlPattern(endpoint, argument, **values)
        for value in (1, 42, 7309182, 10**12):
            assert pattern(value) == url_for(endpoint, **values, **{argument: value})


def test_options_are_the_template_loop(app):
    loop = (
        '{% for v, l in choices %}<option value="{{ v }}"{% if selected == v %} selected{% endif %}>'
        "{{ l }}</option>{% endfor %}"
    )
    choices = [("A&B", "<b>Bold</b> & \"quoted\" 'single'"), (2004, 2004), ("", "none")]
    with app.test_request_context("/"):
        for selected in ("A&B", 2004, None, ""):
            expected = render_template_string(loop, choices=choices, selected=selected)
            assert str(links.options(choices, selected)) == expected


def test_cached_comparison_is_the_uncached_one(app, client, login_as, circulated, coordinator):
    add(circulated, coordinator, "Late item")
    set_status(circulated, coordinator, "circulated")  # v2
    login_as("official")
    url = f"/meetings/{circulated.id}/compare?from=v1&to=v2"

    def page() -> str:
        return page_without_tokens(client.get(url))

    first, cached = page(), page()
    app.extensions["agenda_fragments"].entries.clear()
    assert first == cached == page()
    assert "1 added" in first and "Late item" in first
    assert "Choose two versions that exist" in page_text(client.get(f"/meetings/{circulated.id}/compare?from=v1&to=v9"))
    assert "Current draft" not in page_text(client.get(f"/meetings/{circulated.id}/compare?from=v1&to=draft"))


def test_comparison_with_the_draft_follows_the_draft(client, circulated, coordinator):
    client.login(coordinator.email)
    url = f"/meetings/{circulated.id}/compare?from=v1&to=draft"
    assert "Newest idea" not in page_text(client.get(url))
    add(circulated, coordinator, "Newest idea")
    assert "Newest idea" in page_text(client.get(url))


def test_a_snapshot_altered_in_the_database_shows_as_it_is(client, login_as, circulated):
    login_as("official")
    assert "Opening" in page_text(client.get(f"/meetings/{circulated.id}"))
    version = db.session.scalar(sa.select(AgendaVersion).where(AgendaVersion.meeting_id == circulated.id))
    db.session.execute(
        sa.update(AgendaVersion)
        .where(AgendaVersion.id == version.id)
        .values(snapshot=version.snapshot.replace('"Opening"', '"Tampered"'))
    )
    db.session.commit()
    body = page_text(client.get(f"/meetings/{circulated.id}"))
    assert "Tampered" in body and "Opening" not in body


def test_history_page_lists_versions_and_saves_without_reading_their_snapshots(client, circulated, coordinator):
    """Each version and each save holds the whole agenda (tens of KB): the history lists them
    without reading any, and a version's own page still shows and verifies its agenda."""
    statements: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args):
        statements.append(statement)

    client.login(coordinator.email)
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        history = client.get(f"/meetings/{circulated.id}/versions")
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    text = page_text(history)
    assert history.status_code == 200 and "v1" in text and "Connectivity" in text  # a save's summary names it
    reads_snapshot = re.compile(r"\bagenda_(versions|revisions)\.snapshot\b(?!_)")
    assert statements and not [s for s in statements if reads_snapshot.search(s)]
    version = page_text(client.get(f"/meetings/{circulated.id}/versions/1"))
    assert "Connectivity" in version and "unaltered" in version
