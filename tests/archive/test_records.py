"""Filing, revising and withdrawing records; versions stay readable; integrity checks find tampering."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from secretariat.archive import files, services
from secretariat.archive.models import Record, RecordVersion
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.archive.helpers import docx, file_record, pdf
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_file_a_record_through_the_form(client, coordinator):
    client.login(coordinator.email)
    response = client.submit(
        "/archive/records/new",
        {
            "title": "Concept note on sustainable connectivity",
            "record_type": "concept_note",
            "record_date": "2019-05-20",
            "language": "en",
            "confidentiality": "restricted",
            "partners": ["JP", "EU"],
            "tags": "Connectivity; Transport",
            "description_source": "A *concept* note.",
            "files": [(io.BytesIO(docx("Connectivity pillars")), "note.docx"), (io.BytesIO(pdf("Annex")), "annex.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    record = db.session.scalar(sa.select(Record))
    assert record.tags == "connectivity, transport"
    page = page_text(client.get(response.headers["Location"]))
    assert "note.docx" in page and "annex.pdf" in page and "<em>concept</em>" in page


def test_revision_keeps_earlier_versions_readable_and_downloadable(client, coordinator):
    record = file_record(coordinator, "Chair's statement", files=[("v1.txt", b"first wording")])
    client.login(coordinator.email)
    page = page_text(client.get(f"/archive/records/{record.id}/revise"))
    keep = re.findall(r'name="keep_files"[^>]*value="(\d+)"|<option selected value="(\d+)"', page)
    assert keep
    response = client.submit(
        f"/archive/records/{record.id}/revise",
        {
            "title": "Chair's statement (corrected)",
            "record_type": "chairs_statement",
            "record_date": "2021-11-26",
            "language": "en",
            "confidentiality": "restricted",
            "change_note": "Typo in paragraph 3",
            "version": "1",
            "files": [(io.BytesIO(b"second wording"), "v2.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(Record, record.id)
    assert record.current_version == 2
    v1 = services.get_version(record, 1)
    v2 = services.get_version(record, 2)
    assert [f.filename for f in v1.files] == ["v1.txt"]
    assert [f.filename for f in v2.files] == ["v2.txt"]
    old = client.get(f"/archive/records/{record.id}/versions/1/files/{v1.files[0].id}")
    assert old.data == b"first wording"
    assert json.loads(v1.metadata_json)["title"] == "Chair's statement"
    assert "Typo in paragraph 3" in page_text(client.get(f"/archive/records/{record.id}"))


def test_revision_needs_a_note_and_detects_conflicts(app, coordinator):
    record = file_record(coordinator, "Report")
    data = {**services.record_metadata(record), "record_date": record.record_date}
    with pytest.raises(services.RecordRefused, match="what changed"):
        services.revise_record(
            record, data, [], keep_file_ids=set(), change_note=" ", expected_version=1, actor=coordinator
        )
    db.session.rollback()
    services.revise_record(
        record, data, [], keep_file_ids=set(), change_note="first", expected_version=1, actor=coordinator
    )
    db.session.commit()
    with pytest.raises(services.RecordConflict):
        services.revise_record(
            record, data, [], keep_file_ids=set(), change_note="stale", expected_version=1, actor=coordinator
        )


def test_a_save_that_lost_the_race_is_a_conflict_and_writes_nothing(app, coordinator):
    """Someone saved between this save's read and its write: the version counter refuses the UPDATE."""
    record = file_record(coordinator, "Report")
    assert record.version == 1
    data = {**services.record_metadata(record), "record_date": record.record_date, "title": "Mine"}
    with db.engine.begin() as theirs:  # another request saves first, in its own transaction
        theirs.execute(sa.update(Record.__table__).where(Record.id == record.id).values(version=2, title="Theirs"))
    with pytest.raises(services.RecordConflict) as conflict:
        services.revise_record(
            record, data, [], keep_file_ids=set(), change_note="mine", expected_version=1, actor=coordinator
        )
    assert conflict.value.current["title"] == "Theirs" and conflict.value.submitted["title"] == "Mine"
    db.session.rollback()
    assert db.session.get(Record, record.id).current_version == 1  # no version filed


def test_one_revision_is_one_step_of_the_record_version(app, coordinator):
    record = file_record(coordinator, "Report", partners=["JP"])
    data = {**services.record_metadata(record), "record_date": record.record_date, "partners": ["TH", "VN"]}
    services.revise_record(
        record, data, [], keep_file_ids=set(), change_note="partners", expected_version=1, actor=coordinator
    )
    db.session.commit()
    assert (record.version, record.current_version) == (2, 2)


def test_withdrawal_needs_a_reason_and_deletes_nothing(client, coordinator):
    record = file_record(coordinator, "To withdraw", files=[("x.txt", b"kept forever")])
    client.login(coordinator.email)
    client.submit(f"/archive/records/{record.id}/withdraw", {"reason": ""}, page=f"/archive/records/{record.id}")
    db.session.refresh(record)
    assert record.withdrawn_at is None
    client.submit(
        f"/archive/records/{record.id}/withdraw", {"reason": "Filed twice"}, page=f"/archive/records/{record.id}"
    )
    db.session.refresh(record)
    assert record.withdrawn_at is not None and record.withdrawn_reason == "Filed twice"
    assert db.session.scalar(sa.select(sa.func.count(RecordVersion.id))) == 1
    assert files.blob_path(services.current_version(record).files[0].blob_sha256).exists()


def test_every_version_is_sealed_in_the_audit_chain(coordinator):
    record = file_record(coordinator, "Sealed", files=[("a.txt", b"alpha")])
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "archive.version"))
    details = json.loads(entry.details)
    version = services.current_version(record)
    assert details["seal"] == version.seal_sha256
    assert details["files"][0]["sha256"] == version.files[0].blob_sha256


def test_verify_passes_then_finds_a_changed_byte(coordinator, runner):
    record = file_record(coordinator, "Intact", files=[("a.txt", b"original bytes")])
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    sha = services.current_version(record).files[0].blob_sha256
    path = files.blob_path(sha)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1 and f"file {sha} was altered" in result.output


def test_verify_finds_an_edited_row(coordinator, runner):
    record = file_record(coordinator, "Intact")
    db.session.execute(
        sa.update(RecordVersion).values(metadata_json=sa.func.replace(RecordVersion.metadata_json, "Intact", "Forged"))
    )
    db.session.commit()
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1
    assert f"record {record.id} version 1 was edited after filing" in result.output


def test_verify_finds_a_missing_file(coordinator, runner):
    record = file_record(coordinator, "Intact", files=[("a.txt", b"will vanish")])
    files.blob_path(services.current_version(record).files[0].blob_sha256).unlink()
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1 and "missing from storage" in result.output


def test_agenda_versions_minutes_and_reports_are_filed_automatically(client, coordinator):
    from tests.agenda.helpers import add, make_meeting, set_status
    from tests.programme.helpers import make_initiative

    meeting = make_meeting(coordinator, title="SOM Kuala Lumpur")
    add(meeting, coordinator, "Opening of the meeting")
    set_status(meeting, coordinator, "drafting", "circulated")
    initiative = make_initiative(coordinator, "ASEM-SOC-321", lead="EU", status="ongoing")
    from datetime import date

    from secretariat.programme import reports

    reports.submit_report(
        initiative,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        text="Mobility grants awarded",
        milestones_done=set(),
        actor=coordinator,
    )
    db.session.commit()
    titles = set(db.session.scalars(sa.select(Record.title)))
    assert "Agenda v1 (circulated): SOM Kuala Lumpur" in titles
    assert "Progress report 2026-01–2026-06: Initiative ASEM-SOC-321" in titles
    client.login(make_user("official").email)
    body = page_text(client.get("/archive/", query_string={"q": "mobility grants"}))
    assert "Progress report" in body
    body = page_text(client.get("/archive/", query_string={"q": "opening type:agenda"}))
    assert "Agenda v1 (circulated)" in body


def test_the_meeting_page_lists_its_documents_the_user_may_open(client, coordinator):
    from tests.agenda.helpers import make_meeting

    meeting = make_meeting(coordinator, title="FMM15")
    file_record(coordinator, "Chair's statement of FMM15", meeting_id=meeting.id)
    file_record(coordinator, "Coordinators' briefing for FMM15", meeting_id=meeting.id, confidentiality="coordinators")
    client.login(make_user("official").email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Chair&#39;s statement of FMM15" in body and "briefing" not in body


def test_the_meeting_page_hides_embargoed_and_withdrawn_documents_from_partners_only(client, coordinator):
    from tests.agenda.helpers import make_meeting

    meeting = make_meeting(coordinator, title="SOM Brussels")
    other = make_meeting(coordinator, title="Summit ahead")
    now = datetime.now(UTC)
    file_record(coordinator, "Statement on the record", meeting_id=meeting.id)
    file_record(coordinator, "Report under embargo", meeting_id=meeting.id, embargo_until=now + timedelta(days=30))
    released = file_record(coordinator, "Report released", meeting_id=meeting.id, embargo_until=now - timedelta(days=1))
    file_record(coordinator, "Minutes until the summit", meeting_id=meeting.id, embargo_meeting_id=other.id)
    withdrawn = file_record(coordinator, "Letter withdrawn", meeting_id=meeting.id)
    services.withdraw(withdrawn, "Sent in error.", actor=coordinator)
    db.session.commit()

    client.login(make_user("official").email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Statement on the record" in body and "Report released" in body
    for hidden in ("Report under embargo", "Minutes until the summit", "Letter withdrawn"):
        assert hidden not in body
    client.logout()
    client.login(coordinator.email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    for title in ("Statement on the record", "Report released", "Report under embargo", "Minutes until the summit"):
        assert title in body
    assert "Letter withdrawn" in body  # coordinators see withdrawn records (with their reason on the record page)

    # The rendered list is cached by its rows: the coordinator's longer list never reaches a partner,
    # and a revision's new title shows at once.
    data = {
        **services.record_metadata(released),
        "record_date": released.record_date,
        "embargo_until": released.embargo_until,
        "title": "Report released, revised",
    }
    services.revise_record(
        released,
        data,
        [],
        keep_file_ids=set(),
        change_note="Title corrected.",
        expected_version=released.current_version,
        actor=coordinator,
    )
    db.session.commit()
    client.logout()
    client.login(make_user("official").email)
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Report released, revised" in body
    for hidden in ("Report under embargo", "Minutes until the summit", "Letter withdrawn"):
        assert hidden not in body


def test_record_page_does_not_read_the_text_of_its_files_and_a_kept_file_keeps_its_text(client, coordinator):
    """A record with big files and many versions: its page names the files but never reads their
    extracted text (megabytes each, for the index only); a revision that keeps a file keeps its text."""
    text = ("Gobi corridor logistics " * 40_000).encode()  # about 1 MB of text
    record = file_record(coordinator, "Annexes", files=[("annex.txt", text)])
    kept_id = services.current_version(record).files[0].id
    data = {**services.record_metadata(record), "record_date": record.record_date}
    services.revise_record(
        record, data, [], keep_file_ids={kept_id}, change_note="Kept the annex", expected_version=1, actor=coordinator
    )
    db.session.commit()
    services.sync()
    selected: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args):
        selected.append(statement)

    client.login(coordinator.email)
    sa.event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        page = client.get(f"/archive/records/{record.id}")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on_execute)
    assert page.status_code == 200 and "annex.txt" in page_text(page)
    assert selected and not [s for s in selected if "extracted_text" in s]
    # The revision's copy of the file kept the text: the record is still found by it.
    found = client.get("/archive/?q=gobi+corridor")
    assert "Annexes" in page_text(found)
    db.session.expire_all()
    assert services.current_version(record).files[0].extracted_text.startswith("Gobi corridor")
