"""Neighbouring paths of issue 25 found by its second review: each test failed on main before its fix."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

PARTNER_ROLES = ["official", "observer"]


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


# --- a version's sealed metadata names a coordinators' meeting by its id ---------------------------


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_version_page_does_not_give_a_hidden_meetings_id(client, login_as, coordinator, role):
    """The record page shows a partner no meeting for a record of a coordinators' meeting; the version
    page printed its sealed metadata whole, ``Meeting id`` and ``Embargo meeting id`` included."""
    hidden = make_meeting(
        coordinator, kind="coordinators", title="Retreat", start_date=date(2026, 5, 1), end_date=date(2026, 5, 1)
    )
    record = file_record(coordinator, "Press line", meeting_id=hidden.id)
    login_as(role, partner_code="JP")
    body = page_text(client.get(f"/archive/records/{record.id}/versions/1"))
    assert "Press line" in body
    assert f"<dt>Meeting id</dt><dd>{hidden.id}</dd>" not in body
    assert f"/meetings/{hidden.id}" not in body


def test_coordinators_still_read_the_meeting_of_a_version(client, login_as, coordinator):
    hidden = make_meeting(
        coordinator, kind="coordinators", title="Retreat", start_date=date(2026, 5, 1), end_date=date(2026, 5, 1)
    )
    record = file_record(coordinator, "Press line", meeting_id=hidden.id)
    login_as("coordinator", partner_code="EU")
    body = page_text(client.get(f"/archive/records/{record.id}/versions/1"))
    assert f"<dt>Meeting id</dt><dd>{hidden.id}</dd>" in body


# --- an account inserted with SQL passed `archive verify` ------------------------------------------


def test_an_account_inserted_by_sql_is_reported(runner):
    """Someone with write access to the database adds a coordinator of their own (a password hash
    they know): every other account's role is checked against the chain, this one was not."""
    from secretariat.auth.passwords import hash_password
    from tests.factories import partner
    from tests.security.tampering import tamper

    make_user("coordinator", partner_code="EU")
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    tamper(
        "INSERT INTO users (email, display_name, partner_id, role, is_active, password_hash, created_at, updated_at) "
        "VALUES ('mole@example.org', 'Mole', :partner, 'coordinator', :yes, :hash, :now, :now)",
        partner=partner("EU").id,
        yes=True,
        hash=hash_password("a long and perfectly fine passphrase"),
        now=utcnow(),
    )
    mole = db.session.scalar(sa.text("SELECT id FROM users WHERE email = 'mole@example.org'"))
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"user {mole} is not in the audit trail" in result.output, result.output


# --- a circulated agenda rewritten in the database passed `archive verify` -------------------------


@pytest.fixture
def circulated(coordinator):
    """A SOM whose agenda was circulated to partners as v1 (frozen, shown with its fingerprint)."""
    from tests.agenda.helpers import add, set_status

    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Adoption of the agenda")
    add(meeting, coordinator, "Connectivity")
    set_status(meeting, coordinator, "drafting", "circulated")
    return meeting


def _frozen(meeting_id: int, number: int):
    from secretariat.agenda.models import AgendaVersion

    db.session.expire_all()
    return db.session.scalar(
        sa.select(AgendaVersion).where(AgendaVersion.meeting_id == meeting_id, AgendaVersion.number == number)
    )


def test_a_frozen_agenda_rewritten_with_its_fingerprint_by_sql_is_reported(client, runner, circulated):
    """The version page says "verified" when the snapshot hashes to the fingerprint beside it: both
    in the same row, so rewriting the agenda and its fingerprint together passed every check."""
    from secretariat.agenda import tree
    from tests.security.tampering import tamper

    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    version = _frozen(circulated.id, 1)
    forged = version.snapshot.replace("Connectivity", "Withdrawal of the EU from ASEM")
    tamper(
        "UPDATE agenda_versions SET snapshot = :text, snapshot_sha256 = :sha WHERE id = :id",
        text=forged,
        sha=tree.sha256(forged),
        id=version.id,
    )
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"meeting {circulated.id} agenda v1" in result.output and "(field snapshot_sha256)" in result.output


def test_an_agenda_version_inserted_by_sql_is_reported(runner, coordinator, circulated):
    from secretariat.agenda import tree
    from tests.security.tampering import tamper

    version = _frozen(circulated.id, 1)
    forged = version.snapshot.replace("Connectivity", "Something never circulated")
    tamper(
        "INSERT INTO agenda_versions (meeting_id, number, kind, frozen_at, frozen_by_id, frozen_by_label, note, "
        "snapshot, snapshot_sha256) VALUES (:meeting, 2, 'circulated', :now, :by, 'x', '', :text, :sha)",
        meeting=circulated.id,
        now=utcnow(),
        by=coordinator.id,
        text=forged,
        sha=tree.sha256(forged),
    )
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"meeting {circulated.id} agenda v2 is not in the audit trail" in result.output, result.output


def test_an_agenda_run_to_adoption_through_the_application_passes(runner, coordinator, circulated):
    from tests.agenda.helpers import add, set_status

    add(circulated, coordinator, "Any other business")
    set_status(circulated, coordinator, "circulated", "adopted")
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 0, result.output


# --- a meeting made a coordinators' meeting stayed findable by its code ----------------------------


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_meeting_made_a_coordinators_meeting_is_not_found_by_its_code(client, login_as, coordinator, role):
    """The papers it filed itself are raised with it; a restricted record filed by hand under it and
    an initiative mandated there stay for partners, unnamed. Their index entries still said "SOM,
    code SOMQX", so `meeting:SOMQX` found them: the answer a coordinators' meeting never gives."""
    import re

    from secretariat.agenda import services as agenda
    from secretariat.archive import services as archive
    from tests.programme.helpers import make_initiative

    meeting = make_meeting(coordinator, code="SOMQX", title="SOM in Ulaanbaatar")
    record = file_record(coordinator, "Press line qxrecord", meeting_id=meeting.id)
    make_initiative(coordinator, "ASEM-QX-001", status="endorsed", mandate_meeting_id=meeting.id)
    archive.sync()
    state = agenda.meeting_state(meeting) | {"kind": "coordinators"}
    for key in ("start_date", "end_date"):
        state[key] = getattr(meeting, key)
    state["start_time"], state["end_time"] = meeting.start_time, meeting.end_time
    agenda.update_meeting(meeting, state, expected_version=meeting.version, actor=coordinator)
    db.session.commit()
    archive.sync()

    login_as(role, partner_code="JP")

    def total(**args) -> int:
        body = page_text(client.get("/archive/", query_string=args))
        return int(re.search(r'<h2 id="results-title">(\d+) record', body).group(1))

    assert total(q="qxrecord") == 1  # still theirs, unnamed
    assert total(q="meeting:SOMQX") == 0
    assert total(q="qxrecord", meeting_kind="som") == 0
    assert page_text(client.get(f"/archive/records/{record.id}")).count("SOMQX") == 0


# --- adopted minutes rewritten in the database passed `archive verify` ----------------------------


@pytest.fixture
def adopted(coordinator):
    """A SOM held, its minutes adopted with a decision and an action point."""
    from secretariat.agenda import minutes
    from tests.agenda.helpers import add, set_status

    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Connectivity")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(
        meeting, summary="The SOM met.", decisions={item.id: "Agreed."}, expected_version=0, actor=coordinator
    )
    minutes.add_action_point(meeting, text="Report back", partner_code="JP", due=None, item_id=None, actor=coordinator)
    adopted = minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    return meeting, adopted


@pytest.mark.parametrize(
    ("sql", "forged"),
    [
        ("UPDATE minutes SET summary_html = '<p>The SOM agreed to dissolve ASEM.</p>'", "dissolve ASEM"),
        ("UPDATE item_outcomes SET decision_html = '<p>Rejected outright.</p>'", "Rejected outright"),
        ("UPDATE action_points SET text = 'Pay the EU a fine'", "Pay the EU a fine"),
    ],
)
def test_adopted_minutes_edited_by_sql_are_reported(client, runner, adopted, sql, forged):
    """The pages show adopted minutes from their rows, and verify checked only the snapshot taken at
    adoption against its fingerprint: the text partners read could be rewritten, fingerprint intact."""
    from tests.security.tampering import tamper

    meeting, minutes = adopted
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    tamper(sql)
    client.login(make_user("official", partner_code="JP").email)
    assert forged in page_text(client.get(f"/meetings/{meeting.id}/minutes/print"))  # what partners read
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"minutes {minutes.id} (meeting {meeting.id}): the text shown differs from the adopted text" in result.output


def test_adopted_minutes_and_a_meeting_renamed_afterwards_pass(runner, coordinator, adopted):
    from secretariat.agenda import services as agenda
    from tests.agenda.helpers import set_status

    meeting, _ = adopted
    data = {**agenda.meeting_state(meeting), "title": "SOM, renamed", "host": None}
    for key in ("start_date", "end_date", "start_time", "end_time"):
        data[key] = getattr(meeting, key)
    agenda.update_meeting(meeting, data, expected_version=meeting.version, actor=coordinator)
    db.session.commit()
    set_status(meeting, coordinator, "closed")
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 0, result.output


# --- a record's description as shown, rewritten in the database, passed `archive verify` ----------


def test_a_records_shown_description_edited_by_sql_is_reported(client, runner, coordinator):
    """The seal covers the description's source; the record page shows the HTML made from it, a
    column of its own: rewriting it changed what every reader sees, under an intact seal."""
    from tests.security.tampering import tamper

    record = file_record(coordinator, "Chair's statement", description_source="Adopted by consensus.")
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    tamper(
        "UPDATE records SET description_html = '<p>Adopted over the objection of Japan.</p>' WHERE id = :id",
        id=record.id,
    )
    client.login(make_user("official", partner_code="JP").email)
    assert "over the objection" in page_text(client.get(f"/archive/records/{record.id}"))
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"record {record.id}: description_html is not made from the sealed description" in result.output
