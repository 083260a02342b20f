"""Export and import of the whole archive, and bulk filing from a folder."""

import hashlib
import json
import shutil

import pytest
import sqlalchemy as sa

from secretariat.archive import bundle, files, services
from secretariat.archive.models import Record, RecordVersion
from secretariat.extensions import db
from tests.archive.helpers import docx, file_record, pdf
from tests.factories import make_user, record_accounts


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def snapshot():
    """Everything that must survive a round trip: versions, seals, file hashes and names."""
    out = []
    for record in db.session.scalars(sa.select(Record).order_by(Record.title)):
        for version in sorted(services.versions(record), key=lambda v: v.number):
            out.append(
                (
                    record.title,
                    record.confidentiality,
                    record.withdrawn_reason,
                    version.number,
                    version.metadata_json,
                    version.seal_sha256,
                    sorted((f.blob_sha256, f.filename) for f in version.files),
                )
            )
    return out


def wipe_archive():
    """Make this instance's archive empty, as a fresh instance's would be."""
    for table in ("record_files", "record_versions", "record_partners", "search_changes", "records", "blobs"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    # A fresh instance has its own audit chain: the wiped records' seals are not in it.
    db.session.execute(sa.text("DELETE FROM audit_entries"))
    db.session.execute(sa.text("UPDATE audit_head SET seq = 0, last_hash = :h"), {"h": "0" * 64})
    db.session.commit()
    record_accounts()
    shutil.rmtree(files.storage_root(), ignore_errors=True)


def test_export_import_round_trip(app, coordinator, runner, tmp_path):
    one = file_record(
        coordinator, "Chair's Statement ASEM13", files=[("s.pdf", pdf("Phnom Penh"))], partners=["KH"], tags="summit"
    )
    services.revise_record(
        one,
        {**services.record_metadata(one), "record_date": one.record_date, "title": "Chair's Statement ASEM13 (final)"},
        [services.prepare_upload("annex.docx", docx("Annex text"))],
        keep_file_ids={f.id for f in services.current_version(one).files},
        change_note="Final text",
        expected_version=1,
        actor=coordinator,
    )
    two = file_record(coordinator, "Withdrawn letter", record_type="letter", files=[("l.txt", b"letter")])
    services.withdraw(two, "Sent by mistake", actor=coordinator)
    db.session.commit()
    before = snapshot()
    bundle_dir = tmp_path / "bundle"
    result = runner.invoke(args=["archive", "export", str(bundle_dir)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    assert manifest["records"] == 2 and "index.html" in manifest["files"]
    index_html = (bundle_dir / "index.html").read_text()
    assert "Chair&#x27;s Statement ASEM13 (final)" in index_html and "<script" not in index_html
    wipe_archive()
    result = runner.invoke(args=["archive", "import", str(bundle_dir)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert snapshot() == before
    verify = runner.invoke(args=["archive", "verify"])
    assert verify.exit_code == 0, verify.output


def test_import_refuses_an_altered_bundle(app, coordinator, tmp_path):
    file_record(coordinator, "Original", files=[("a.txt", b"original")])
    bundle.export(tmp_path / "b")
    stored = next((tmp_path / "b" / "files").iterdir())
    stored.write_bytes(b"tampered")
    with pytest.raises(bundle.BundleError, match="altered"):
        bundle.check(tmp_path / "b")


def test_import_refuses_an_edited_record_even_with_a_fixed_manifest(app, coordinator, tmp_path):
    file_record(coordinator, "Original title")
    target = tmp_path / "b"
    bundle.export(target)
    versions = target / "tables" / "record_versions.jsonl"
    versions.write_text(versions.read_text().replace("Original title", "Forged title"))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["files"]["tables/record_versions.jsonl"] = hashlib.sha256(versions.read_bytes()).hexdigest()
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(bundle.BundleError, match="do not match its seal"):
        bundle.check(target)


def test_import_into_a_non_empty_archive_is_refused(app, coordinator, tmp_path):
    file_record(coordinator, "Already here")
    bundle.export(tmp_path / "b")
    with pytest.raises(bundle.BundleError, match="not empty"):
        bundle.import_bundle(tmp_path / "b", actor=coordinator)


def test_bulk_import_all_or_nothing_with_line_numbers(app, runner, tmp_path):
    folder = tmp_path / "historical"
    folder.mkdir()
    (folder / "asem1.pdf").write_bytes(pdf("Bangkok 1996"))
    (folder / "virus.pdf").write_bytes(b"MZ" + b"\x00" * 200)
    (folder / "manifest.csv").write_text(
        "files,title,type,date,meeting,partners,language,confidentiality,tags,description\n"
        "asem1.pdf,Chairman's Statement ASEM1,chairs_statement,1996-03-02,,TH,en,public,summit,First summit\n"
        "virus.pdf,Bad file,report,1996-03-02,,,en,restricted,,\n"
        "missing.pdf,Missing file,report,1996-13-02,ASEM99,XX,en,secret,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["archive", "import-folder", str(folder)])
    assert result.exit_code != 0
    assert "Line 3: “virus.pdf”: This is a program" in result.output
    assert "Line 4: file “missing.pdf” is not in the folder." in result.output
    assert "Line 4: date" in result.output and "Line 4: meeting" in result.output
    assert "Line 4: partner “XX”" in result.output and "Line 4: confidentiality" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0
    (folder / "manifest.csv").write_text(
        "files,title,type,date,meeting,partners,language,confidentiality,tags,description\n"
        "asem1.pdf,Chairman's Statement ASEM1,chairs_statement,1996-03-02,,TH,en,public,summit,First summit\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["archive", "import-folder", str(folder)])
    assert result.exit_code == 0 and "Filed 1 records." in result.output
    assert db.session.scalar(sa.select(sa.func.count(RecordVersion.id))) == 1
