"""`archive export` is exact and `archive import` trusts nothing in a bundle (issue 25, item 11).

The attacker here holds a copy of a bundle and edits it, fixing the manifest's hashes as they go;
every edit must make the import refuse the whole bundle, naming the record and the field, with
nothing imported and no stack trace. The round trip goes through an emptied database and compares
every column of every table the bundle carries, the column lists taken from the models.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.archive import bundle, bundle_checks, files, services
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, record_partners
from secretariat.audit.models import AuditEntry
from secretariat.audit.services import GENESIS_HASH
from secretariat.extensions import db
from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, record_accounts

#: every table whose rows an import re-creates: the round trip compares each of their columns
ROUND_TRIP_MODELS = (
    Meeting.__table__,
    Blob.__table__,
    Record.__table__,
    record_partners,
    RecordVersion.__table__,
    RecordFile.__table__,
)
KEPT_BY_EMPTYING = {"partners", "users", "alembic_version"}


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def archive(coordinator):
    """An archive with every access feature: levels, embargoes by date and by meeting, a withdrawal, versions."""
    som = make_meeting(coordinator, title="SOM Budapest", code="SOM-BU")
    summit = make_meeting(
        coordinator, title="ASEM13 Phnom Penh", code="ASEM13", kind="summit", host="KH", description_source="*Summit*"
    )
    secret = file_record(
        coordinator, "Coordinators' note on the SOM", confidentiality="coordinators", files=[("n.txt", b"note")]
    )
    embargoed = file_record(
        coordinator,
        "Draft chair's statement of the SOM",
        meeting_id=summit.id,
        embargo_meeting_id=som.id,
        files=[("draft.pdf", pdf("Draft"))],
        partners=["HU", "EU"],
        tags="draft, som",
    )
    dated = file_record(coordinator, "Press release", embargo_until=datetime(2999, 1, 1, 9, 30, tzinfo=UTC))
    withdrawn = file_record(coordinator, "Superseded statement", files=[("s.txt", b"statement")])
    services.withdraw(withdrawn, "Superseded by the final text", actor=coordinator)
    services.revise_record(
        embargoed,
        {
            **services.record_metadata(embargoed),
            "record_date": embargoed.record_date,
            "title": "Final chair's statement",
        },
        [services.prepare_upload("annex.txt", b"annex")],
        keep_file_ids={f.id for f in services.current_version(embargoed).files},
        change_note="Final text",
        expected_version=1,
        actor=coordinator,
    )
    db.session.commit()
    # ids, not objects: the tests empty the database under them
    return {"secret": secret.id, "embargoed": embargoed.id, "dated": dated.id, "withdrawn": withdrawn.id, "som": som.id}


# --- helpers: a bundle as an attacker edits it -------------------------------------------------------


def read_table(folder: Path, table: str) -> list[dict]:
    return [json.loads(line) for line in (folder / "tables" / f"{table}.jsonl").read_text().splitlines()]


def write_table(folder: Path, table: str, rows: list[dict]) -> None:
    (folder / "tables" / f"{table}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    fix_manifest(folder)


def edit_rows(folder: Path, table: str, change) -> None:
    write_table(folder, table, [change(dict(row)) for row in read_table(folder, table)])


def fix_manifest(folder: Path) -> None:
    """What an attacker does after an edit: recompute every hash in the manifest."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def empty_database() -> None:
    """A fresh instance: nothing but the partners and the people's accounts, and no stored files."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_BY_EMPTYING:
            db.session.execute(table.delete())
    db.session.execute(sa.text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH})
    db.session.commit()
    record_accounts()
    import shutil

    shutil.rmtree(files.storage_root(), ignore_errors=True)


def every_column(table: sa.Table) -> list[dict]:
    return [dict(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()]


def refused(runner, folder: Path):
    """Run the import as an operator would; it must fail cleanly and leave the archive empty."""
    result = runner.invoke(args=["archive", "import", str(folder)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output  # a message, not a crash
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Blob.sha256))) == 0
    assert not files.stored_hashes()
    refusals = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "archive.import.refused")).all()
    assert refusals, "a refused import is audited"
    return result.output


@pytest.fixture
def exported(archive, runner, tmp_path):
    folder = tmp_path / "bundle"
    result = runner.invoke(args=["archive", "export", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


# --- the round trip --------------------------------------------------------------------------------


def test_round_trip_keeps_every_column_of_every_table(archive, runner, tmp_path):
    before = {table.name: every_column(table) for table in ROUND_TRIP_MODELS}
    assert all(before.values()), "the archive fixture fills every table"
    folder = tmp_path / "bundle"
    assert runner.invoke(args=["archive", "export", str(folder)]).exit_code == 0
    for table in ROUND_TRIP_MODELS:  # the bundle carries every column the model has, none left out
        carried = read_table(folder, table.name)
        assert carried and all(set(row) == {c.name for c in table.columns} for row in carried), table.name

    empty_database()
    result = runner.invoke(args=["archive", "import", str(folder)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for table in ROUND_TRIP_MODELS:
        after = every_column(table)
        for column in table.columns:
            assert [r[column.name] for r in after] == [r[column.name] for r in before[table.name]], (
                f"{table.name}.{column.name} changed in the round trip"
            )
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    # What was imported exports again, and that bundle imports too (seals and withdrawals were chained here).
    again = tmp_path / "again"
    assert runner.invoke(args=["archive", "export", str(again)]).exit_code == 0
    empty_database()
    result = runner.invoke(args=["archive", "import", str(again)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert {t.name: every_column(t) for t in ROUND_TRIP_MODELS} == before
    # The ids came with the rows: the next record filed here gets a new one.
    later = file_record(make_user("coordinator"), "Filed after the import")
    assert later.id > max(r["id"] for r in before["records"])


def test_an_imported_embargo_until_a_meeting_still_hides_the_record(archive, exported, runner, app):
    empty_database()
    assert runner.invoke(args=["archive", "import", str(exported)]).exit_code == 0
    official = app.test_client()
    official.login(make_user("official").email)
    for key in ("embargoed", "secret", "dated", "withdrawn"):
        assert official.get(f"/archive/records/{archive[key]}").status_code == 404, key
    record = db.session.get(Record, archive["embargoed"])
    assert record.embargo_meeting.title == "SOM Budapest"


# --- what an edited bundle must not get through ----------------------------------------------------------


def test_a_file_reference_that_is_a_path_is_refused_and_never_opened(archive, exported, runner):
    edit_rows(exported, "record_files", lambda f: {**f, "blob_sha256": "../../../../etc/hostname"})
    empty_database()
    output = refused(runner, exported)
    assert "'../../../../etc/hostname' is not a SHA-256 digest" in output
    assert f"record {archive['secret']} version 1" in output


def test_a_blob_named_by_a_path_is_refused(exported, runner):
    rows = read_table(exported, "blobs")
    write_table(exported, "blobs", [{**rows[0], "sha256": "/etc/hostname"}, *rows[1:]])
    empty_database()
    assert "blob '/etc/hostname': not a SHA-256 digest" in refused(runner, exported)


def test_a_manifest_naming_files_outside_the_bundle_is_refused(exported, runner):
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["files"]["../../../../etc/hostname"] = "0" * 64
    manifest["files"]["/etc/hostname"] = "0" * 64
    (exported / "manifest.json").write_text(json.dumps(manifest))
    empty_database()
    assert "listed in the manifest but missing from the bundle" in refused(runner, exported)


def test_tampered_confidentiality_is_refused_naming_record_and_field(archive, exported, runner):
    secret = archive["secret"]
    edit_rows(exported, "records", lambda r: {**r, "confidentiality": "public"} if r["id"] == secret else r)
    empty_database()
    output = refused(runner, exported)
    assert f"""record {secret} ("Coordinators' note on the SOM"): confidentiality is 'public' in the row""" in output
    assert "'coordinators' in its sealed version 1" in output


def test_a_lost_embargo_meeting_link_is_refused(archive, exported, runner):
    embargoed = archive["embargoed"]
    edit_rows(exported, "records", lambda r: {**r, "embargo_meeting_id": None} if r["id"] == embargoed else r)
    empty_database()
    output = refused(runner, exported)
    assert f"record {embargoed} " in output and "embargo_meeting_id is None in the row" in output


def test_a_removed_embargo_date_is_refused(archive, exported, runner):
    dated = archive["dated"]
    edit_rows(exported, "records", lambda r: {**r, "embargo_until": None} if r["id"] == dated else r)
    empty_database()
    assert f"record {dated} ('Press release'): embargo_until is None in the row" in refused(runner, exported)


def test_a_removed_withdrawal_is_refused(archive, exported, runner):
    withdrawn = archive["withdrawn"]
    edit_rows(exported, "records", lambda r: {**r, "withdrawn_at": None} if r["id"] == withdrawn else r)
    empty_database()
    assert f"record {withdrawn} ('Superseded statement'): withdrawn_at is None" in refused(runner, exported)


def test_an_embargo_meeting_closed_here_but_open_in_the_bundle_is_refused(archive, exported, runner):
    som = archive["som"]
    db.session.execute(sa.update(Meeting).where(Meeting.id == som).values(closed_at=datetime(2027, 3, 12, tzinfo=UTC)))
    for table in ("record_files", "record_versions", "record_partners", "search_changes", "records", "blobs"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))  # nosec B608: fixed names
    db.session.commit()
    import shutil

    shutil.rmtree(files.storage_root(), ignore_errors=True)
    output = refused(runner, exported)
    assert f"meeting {som} ('SOM Budapest'): closed_at" in output and "would not be the same" in output


def test_a_modified_file_byte_is_refused(archive, exported, runner):
    sha = hashlib.sha256(b"note").hexdigest()
    (exported / "files" / sha).write_bytes(b"nope")
    fix_manifest(exported)
    empty_database()
    assert f"blob {sha}: the file's bytes do not hash to its name" in refused(runner, exported)


def test_a_file_whose_declared_type_differs_from_its_bytes_is_refused(archive, exported, runner):
    edit_rows(
        exported, "record_files", lambda f: {**f, "mime_type": "application/pdf"} if f["filename"] == "n.txt" else f
    )
    empty_database()
    assert "mime_type is 'application/pdf' but its bytes are 'text/plain'" in refused(runner, exported)


def test_an_edited_version_is_refused_by_its_seal(archive, exported, runner):
    edit_rows(exported, "record_versions", lambda v: {**v, "metadata_json": v["metadata_json"].replace("SOM", "FMM")})
    empty_database()
    assert "its metadata or files do not match its seal" in refused(runner, exported)


def test_a_symlink_in_the_bundle_is_refused(archive, exported, runner):
    sha = hashlib.sha256(b"note").hexdigest()
    (exported / "files" / sha).unlink()
    os.symlink("/etc/hostname", exported / "files" / sha)
    empty_database()
    assert f"files/{sha} is a symbolic link" in refused(runner, exported)


def test_unknown_files_and_folders_in_the_bundle_are_refused(exported, runner):
    (exported / "files" / "extra").mkdir()
    empty_database()
    assert "files/extra/ does not belong in a bundle" in refused(runner, exported)


def test_an_oversized_file_is_refused(app, archive, exported, runner, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4)
    empty_database()
    assert "is larger than this instance's upload limit" in refused(runner, exported)


def test_importing_twice_is_refused(exported, runner):
    empty_database()
    assert runner.invoke(args=["archive", "import", str(exported)]).exit_code == 0
    result = runner.invoke(args=["archive", "import", str(exported)])
    assert result.exit_code == 1 and "not empty" in result.output


def test_a_record_twice_in_one_bundle_is_refused(archive, exported, runner):
    rows = read_table(exported, "records")
    write_table(exported, "records", [*rows, rows[0]])
    empty_database()
    assert f"records ({rows[0]['id']},) appears twice" in refused(runner, exported)


def test_a_bundle_of_the_old_format_is_refused(exported, runner):
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["format"] = "asem-archive-bundle/1"
    (exported / "manifest.json").write_text(json.dumps(manifest))
    empty_database()
    assert "export them again" in refused(runner, exported)


def test_export_into_a_file_or_a_full_folder_is_a_clear_error(exported, runner, tmp_path):
    (tmp_path / "a-file").write_text("x")
    for target in (tmp_path / "a-file", exported):
        result = runner.invoke(args=["archive", "export", str(target)])
        assert result.exit_code == 1 and "is not an empty folder" in result.output
        assert isinstance(result.exception, SystemExit)


def test_an_edited_audit_trail_is_refused(archive, exported, runner):
    """Rows intact, one entry of the bundle's audit trail edited."""
    lines = (exported / "audit.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["details"] = first["details"].replace("}", ',"x":1}') if first["details"] != "{}" else '{"x":1}'
    (exported / "audit.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    fix_manifest(exported)
    empty_database()
    assert "audit trail in the bundle is broken at line 1" in refused(runner, exported)


def test_embargo_dates_of_other_zones_are_the_same_instant():
    assert bundle_checks.same("2030-01-01T10:00:00+01:00", "2030-01-01T09:00:00+00:00")
    assert not bundle_checks.same("2030-01-01T10:00:00+00:00", None)


@pytest.mark.parametrize(
    ("table", "line", "reason"),
    [
        ("record_versions", "not json", "tables/record_versions.jsonl line 1 is not valid JSON"),
        ("records", "[" * 100_000, "tables/records.jsonl line 1 is not valid JSON"),
        ("records", "[1, 2]", "tables/records.jsonl line 1 is not an object"),
        ("records", '{"id": 1}', "tables/records.jsonl line 1: column confidentiality is missing"),
        ("audit", '{"seq": 1}', "audit trail in the bundle is broken at line 1"),
    ],
)
def test_garbage_in_a_bundle_is_a_clear_refusal(archive, exported, runner, table, line, reason):
    path = exported / "audit.jsonl" if table == "audit" else exported / "tables" / f"{table}.jsonl"
    path.write_text(line + "\n")
    fix_manifest(exported)
    empty_database()
    assert reason in refused(runner, exported)


def test_a_sealed_metadata_nested_too_deep_is_refused(archive, exported, runner):
    edit_rows(exported, "record_versions", lambda v: {**v, "metadata_json": "[" * 100_000})
    empty_database()
    assert "metadata_json is not a JSON object" in refused(runner, exported)


def test_a_meeting_the_import_would_create_must_hold_valid_values(archive, exported, runner):
    edit_rows(exported, "meetings", lambda m: {**m, "time_zone": "../../etc/passwd", "status": "hacked"})
    empty_database()
    output = refused(runner, exported)
    assert (
        "time_zone '../../etc/passwd' is not a time zone" in output and "status 'hacked' is not a known value" in output
    )


def test_a_partner_this_instance_lacks_is_refused(archive, exported, runner):
    edit_rows(exported, "partners", lambda p: {**p, "code": "XX"} if p["code"] == "HU" else p)
    empty_database()
    assert "partner XX is not in this instance" in refused(runner, exported)


# --- a bundle as one .zip file -------------------------------------------------------------------------


def zipped_bundle(folder: Path, target: Path, extra=(), compression=zipfile.ZIP_DEFLATED) -> Path:
    """The bundle folder as a .zip, with extra members (name, bytes, ZipInfo changes) an attacker adds."""
    with zipfile.ZipFile(target, "w", compression) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        for name, data, change in extra:
            info = zipfile.ZipInfo(name)
            change(info)
            archive.writestr(info, data)
    return target


def test_a_zip_bundle_round_trips(archive, runner, tmp_path):
    target = tmp_path / "archive.zip"
    assert runner.invoke(args=["archive", "export", str(target)]).exit_code == 0
    assert zipfile.is_zipfile(target)
    empty_database()
    result = runner.invoke(args=["archive", "import", str(target)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Record, archive["embargoed"]).embargo_meeting_id == archive["som"]
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0


def _no_change(info):
    pass


def _symlink(info):
    info.external_attr = (stat.S_IFLNK | 0o777) << 16


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("../../../../../../zip-slip.txt", _no_change, "'../../../../../../zip-slip.txt' does not belong in a bundle"),
        ("/var/lib/zip-slip.txt", _no_change, "'/var/lib/zip-slip.txt' does not belong in a bundle"),
        ("files/..\\..\\evil", _no_change, "does not belong in a bundle"),
        ("manifest.json", _no_change, "manifest.json appears twice"),
        ("files/" + "a" * 64, _symlink, "is a symbolic link"),
    ],
)
def test_a_zip_bundle_with_a_hostile_member_is_refused(exported, runner, tmp_path, name, change, reason):
    target = zipped_bundle(exported, tmp_path / "hostile.zip", extra=[(name, b"/etc/hostname", change)])
    empty_database()
    assert reason in refused(runner, target)
    assert not Path("/zip-slip.txt").exists() and not Path("/var/lib/zip-slip.txt").exists()


def test_a_zip_bundle_with_an_oversized_member_is_refused(app, archive, exported, runner, tmp_path, monkeypatch):
    target = zipped_bundle(exported, tmp_path / "big.zip")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4)
    empty_database()
    assert "is larger than a bundle's member may be" in refused(runner, target)


def test_a_zip_bundle_compressed_otherwise_is_refused(archive, exported, runner, tmp_path):
    target = zipped_bundle(exported, tmp_path / "bz.zip", compression=zipfile.ZIP_BZIP2)
    empty_database()
    assert "compressed with a method a bundle does not use" in refused(runner, target)


def test_a_file_that_is_not_a_zip_is_refused(runner, tmp_path, app):
    (tmp_path / "not.zip").write_bytes(b"hello")
    assert "is not a readable .zip bundle" in refused(runner, tmp_path / "not.zip")


def test_an_access_change_chained_after_the_version_is_the_state_to_hold(archive, runner, tmp_path):
    """A change of an access field outside a new version ("archive.access", with the state it sets)."""
    from secretariat import audit

    dated = db.session.get(Record, archive["dated"])
    dated.confidentiality = "coordinators"
    audit.record("cli:test", "archive.access", dated, state={"confidentiality": "coordinators"}, reason="tightened")
    db.session.commit()
    folder = tmp_path / "bundle"
    assert runner.invoke(args=["archive", "export", str(folder)]).exit_code == 0
    empty_database()
    assert runner.invoke(args=["archive", "import", str(folder)]).exit_code == 0
    assert db.session.get(Record, archive["dated"]).confidentiality == "coordinators"
    again = tmp_path / "again"
    assert runner.invoke(args=["archive", "export", str(again)]).exit_code == 0
    bundle.check(again)  # the import chained the change here too

    empty_database()
    edit_rows(folder, "records", lambda r: {**r, "confidentiality": "restricted"} if r["id"] == archive["dated"] else r)
    output = refused(runner, folder)
    assert "confidentiality is 'restricted' in the row but 'coordinators' in the audit trail's last access change" in (
        output
    )
