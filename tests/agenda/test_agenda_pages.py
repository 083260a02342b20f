"""Agenda pages besides the meeting page: the frozen agenda partners see follows what it shows,
comparisons and the history show the versions as they are stored, to who may see them."""

import re
from datetime import datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from secretariat.agenda.models import AgendaVersion
from secretariat.auth.models import Partner
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text


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
    # Opening (30 min) spans its sub-item Connectivity (45 min), which starts with it.
    assert "09:00–09:45" in page_text(client.get(f"/meetings/{circulated.id}"))
    circulated.start_time = time(14, 30)
    db.session.commit()
    body = page_text(client.get(f"/meetings/{circulated.id}"))
    assert "14:30–15:15" in body and "09:00–09:45" not in body
    circulated.time_zone = "Asia/Tokyo"
    db.session.commit()
    assert "Times are local to the venue (Tokyo time)" in page_text(client.get(f"/meetings/{circulated.id}"))


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


def test_frozen_agenda_escapes_text_and_hides_coordinators_notes(client, login_as, circulated):
    login_as("official")
    body = page_text(client.get(f"/meetings/{circulated.id}"))
    assert "Chair &lt;of&gt; the SOM" in body and "Seating plan" not in body


def test_frozen_agenda_of_a_new_version_is_not_the_old_one(client, login_as, circulated, coordinator):
    login_as("official")
    assert "Late item" not in page_text(client.get(f"/meetings/{circulated.id}"))
    add(circulated, coordinator, "Late item")
    set_status(circulated, coordinator, "circulated")  # v2
    assert "Late item" in page_text(client.get(f"/meetings/{circulated.id}"))


def test_comparison_of_two_versions(client, login_as, circulated, coordinator):
    add(circulated, coordinator, "Late item")
    set_status(circulated, coordinator, "circulated")  # v2
    login_as("official")
    url = f"/meetings/{circulated.id}/compare?from=v1&to=v2"
    body = page_text(client.get(url))
    assert "1 added" in body and "Late item" in body
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


def _two_versions(coordinator, **meeting):
    m = make_meeting(coordinator, **meeting)
    add(m, coordinator, "Opening")
    set_status(m, coordinator, "drafting", "circulated")
    add(m, coordinator, "Late item")
    set_status(m, coordinator, "circulated")
    return m


def test_a_compared_snapshot_altered_in_the_database_shows_as_it_is(app, client, login_as):
    m = _two_versions(make_user("coordinator", partner_code="EU"))
    login_as("official")
    url = f"/meetings/{m.id}/compare?from=v1&to=v2"
    assert "Late item" in page_text(client.get(url))
    v2 = db.session.scalar(sa.select(AgendaVersion).where(AgendaVersion.meeting_id == m.id, AgendaVersion.number == 2))
    db.session.execute(
        sa.update(AgendaVersion)
        .where(AgendaVersion.id == v2.id)
        .values(snapshot=v2.snapshot.replace('"Late item"', '"Tampered <i>item</i>"'))
    )
    db.session.commit()
    body = page_text(client.get(url))
    assert "Tampered &lt;i&gt;item&lt;/i&gt;" in body and "Late item" not in body


def test_a_comparison_is_never_shown_to_who_may_not_compare(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    m = _two_versions(coordinator, kind="coordinators", code="C-9")
    coord = app.test_client()
    coord.login(coordinator.email)
    url = f"/meetings/{m.id}/compare?from=v1&to=v2"
    assert "Late item" in page_text(coord.get(url))
    client.login(make_user("official", partner_code="TH").email)
    response = client.get(url)
    assert response.status_code == 404 and "Late item" not in page_text(response)
