"""Records: filing, revising, withdrawing; files in and out; integrity checks.

What the search index holds and how it is kept in step lives in search/indexing.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from secretariat import audit
from secretariat.archive import files, integrity, searchable_copy, textextract
from secretariat.archive.models import (
    Blob,
    Confidentiality,
    Record,
    RecordFile,
    RecordType,
    RecordVersion,
    SearchChange,
)
from secretariat.archive.search import indexing, languages
from secretariat.audit.services import canonical_json
from secretariat.auth.models import Partner
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.notify import record_events
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow


class RecordRefused(Exception):
    """The record cannot be filed or changed as asked; the message says why."""


@dataclass
class RecordConflict(Exception):
    record: Record
    current: dict
    submitted: dict


@dataclass
class PreparedFile:
    """An upload that passed the checks and whose bytes are already stored (the row comes later)."""

    sha256: str
    size: int
    mime_type: str
    filename: str
    text_status: str
    text: str
    #: known at once only for text the application wrote; an upload's is detected by the worker
    language: str | None = None


# --- files -----------------------------------------------------------------------------------------


def prepare_upload(filename: str, data: bytes) -> PreparedFile:
    """Check an upload (size, type from content, zip bombs) and store its bytes.

    Its text is not read here: a hostile document could hold a web worker for minutes. The file is
    filed with its text "pending" and the extraction worker reads it (archive/extraction.py).
    """
    if not data:
        raise files.FileRefused(f"“{filename or 'The file'}” is empty.")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if len(data) > limit:
        raise files.FileRefused(f"“{filename}” is larger than {limit // (1024 * 1024)} MB.")
    mime = files.sniff(data)
    # Bytes first, row later: a crash in between leaves an orphan the sweep removes, never a row without bytes.
    sha = files.store(data)
    # An image has text only for recognition (scanned paper), where it is switched on.
    readable = mime in textextract.WITH_TEXT and (
        mime not in textextract.IMAGES or current_app.config["EXTRACTION_RECOGNISE"]
    )
    status = "pending" if readable else "empty"
    return PreparedFile(sha, len(data), mime, files.clean_filename(filename, mime), status, "")


def prepare_generated_text(filename: str, text: str) -> PreparedFile:
    """A plain-text file the application wrote itself (a frozen agenda, adopted minutes): filed with its text.

    Nothing to extract: the text is ours, already in hand, and as short as the forms it came from,
    so it is searchable as soon as it is filed. Uploads always go through prepare_upload.
    """
    data = text.encode("utf-8")
    mime = files.sniff(data)
    if mime != files.TXT:
        raise ValueError("generated text must be plain text")
    sha = files.store(data)
    kept = re.sub(r"[ \t]+", " ", text).strip()[: files.TEXT_LIMIT]
    status = "extracted" if kept else "empty"
    name = files.clean_filename(filename, mime)
    # In the request: plain ASCII is taken for English without loading the detector (see detect).
    return PreparedFile(sha, len(data), mime, name, status, kept, (languages.detect(kept) or "en") if kept else None)


def _file_row(version: RecordVersion, prepared: PreparedFile) -> RecordFile:
    if db.session.get(Blob, prepared.sha256) is None:
        db.session.add(Blob(sha256=prepared.sha256, size=prepared.size))
    row = RecordFile(
        version_id=version.id,
        blob_sha256=prepared.sha256,
        filename=prepared.filename,
        mime_type=prepared.mime_type,
        size=prepared.size,
        text_status=prepared.text_status,
        extracted_text=prepared.text,
        language=prepared.language,
    )
    db.session.add(row)
    return row


# --- records ---------------------------------------------------------------------------------------


def record_metadata(record: Record) -> dict[str, Any]:
    return {
        "title": record.title,
        "record_type": record.record_type,
        "record_date": record.record_date.isoformat(),
        "meeting_id": record.meeting_id,
        "language": record.language,
        "description_source": record.description_source,
        "tags": record.tags,
        "confidentiality": record.confidentiality,
        "embargo_until": record.embargo_until.isoformat() if record.embargo_until else None,
        "embargo_meeting_id": record.embargo_meeting_id,
        "partners": sorted(p.code for p in record.partners),
    }


def _apply(record: Record, data: dict[str, Any]) -> None:
    codes = sorted(set(data.get("partners") or []))
    # Read before any change: an autoflush in between would write the record twice (two versions).
    partners = list(db.session.scalars(sa.select(Partner).where(Partner.code.in_(codes)))) if codes else []
    record.title = data["title"].strip()
    record.record_type = RecordType(data["record_type"]).value
    record.record_date = data["record_date"]
    record.meeting_id = data.get("meeting_id") or None
    record.language = (data.get("language") or "en").strip().lower()[:8]
    record.description_source = data.get("description_source") or ""
    record.description_html = str(rich_text(record.description_source))
    tags = [t.strip().lower() for t in (data.get("tags") or "").replace(";", ",").split(",")]
    record.tags = ", ".join(sorted({t for t in tags if t}))[:500]
    record.confidentiality = Confidentiality(data["confidentiality"]).value
    record.embargo_until = data.get("embargo_until")
    record.embargo_meeting_id = data.get("embargo_meeting_id") or None
    record.partners = partners


def _new_version(
    record: Record, number: int, note: str, prepared: list[PreparedFile], kept: list[RecordFile], actor
) -> RecordVersion:
    metadata = record_metadata(record)
    record.current_version = number  # with the metadata, in one UPDATE: one step of Record.version
    version = RecordVersion(
        record_id=record.id,
        number=number,
        change_note=note[:1000],
        metadata_json=canonical_json(metadata),
        seal_sha256="",
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    rows = [_file_row(version, p) for p in prepared]
    for old in kept:
        rows.append(
            RecordFile(
                version_id=version.id,
                blob_sha256=old.blob_sha256,
                filename=old.filename,
                mime_type=old.mime_type,
                size=old.size,
                # A copy still waiting for the worker is a job of its own.
                text_status="pending" if old.text_status in ("pending", "extracting") else old.text_status,
                text_problem=old.text_problem,
                text_recognised=old.text_recognised,
                text_confidence=old.text_confidence,
                extracted_text=old.extracted_text,
                language=old.language,
            )
        )
        db.session.add(rows[-1])
    db.session.flush()
    searchable_copy.carry_over({old.id: row.id for old, row in zip(kept, rows[len(prepared) :], strict=True)})
    hashes = [(row.blob_sha256, row.filename) for row in rows]
    # The seal covers the type and size served with each file too: they decide how it is delivered.
    version.seal_sha256 = integrity.seal_of(metadata, rows)
    db.session.add(SearchChange(record_id=record.id))
    db.session.flush()
    audit.record(
        actor,
        "archive.version",
        record,
        version=number,
        seal=version.seal_sha256,
        files=[{"sha256": h, "name": n} for h, n in hashes],
        note=note,
    )
    return version


def filed_language(data: dict[str, Any], prepared: list[PreparedFile]) -> str:
    """The record's language as filed: the filer's choice, or with "Detect automatically" (or none
    given) what the detector reads in its title, description and the text already in hand, else English.

    An upload's text is read later by the worker, which detects each file's own language. Here, in
    the request, plain ASCII is taken for English without loading the detector (languages.detect).
    """
    chosen = (data.get("language") or languages.AUTO).strip().lower()[:8]
    if chosen != languages.AUTO:
        return chosen
    text = "\n".join([data.get("title") or "", data.get("description_source") or "", *(p.text for p in prepared)])
    return languages.detect(text) or "en"


def create_record(
    data: dict[str, Any], prepared: list[PreparedFile], *, actor, source_ref: str | None = None
) -> Record:
    data = {**data, "language": filed_language(data, prepared)}
    record = Record(source_ref=source_ref)
    _apply(record, data)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "archive.create", record, **record_metadata(record))
    _new_version(record, 1, "Filed", prepared, [], actor)
    record_events.filed(record)
    return record


def revise_record(
    record: Record,
    data: dict[str, Any],
    prepared: list[PreparedFile],
    *,
    keep_file_ids: set[int],
    change_note: str,
    expected_version: int,
    actor,
) -> RecordVersion:
    """A new version: changed metadata and/or files, with a note. Earlier versions stay as they were."""
    if not change_note.strip():
        raise RecordRefused("Say what changed in this version.")
    if record.version != expected_version:
        raise RecordConflict(record, record_metadata(record), data)
    current = current_version(record)
    kept = [f for f in current.files if f.id in keep_file_ids]
    before = record_metadata(record)
    data = {**data, "language": filed_language(data, prepared)}
    try:
        _apply(record, data)
        # Record.version is the mapper's version counter: the UPDATE finds no row if someone saved first.
        version = _new_version(record, record.current_version + 1, change_note, prepared, kept, actor)
    except StaleDataError:
        db.session.rollback()  # the failed flush leaves the session unusable; then read what the other save wrote
        raise RecordConflict(record, record_metadata(record), data) from None
    audit.record(
        actor, "archive.update", record, diff=audit.diff(before, record_metadata(record)), version=version.number
    )
    return version


def withdraw(record: Record, reason: str, *, actor) -> None:
    """Withdrawal hides a record from partners; nothing is deleted and coordinators still see why."""
    if not reason.strip():
        raise RecordRefused("Give the reason for the withdrawal.")
    if record.withdrawn_at is not None:
        raise RecordRefused("The record is already withdrawn.")
    record.withdrawn_at = utcnow()
    record.withdrawn_reason = reason.strip()
    db.session.add(SearchChange(record_id=record.id))
    db.session.flush()
    # The instant, not only the fact: `archive verify` holds the row's withdrawn_at to it.
    audit.record(
        actor, "archive.withdraw", record, reason=record.withdrawn_reason, **integrity.withdrawal_details(record)
    )


def set_file_language(record: Record, row: RecordFile, language: str, *, actor) -> bool:
    """Correct the language of a file of the record's current version; whether it changed.

    The language is how the file is catalogued and indexed, not part of what the version sealed
    (its bytes, names and types): the correction is audited and leaves the version as filed.
    """
    language = language.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}|other", language):
        raise RecordRefused("Choose a language from the list.")
    if row not in current_version(record).files:
        raise NotFound("file")
    before = row.language
    if before == language:
        return False
    row.language = language
    db.session.add(SearchChange(record_id=record.id))
    db.session.flush()
    audit.record(
        actor, "archive.file_language", record, file_id=row.id, filename=row.filename, before=before, after=language
    )
    return True


def get_record(record_id: int) -> Record | None:
    return db.session.get(Record, record_id)


def versions(record: Record) -> list[RecordVersion]:
    """The record's versions, the latest first (each with its files)."""
    return list(
        db.session.scalars(
            sa.select(RecordVersion).where(RecordVersion.record_id == record.id).order_by(RecordVersion.number.desc())
        )
    )


def current_version(record: Record, session=None) -> RecordVersion:
    return (session or db.session).scalar(
        sa.select(RecordVersion).where(
            RecordVersion.record_id == record.id, RecordVersion.number == record.current_version
        )
    )


def get_version(record: Record, number: int) -> RecordVersion:
    version = db.session.scalar(
        sa.select(RecordVersion).where(RecordVersion.record_id == record.id, RecordVersion.number == number)
    )
    if version is None:
        raise NotFound("record version")
    return version


def get_file(version: RecordVersion, file_id: int) -> RecordFile:
    for row in version.files:
        if row.id == file_id:
            return row
    raise NotFound("file")


# --- integrity ------------------------------------------------------------------------------------

#: the check lives in archive/integrity.py; the name stays here for the commands and callers
verify = integrity.verify
VerifyReport = integrity.VerifyReport
#: the index is kept by search/indexing.py; the names stay here for the commands and callers
sync = indexing.sync
rebuild = indexing.rebuild


#: an upload in progress has its bytes on disk before its row is committed (bytes first, row later),
#: so the sweep only removes files older than this: a crash's leftovers, never a live upload's
SWEEP_GRACE = timedelta(hours=1)


def sweep_orphans(*, remove: bool, grace: timedelta = SWEEP_GRACE) -> tuple[list[tuple[str, bool]], list[str]]:
    """Bytes on disk with no row (after a crash), each with whether it was removed; rows whose bytes are missing."""
    on_disk = files.stored_hashes()
    known = set(db.session.scalars(sa.select(Blob.sha256)))
    orphans = []
    for sha in sorted(on_disk - known):
        old_enough = files.blob_age_seconds(sha) >= grace.total_seconds()
        if remove and old_enough:
            files.delete(sha)
        orphans.append((sha, remove and old_enough))
    missing = sorted(known - on_disk)
    return orphans, missing


def sweep_temporaries(*, remove: bool, grace: timedelta = SWEEP_GRACE) -> list[tuple[str, bool]]:
    """Half-written uploads left by a killed writer (paths under the storage root), each with whether removed."""
    found = []
    for path in files.stray_temporaries():
        old_enough = files.age_seconds(path) >= grace.total_seconds()
        if remove and old_enough:
            path.unlink(missing_ok=True)
        found.append((str(path.relative_to(files.storage_root())), remove and old_enough))
    return found
