"""Every download of an archive file is an audit entry (archive/downloads.py; ASVS V7.1, V8.3.5).

An official's account that downloads everything it may read leaves a trace in the tamper-evident
trail: who, which record, version and file, and the hash of the bytes served. A refused or missing
file writes nothing, and a download whose entry cannot be written fails rather than leave unaudited.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil

import pytest
import sqlalchemy as sa

from secretariat import audit
from secretariat.archive import files
from secretariat.archive.downloads import COPY_DOWNLOADED, FILE_DOWNLOADED
from secretariat.archive.models import RecordFile, SearchableCopy
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

NOTE = b"Minutes of the Senior Officials' Meeting, as agreed."


def downloads() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action.in_((FILE_DOWNLOADED, COPY_DOWNLOADED)))
            .order_by(AuditEntry.seq)
        )
    )


def latest_file() -> RecordFile:
    """The file of the record filed last (file_record commits one record at a time)."""
    return db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()).limit(1))


def url(record_id: int, file_id: int, *, version: int = 1, copy: bool = False) -> str:
    return f"/archive/records/{record_id}/versions/{version}/files/{file_id}" + ("/searchable-copy" if copy else "")


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def public_note(coordinator):
    record = file_record(coordinator, "SOM minutes", files=[("som-minutes.txt", NOTE)], confidentiality="public")
    return record, latest_file()


def test_an_officials_download_is_an_audit_entry_and_the_chain_still_verifies(client, login_as, public_note):
    record, row = public_note
    record_id, file_id = record.id, row.id
    official = login_as("official", partner_code="JP")
    assert downloads() == []

    response = client.get(url(record_id, file_id))

    assert response.status_code == 200 and response.data == NOTE
    # the answer is what it was before downloads were audited
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="som-minutes.txt"')
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {part.strip() for part in response.headers["Cache-Control"].split(",")}
    (entry,) = downloads()
    assert (entry.action, entry.actor_id, entry.actor_label) == (FILE_DOWNLOADED, official.id, official.email)
    assert (entry.object_type, entry.object_id, entry.ip_address) == ("records", str(record_id), "127.0.0.1")
    assert json.loads(entry.details) == {
        "record_id": record_id,
        "version": 1,
        "file_id": file_id,
        "filename": "som-minutes.txt",
        "sha256": hashlib.sha256(NOTE).hexdigest(),
    }
    assert audit.verify().ok

    assert client.get(url(record_id, file_id)).status_code == 200  # each download is its own entry
    assert len(downloads()) == 2 and audit.verify().ok


def test_a_refused_or_missing_file_writes_no_download_entry(client, login_as, coordinator, public_note):
    public, public_row = public_note
    public_id, public_file = public.id, public_row.id
    secret = file_record(
        coordinator, "Coordinators' note", files=[("note.txt", b"for coordinators")], confidentiality="coordinators"
    )
    secret_id, secret_file = secret.id, latest_file().id
    login_as("official", partner_code="JP")

    refused = [
        url(secret_id, secret_file),  # a record the official may not see
        url(secret_id, secret_file, copy=True),
        url(public_id, secret_file),  # a visible record with another record's file id
        url(public_id, secret_file + 1000),  # no such file
        url(public_id, public_file, version=2),  # no such version
        url(public_id + 1000, public_file),  # no such record
        url(public_id, public_file, copy=True),  # a text file has no searchable copy
    ]
    for address in refused:
        assert client.get(address).status_code == 404, address
    assert downloads() == []

    files.blob_path(public_row.blob_sha256).unlink()  # the row is there, its stored bytes are not
    assert client.get(url(public_id, public_file)).status_code == 404
    assert downloads() == []


def test_a_download_whose_entry_cannot_be_written_fails_and_serves_nothing(app, client, login_as, public_note):
    """The database refuses the entry (a trigger stands for a locked or failing database): the
    generic error page, never the file, never a stack trace."""
    record, row = public_note
    record_id, file_id = record.id, row.id
    login_as("official", partner_code="JP")
    postgres = db.engine.dialect.name == "postgresql"
    refuse = (
        [
            "CREATE FUNCTION refuse_audit_entry() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit entries refused'; END $$",
            "CREATE TRIGGER refuse_audit_entry BEFORE INSERT ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_entry()",
        ]
        if postgres
        else [
            "CREATE TRIGGER refuse_audit_entry BEFORE INSERT ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit entries refused'); END"
        ]
    )
    allow = ["DROP TRIGGER refuse_audit_entry" + (" ON audit_entries" if postgres else "")] + (
        ["DROP FUNCTION refuse_audit_entry()"] if postgres else []
    )
    with db.engine.begin() as connection:
        for statement in refuse:
            connection.exec_driver_sql(statement)
    try:
        response = client.get(url(record_id, file_id))
    finally:
        with db.engine.begin() as connection:
            for statement in allow:
                connection.exec_driver_sql(statement)

    body = page_text(response)
    assert response.status_code == 500
    assert NOTE.decode() not in body and "Content-Disposition" not in response.headers
    assert "Traceback" not in body and "audit entries refused" not in body
    assert re.search(r"reference <code>[0-9a-f]{12}</code>", body)
    assert downloads() == [] and audit.verify().ok
    assert client.get(url(record_id, file_id)).data == NOTE  # the database writes again: so do downloads
    assert len(downloads()) == 1 and audit.verify().ok


def test_the_audit_page_shows_a_download_in_words_with_a_link_to_the_record(client, login_as, public_note):
    record, row = public_note
    record_id, file_id = record.id, row.id
    login_as("official", partner_code="JP")
    assert client.get(url(record_id, file_id)).status_code == 200
    client.logout()

    login_as("admin")
    page = page_text(client.get("/admin/audit"))
    assert "File downloaded" in page and FILE_DOWNLOADED not in page
    assert f'href="/archive/records/{record_id}"' in page
    assert "som-minutes.txt" in page
    only_downloads = page_text(client.get(f"/admin/audit?action={FILE_DOWNLOADED}"))
    assert "File downloaded" in only_downloads and "Record filed" not in only_downloads


@pytest.fixture
def recognition(app):
    """Searchable copies need OCRmyPDF and its tools: skipped without them, as test_searchable_copy.py is."""
    copies = pytest.importorskip("tests.archive.test_searchable_copy")
    tools = ("tesseract", "pdftoppm", "pdftotext", "ocrmypdf", "prlimit")
    missing = [tool for tool in tools if not shutil.which(tool)]
    missing += [copies.FONT] if not os.path.exists(copies.FONT) else []
    if missing:
        if os.environ.get("REQUIRE_OCR") == "1":
            pytest.fail(f"REQUIRE_OCR=1 but missing: {missing}")
        pytest.skip(f"searchable copies need {missing} (see README)")
    app.config["EXTRACTION_RECOGNISE"] = True
    yield copies
    app.config.update(EXTRACTION_RECOGNISE=False, EXTRACTION_RECOGNISE_WALL_SECONDS=600)


def test_a_searchable_copy_download_is_an_audit_entry_of_its_own(client, login_as, coordinator, recognition):
    record = file_record(coordinator, "Scanned chair's statement", files=[recognition.scan("pdf")])
    row = recognition.filed_file()
    assert recognition.copies_job() == "1 searchable copy made."
    record_id, file_id = record.id, row.id
    copy_sha256 = db.session.get(SearchableCopy, file_id).blob_sha256
    official = login_as("official", partner_code="JP")

    response = client.get(url(record_id, file_id, copy=True))

    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == copy_sha256
    (entry,) = downloads()
    assert (entry.action, entry.actor_id, entry.object_id) == (COPY_DOWNLOADED, official.id, str(record_id))
    details = json.loads(entry.details)
    assert (details["file_id"], details["filename"], details["sha256"]) == (file_id, "scan.pdf", copy_sha256)
    assert audit.verify().ok
    client.logout()

    login_as("admin")
    assert "Searchable copy downloaded" in page_text(client.get("/admin/audit"))
