"""Issue 25, item 9: every field that decides who sees a record is sealed, and `archive verify`
names any row changed behind the application's back (record, field), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from secretariat.archive import integrity, services
from secretariat.extensions import db
from tests.archive.helpers import file_record as _file_record
from tests.archive.helpers import pdf
from tests.factories import make_user, record_accounts
from tests.security.tampering import rechain, tamper


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def file_record(actor, title, **overrides):
    return _file_record(actor, title, files=[("note.pdf", pdf(title))], **overrides)


def verify(runner):
    return runner.invoke(args=["archive", "verify"])


def assert_reported(result, record_id, field):
    assert result.exit_code == 1, result.output
    assert f"record {record_id}" in result.output and field in result.output, result.output


def test_a_record_made_public_in_the_database_is_reported_and_stays_hidden(client, coordinator, runner):
    record = file_record(coordinator, "Coordinators briefing", confidentiality="coordinators")
    assert verify(runner).exit_code == 0
    tamper("UPDATE records SET confidentiality = 'public' WHERE id = :id", id=record.id)
    client.login(make_user("official").email)
    # the pages take the strictest of the row and the sealed version (access.can_see_version)
    assert client.get(f"/archive/records/{record.id}").status_code == 404
    result = verify(runner)
    assert_reported(result, record.id, "confidentiality")
    assert "'public', sealed as 'coordinators'" in result.output


@pytest.mark.parametrize(
    ("overrides", "sql", "field"),
    [
        ({"embargo_until": datetime.now(UTC) + timedelta(days=30)}, "embargo_until = NULL", "embargo_until"),
        (
            {"embargo_until": datetime.now(UTC) + timedelta(days=30)},
            "embargo_until = '2001-01-01 00:00:00'",
            "embargo_until",
        ),
        ({"partners": ["JP", "KH"]}, None, "partners"),
        ({}, "meeting_id = NULL, title = 'Other'", "title"),
    ],
    ids=["embargo-removed", "embargo-moved", "partners-changed", "title-changed"],
)
def test_each_sealed_record_field_changed_by_sql_is_named(coordinator, runner, overrides, sql, field):
    record = file_record(coordinator, "Report under embargo", **overrides)
    assert verify(runner).exit_code == 0
    if sql:
        tamper(f"UPDATE records SET {sql} WHERE id = :id", id=record.id)
    else:
        tamper("DELETE FROM record_partners WHERE record_id = :id", id=record.id)
    assert_reported(verify(runner), record.id, field)


def test_an_embargo_until_a_meeting_removed_by_sql_is_reported(coordinator, runner):
    from tests.agenda.helpers import make_meeting

    summit = make_meeting(coordinator, title="Summit ahead", code="S-1")
    record = file_record(coordinator, "Minutes until the summit", embargo_meeting_id=summit.id)
    assert verify(runner).exit_code == 0
    tamper("UPDATE records SET embargo_meeting_id = NULL WHERE id = :id", id=record.id)
    assert_reported(verify(runner), record.id, "embargo_meeting_id")


def test_a_withdrawal_undone_by_sql_is_reported(coordinator, runner):
    record = file_record(coordinator, "Letter sent in error")
    services.withdraw(record, "Sent in error.", actor=coordinator)
    db.session.commit()
    assert verify(runner).exit_code == 0
    tamper("UPDATE records SET withdrawn_at = NULL WHERE id = :id", id=record.id)
    assert_reported(verify(runner), record.id, "withdrawn_at")


@pytest.mark.parametrize(
    ("sql", "field"),
    [
        ("mime_type = 'text/html'", "mime_type"),
        ("filename = 'note.html'", "filename"),
        ("size = 12", "size"),
    ],
)
def test_a_file_row_changed_by_sql_breaks_the_seal(coordinator, runner, sql, field):
    record = file_record(coordinator, "Statement")
    assert verify(runner).exit_code == 0
    tamper(f"UPDATE record_files SET {sql}")
    result = verify(runner)
    assert result.exit_code == 1
    assert f"record {record.id} version 1 was edited after filing" in result.output


def test_a_file_swapped_for_another_stored_file_breaks_the_seal(coordinator, runner):
    secret = file_record(coordinator, "Secret annex", confidentiality="coordinators")
    public = file_record(coordinator, "Public statement", confidentiality="public")
    assert verify(runner).exit_code == 0
    secret_sha = services.current_version(secret).files[0].blob_sha256
    tamper(
        "UPDATE record_files SET blob_sha256 = :sha WHERE version_id = :v",
        sha=secret_sha,
        v=services.current_version(public).id,
    )
    assert f"record {public.id} version 1 was edited after filing" in verify(runner).output


def test_an_older_version_made_current_again_is_reported(coordinator, runner):
    record = file_record(coordinator, "Statement", confidentiality="public")
    services.revise_record(
        record,
        {**services.record_metadata(record), "record_date": record.record_date, "confidentiality": "coordinators"},
        [],
        keep_file_ids=set(),
        change_note="Classified after review.",
        expected_version=record.version,
        actor=coordinator,
    )
    db.session.commit()
    assert verify(runner).exit_code == 0
    tamper("UPDATE records SET current_version = 1, confidentiality = 'public' WHERE id = :id", id=record.id)
    result = verify(runner)
    assert_reported(result, record.id, "current_version")
    assert_reported(result, record.id, "confidentiality")


def test_a_deleted_version_is_reported(coordinator, runner):
    record = file_record(coordinator, "Statement")
    version = services.current_version(record)
    tamper("DELETE FROM record_files WHERE version_id = :v", v=version.id)
    tamper("DELETE FROM record_versions WHERE id = :v", v=version.id)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"record {record.id} version 1 is sealed in the audit trail but missing" in result.output


def test_a_record_inserted_by_sql_is_reported(coordinator, runner):
    file_record(coordinator, "Genuine")
    tamper(
        "INSERT INTO records (id, title, record_type, record_date, language, description_source, description_html,"
        " tags, confidentiality, withdrawn_reason, current_version, version, created_at, updated_at)"
        " VALUES (9000, 'Forged', 'letter', '2024-01-01', 'en', '', '', '', 'public', '', 1, 1,"
        " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
    )
    result = verify(runner)
    assert result.exit_code == 1 and "record 9000 is not in the audit trail" in result.output


def test_legitimate_changes_pass(coordinator, runner):
    """Withdrawal, embargo set, moved and lifted, metadata and file edits: all through the application."""
    from tests.agenda.helpers import make_meeting

    summit = make_meeting(coordinator, title="Summit ahead", code="S-1")
    record = file_record(coordinator, "Report", embargo_until=datetime.now(UTC) + timedelta(days=3))
    steps = [
        {"embargo_until": None, "embargo_meeting_id": summit.id, "partners": ["JP"]},
        {"embargo_until": datetime.now(UTC) + timedelta(days=9), "embargo_meeting_id": None, "title": "Report (rev)"},
        {"embargo_until": None, "confidentiality": "public", "tags": "economy"},
    ]
    for number, change in enumerate(steps, start=1):
        data = {**services.record_metadata(record), "record_date": record.record_date, **change}
        services.revise_record(
            record,
            data,
            [services.prepare_upload(f"annex{number}.pdf", pdf(f"annex {number}"))],
            keep_file_ids={f.id for f in services.current_version(record).files},
            change_note=f"Step {number}",
            expected_version=record.version,
            actor=coordinator,
        )
        db.session.commit()
        result = verify(runner)
        assert result.exit_code == 0, result.output
    services.withdraw(record, "Superseded.", actor=coordinator)
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 0 and "Archive intact." in result.output, result.output


def test_versions_sealed_before_types_and_sizes_were_still_pass_and_their_types_are_checked(coordinator, runner):
    """A version sealed with the first seal (hashes and names only) verifies; its type and size are
    then checked against the stored bytes."""
    record = file_record(coordinator, "Old statement")
    version = services.current_version(record)
    old = integrity.legacy_seal_of(services.record_metadata(record), version.files)
    tamper(
        "UPDATE audit_entries SET details = REPLACE(details, :new, :old) WHERE action = 'archive.version'",
        new=version.seal_sha256,
        old=old,
    )
    tamper("UPDATE record_versions SET seal_sha256 = :old WHERE id = :v", old=old, v=version.id)
    rechain()  # as the chain of an instance filed before this change
    result = verify(runner)
    assert result.exit_code == 0, result.output
    tamper("UPDATE record_files SET mime_type = 'text/html'")
    result = verify(runner)
    assert result.exit_code == 1 and "type text/html is not its content's (application/pdf)" in result.output


# --- the meeting and minutes rows that decide access ---------------------------------------------


def test_closing_the_embargo_meeting_by_sql_is_reported(coordinator, runner):
    from tests.agenda.helpers import make_meeting

    summit = make_meeting(coordinator, title="Summit ahead", code="S-1")
    file_record(coordinator, "Minutes until the summit", embargo_meeting_id=summit.id)
    assert verify(runner).exit_code == 0
    tamper(
        "UPDATE meetings SET status = 'closed', closed_at = :now WHERE id = :id", now=datetime.now(UTC), id=summit.id
    )
    result = verify(runner)
    assert result.exit_code == 1
    assert f"meeting {summit.id}: status is 'closed', recorded as 'planned'" in result.output
    assert "closed_at is set but the meeting was never closed" in result.output


def test_a_coordinators_meeting_turned_into_a_som_by_sql_is_reported(coordinator, runner):
    from tests.agenda.helpers import make_meeting

    meeting = make_meeting(coordinator, title="Coordinators' retreat", kind="coordinators", code="C-1")
    assert verify(runner).exit_code == 0
    tamper("UPDATE meetings SET kind = 'som' WHERE id = :id", id=meeting.id)
    result = verify(runner)
    assert result.exit_code == 1 and f"meeting {meeting.id}: kind is 'som', recorded as 'coordinators'" in result.output


def test_draft_minutes_marked_adopted_by_sql_are_reported(coordinator, runner):
    from secretariat.agenda import minutes
    from tests.agenda.helpers import add, make_meeting, set_status

    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    draft = minutes.save_minutes(meeting, summary="Draft.", decisions={}, expected_version=0, actor=coordinator)
    db.session.commit()
    assert verify(runner).exit_code == 0
    tamper("UPDATE minutes SET status = 'adopted' WHERE id = :id", id=draft.id)
    result = verify(runner)
    assert result.exit_code == 1 and f"minutes {draft.id} (meeting {meeting.id}): status is 'adopted'" in result.output


def test_a_meeting_run_to_its_end_through_the_application_passes(coordinator, runner):
    from secretariat.agenda import minutes
    from secretariat.agenda import services as agenda
    from tests.agenda.helpers import add, make_meeting, set_status

    meeting = make_meeting(coordinator, kind="coordinators", code="C-2")
    data = {**agenda.meeting_state(meeting), "kind": "som", "host": None}
    for key in ("start_date", "end_date", "start_time", "end_time"):
        data[key] = getattr(meeting, key)
    agenda.update_meeting(meeting, data, expected_version=meeting.version, actor=coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="Met.", decisions={}, expected_version=0, actor=coordinator)
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    set_status(meeting, coordinator, "closed")
    result = verify(runner)
    assert result.exit_code == 0 and "Archive intact." in result.output, result.output


def test_closing_a_seeded_meeting_by_sql_is_reported(coordinator, runner):
    from secretariat import seed
    from secretariat.agenda.models import Meeting

    seed.seed_meetings()
    db.session.commit()
    upcoming = db.session.scalar(sa.select(Meeting).where(Meeting.closed_at.is_(None)).limit(1))
    file_record(coordinator, "Until the next summit", embargo_meeting_id=upcoming.id)
    assert verify(runner).exit_code == 0
    tamper("UPDATE meetings SET closed_at = :now WHERE id = :id", now=datetime.now(UTC), id=upcoming.id)
    result = verify(runner)
    assert result.exit_code == 1 and f"meeting {upcoming.id}: closed_at is set but" in result.output


def test_records_are_checked_in_batches_without_missing_one(coordinator):
    records = [file_record(coordinator, f"Statement {n}") for n in range(5)]
    tamper("UPDATE records SET confidentiality = 'public' WHERE id = :id", id=records[3].id)
    report = integrity.verify(batch_size=2)
    assert report.records_checked == 5 and report.versions_checked == 5
    assert [p for p in report.problems if "confidentiality" in p] == [
        f"record {records[3].id}: confidentiality is 'public', sealed as 'restricted' (field confidentiality)"
    ]


@pytest.mark.parametrize(
    ("sql", "field"),
    [("role = 'coordinator'", "role"), ("is_active = :no", "active"), ("partner_id = :other", "partner")],
)
def test_an_account_changed_by_sql_is_reported(client, runner, sql, field):
    from secretariat.auth.models import Partner

    admin = make_user("admin")
    client.login(admin.email)
    client.submit(
        "/admin/users/new",
        {"email": "official@example.org", "display_name": "Official", "partner": "VN", "role": "official"},
    )
    user_id = db.session.scalar(sa.text("SELECT id FROM users WHERE email = 'official@example.org'"))
    assert verify(runner).exit_code == 0
    other = db.session.scalar(sa.select(Partner.id).where(Partner.code == "JP"))
    tamper(f"UPDATE users SET {sql} WHERE id = :id", id=user_id, no=False, other=other)
    result = verify(runner)
    assert result.exit_code == 1 and f"user {user_id}: {field} is" in result.output, result.output


def test_an_account_changed_through_the_application_passes(client, runner):
    admin = make_user("admin")
    client.login(admin.email)
    client.submit(
        "/admin/users/new",
        {"email": "official@example.org", "display_name": "Official", "partner": "VN", "role": "official"},
    )
    user_id = db.session.scalar(sa.text("SELECT id FROM users WHERE email = 'official@example.org'"))
    client.submit(f"/admin/users/{user_id}", {"display_name": "Official", "partner": "JP", "role": "coordinator"})
    result = verify(runner)
    assert result.exit_code == 0 and "2 accounts" in result.output, result.output  # the admin too


def test_records_imported_before_access_states_were_chained_are_judged_on_what_was_sealed(coordinator, runner):
    """An import of the old kind chained no state after the versions: the meetings' ids and the
    withdrawal it took from the bundle are not judged, everything sealed still is."""
    from secretariat import audit

    record = file_record(coordinator, "Imported letter")
    tamper("DELETE FROM audit_entries")
    tamper("UPDATE audit_head SET seq = 0, last_hash = :h, mac = NULL", h="0" * 64)
    record_accounts()
    version = services.current_version(record)
    audit.record(None, "archive.import", record, source_id=7, title=record.title)
    audit.record(None, "archive.version", record, version=1, seal=version.seal_sha256, files=[], note="imported")
    db.session.commit()
    tamper("UPDATE records SET withdrawn_at = :now WHERE id = :id", now=datetime.now(UTC), id=record.id)
    assert verify(runner).exit_code == 0
    tamper("UPDATE records SET confidentiality = 'public' WHERE id = :id", id=record.id)
    assert_reported(verify(runner), record.id, "confidentiality")


def test_unreadable_rows_are_reported_not_a_crash(coordinator, runner):
    record = file_record(coordinator, "Statement")
    tamper("UPDATE record_versions SET metadata_json = 'not json'")
    tamper("UPDATE audit_entries SET details = '[1' WHERE action = 'archive.withdraw' OR action = 'archive.create'")
    result = verify(runner)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a report, not a crash
    assert f"record {record.id} version 1 was edited after filing (its metadata is not readable)" in result.output
