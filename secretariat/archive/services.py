"""Records: filing, revising, withdrawing; files in and out; the search index kept in step; integrity checks."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import abort, current_app
from sqlalchemy.orm import Session, aliased

from secretariat import audit
from secretariat.agenda.models import Meeting
from secretariat.archive import files, integrity, textextract
from secretariat.archive.access import PARTNER_LEVELS, can_see, cleared, embargo_end_of, strictest_with_seal
from secretariat.archive.models import (
    Blob,
    Confidentiality,
    Record,
    RecordFile,
    RecordType,
    RecordVersion,
    SearchOutbox,
    record_partners,
)
from secretariat.archive.search import engine, pairs
from secretariat.audit.services import canonical_json
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.sanitize import plain_text, rich_text
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
    status = "pending" if mime in textextract.WITH_TEXT else "empty"
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
    return PreparedFile(sha, len(data), mime, files.clean_filename(filename, mime), status, kept)


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
    codes = sorted(set(data.get("partners") or []))
    record.partners = list(db.session.scalars(sa.select(Partner).where(Partner.code.in_(codes)))) if codes else []


def _new_version(
    record: Record, number: int, note: str, prepared: list[PreparedFile], kept: list[RecordFile], actor
) -> RecordVersion:
    metadata = record_metadata(record)
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
                extracted_text=old.extracted_text,
            )
        )
        db.session.add(rows[-1])
    db.session.flush()
    hashes = [(row.blob_sha256, row.filename) for row in rows]
    # The seal covers the type and size served with each file too: they decide how it is delivered.
    version.seal_sha256 = integrity.seal_of(metadata, rows)
    record.current_version = number
    db.session.add(SearchOutbox(record_id=record.id))
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


def create_record(
    data: dict[str, Any], prepared: list[PreparedFile], *, actor, source_ref: str | None = None
) -> Record:
    record = Record(source_ref=source_ref)
    _apply(record, data)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "archive.create", record, **record_metadata(record))
    _new_version(record, 1, "Filed", prepared, [], actor)
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
    claimed = db.session.execute(
        sa.update(Record)
        .where(Record.id == record.id, Record.version == expected_version)
        .values(version=expected_version + 1)
    ).rowcount
    db.session.expire(record)
    if claimed != 1:
        raise RecordConflict(record, record_metadata(record), data)
    current = current_version(record)
    kept = [f for f in current.files if f.id in keep_file_ids]
    before = record_metadata(record)
    _apply(record, data)
    db.session.flush()
    version = _new_version(record, record.current_version + 1, change_note, prepared, kept, actor)
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
    db.session.add(SearchOutbox(record_id=record.id))
    db.session.flush()
    # The instant, not only the fact: `archive verify` holds the row's withdrawn_at to it.
    audit.record(
        actor, "archive.withdraw", record, reason=record.withdrawn_reason, **integrity.withdrawal_details(record)
    )


class MeetingDocument(NamedTuple):
    """A document in a meeting's list: what the meeting page shows of it."""

    id: int
    title: str
    record_type: str
    record_date: date


# Built once with a bound meeting id: the meeting page runs one of them on every view.
_RECORDS = Record.__table__
_MEETING_DOCUMENTS = (
    sa.select(
        _RECORDS.c.id,
        _RECORDS.c.title,
        _RECORDS.c.record_type,
        _RECORDS.c.record_date,
        _RECORDS.c.embargo_until,
        _RECORDS.c.embargo_meeting_id,
    )
    .where(_RECORDS.c.meeting_id == sa.bindparam("meeting_id"))
    .order_by(_RECORDS.c.record_date, _RECORDS.c.id)
)
# What a partner may never open stays in the database.
_PARTNER_MEETING_DOCUMENTS = _MEETING_DOCUMENTS.where(
    _RECORDS.c.confidentiality.in_(PARTNER_LEVELS), _RECORDS.c.withdrawn_at.is_(None)
)


def records_of_meeting(meeting_id: int, user) -> list[MeetingDocument]:
    """The meeting's documents the user may open, oldest first.

    Rows of the shown columns, not records: a meeting may have dozens and the page shows four
    columns of each. Records under an embargo, which changes with time and with the embargo's
    meeting, are loaded whole and judged by the one rule (access.can_see).
    """
    if cleared(user):
        rows = db.session.execute(_MEETING_DOCUMENTS, {"meeting_id": meeting_id}).all()
        return [MeetingDocument(*row[:4]) for row in rows]
    rows = db.session.execute(_PARTNER_MEETING_DOCUMENTS, {"meeting_id": meeting_id}).all()
    under_embargo = [row.id for row in rows if row.embargo_until is not None or row.embargo_meeting_id is not None]
    hidden: set[int] = set()
    if under_embargo:
        records = db.session.scalars(sa.select(Record).where(Record.id.in_(under_embargo)))
        hidden = {record.id for record in records if not can_see(user, record)}
    return [MeetingDocument(*row[:4]) for row in rows if row.id not in hidden]


def get_record(record_id: int) -> Record | None:
    return db.session.get(Record, record_id)


#: built once, the record bound at execution: the record page reads it at every view
_VERSIONS = (
    sa.select(RecordVersion)
    .where(RecordVersion.record_id == sa.bindparam("record_id"))
    .order_by(RecordVersion.number.desc())
)


def versions(record: Record) -> list[RecordVersion]:
    """The record's versions, the latest first (each with its files)."""
    return list(db.session.scalars(_VERSIONS, {"record_id": record.id}))


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
        abort(404)
    return version


def get_file(version: RecordVersion, file_id: int) -> RecordFile:
    for row in version.files:
        if row.id == file_id:
            return row
    abort(404)


# --- search index ---------------------------------------------------------------------------------


def record_fields(ids: list[int], session=None, *, every_id_between: bool = False) -> list[dict]:
    """The index entries of these records: their current version's text, facets and access attributes.

    Read as rows in three queries (records with their meetings, partners, current files' text):
    as ORM objects a rebuild spent 150 us a record on them, most of a rebuild's time.

    ``every_id_between``: ``ids`` are every record id from the first to the last, in order (a
    rebuild's batch), so the queries ask for that range instead of listing 5,000 ids: on
    PostgreSQL a batch of 5,000 took 380-410 ms to read with the list, 150-250 ms with the range.
    """
    session = session or db.session
    if every_id_between:

        def among(column):
            return column.between(ids[0], ids[-1])
    else:

        def among(column):
            return column.in_(ids)

    meeting, embargo_meeting = aliased(Meeting), aliased(Meeting)
    rows = session.execute(
        sa.select(
            Record.id,
            Record.title,
            Record.record_type,
            Record.record_date,
            Record.language,
            Record.description_html,
            Record.tags,
            Record.confidentiality,
            Record.withdrawn_at,
            Record.embargo_until,
            Record.embargo_meeting_id,
            meeting.id.label("meeting_id"),
            meeting.kind.label("meeting_kind"),
            meeting.code.label("meeting_code"),
            embargo_meeting.closed_at.label("embargo_meeting_closed_at"),
            RecordVersion.metadata_json,
        )
        .outerjoin(meeting, meeting.id == Record.meeting_id)
        .outerjoin(embargo_meeting, embargo_meeting.id == Record.embargo_meeting_id)
        .outerjoin(
            RecordVersion,
            (RecordVersion.record_id == Record.id) & (RecordVersion.number == Record.current_version),
        )
        .where(among(Record.id))
        .order_by(Record.id)
    ).all()
    partners: dict[int, list[str]] = {}
    for record_id, code in session.execute(
        sa.select(record_partners.c.record_id, Partner.code)
        .join(Partner, Partner.id == record_partners.c.partner_id)
        .where(among(record_partners.c.record_id))
        .order_by(Partner.name)
    ):
        partners.setdefault(record_id, []).append(code)
    texts: dict[int, list[str]] = {}
    for record_id, text in session.execute(
        sa.select(RecordVersion.record_id, RecordFile.extracted_text)
        .join(RecordFile, RecordFile.version_id == RecordVersion.id)
        .join(Record, (Record.id == RecordVersion.record_id) & (Record.current_version == RecordVersion.number))
        .where(among(Record.id))
        .order_by(RecordFile.id)
    ):
        texts.setdefault(record_id, []).append(text)
    documents = []
    for row in rows:
        # The text indexed is the current version's: it is filed under the strictest of the record's
        # level and embargo and those that version was sealed with (as its page, access.can_see_version).
        level, end = strictest_with_seal(
            row.confidentiality,
            embargo_end_of(row.embargo_until, row.embargo_meeting_id, row.embargo_meeting_closed_at),
            row.metadata_json,
            embargo_meeting_id=row.embargo_meeting_id,
            embargo_meeting_closed_at=row.embargo_meeting_closed_at,
            session=session,
        )
        file_text = "\n".join(texts.get(row.id, ()))
        documents.append(
            {
                "doc_key": f"record:{row.id}",
                "record_id": row.id,
                "title": row.title,
                "body": "\n".join(part for part in (plain_text(row.description_html), row.tags, file_text) if part),
                "type": row.record_type,
                "meeting_kind": row.meeting_kind if row.meeting_id else "none",
                "meeting_code": (row.meeting_code or str(row.meeting_id)) if row.meeting_id else "",
                "partners": partners.get(row.id) or ["none"],
                "language": row.language,
                "tags": [t.strip() for t in row.tags.split(",") if t.strip()] or ["none"],
                "confidentiality": level,
                "year": row.record_date.year,
                "withdrawn": 1 if row.withdrawn_at else 0,
                "date": _as_datetime(row.record_date),
                "embargo_until": min(end, engine.FAR_FUTURE) if end else engine.EPOCH,
            }
        )
    return documents


def initiative_fields(initiative) -> dict:
    """The index entry of a work-programme initiative: found by the same search box, visible to every user."""
    sponsors = [initiative.lead_partner, *initiative.co_sponsors]
    meeting = initiative.mandate_meeting
    day = initiative.start_date or initiative.created_at.date()
    return {
        "doc_key": f"initiative:{initiative.id}",
        "record_id": 0,
        "title": f"{initiative.code} {initiative.title}",
        "body": "\n".join(
            part
            for part in (
                plain_text(initiative.summary_html),
                ", ".join(p.name for p in sponsors),
                initiative.mandate_reference,
            )
            if part
        ),
        "type": "initiative",
        "meeting_kind": meeting.kind if meeting else "none",
        "meeting_code": (meeting.code or str(meeting.id)) if meeting else "",
        "partners": [p.code for p in sponsors],
        "language": "en",
        "tags": [initiative.pillar],
        "confidentiality": "restricted",
        "year": day.year,
        "withdrawn": 0,
        "date": _as_datetime(day),
        "embargo_until": engine.EPOCH,
    }


def _as_datetime(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _documents(kind: str, ids: list[int], session=None, every_id_between: bool = False) -> list[dict]:
    session = session or db.session
    if kind == "initiative":
        from secretariat.programme.models import Initiative

        return [initiative_fields(i) for i in session.scalars(sa.select(Initiative).where(Initiative.id.in_(ids)))]
    return record_fields(ids, session, every_id_between=every_id_between)


def sync(batch: int = 500, wait: bool = False) -> int:
    """Apply pending outbox rows to the index; returns how many objects were re-indexed.

    Idempotent and safe to run from any process at any time (the index has one writer at a time).
    While a rebuild holds the writer (minutes at a million records), a request's sync gives up after
    half a second (raising) and leaves the rows for the next sync instead of making a user wait;
    commands pass ``wait=True``.
    """
    done = 0
    while True:
        rows = db.session.execute(
            sa.select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.record_id).order_by(SearchOutbox.id).limit(batch)
        ).all()
        if not rows:
            return done
        keys, documents = [], []
        for kind in sorted({r.kind for r in rows}):
            ids = sorted({r.record_id for r in rows if r.kind == kind})
            keys.extend(f"{kind}:{i}" for i in ids)
            documents.extend(_documents(kind, ids))  # objects that no longer exist just leave the index
        engine.replace_documents(engine.get_index(), keys, documents, attempts=50 if wait else 5)
        db.session.execute(sa.delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        db.session.commit()
        done += len(keys)


#: built once: every search asks it first
_ANY_PENDING = sa.select(SearchOutbox.__table__.c.id).limit(1)


def pending() -> bool:
    """Whether changes wait to reach the search index."""
    return db.session.execute(_ANY_PENDING).first() is not None


_rebuilding = threading.Lock()  # held by this process's background rebuild while it runs


def ensure_index() -> bool:
    """True while the index misses records of the archive; a rebuild from the database is then
    started in the background.

    An index started afresh (a new release's schema, a lost index folder: engine.get_index) may
    already hold the records saved since, and only those: it is rebuilt unless it holds as many
    documents as the archive has records and initiatives (a new archive, filled record by record
    from the start). An older index is rebuilt when it is empty but the archive is not.

    Not in the request: at a million records a rebuild takes minutes, longer than a worker may
    answer (gunicorn's timeout would kill it and the next search would start it again, forever).
    Searches answer meanwhile from the empty index and say so. Another process may start its own
    rebuild at the same time; the index's single writer makes it wait, then give up (logged).
    """
    index = engine.get_index()
    held = engine.document_count(index)
    if engine.is_new(index):
        if held >= _archive_size():
            engine.settled(index)
            return False
    elif held or db.session.scalar(sa.select(Record.id).limit(1)) is None:
        return False
    if _rebuilding.acquire(blocking=False):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_rebuild_in_background, args=(app,), name="search-rebuild", daemon=True).start()
    return True


def _archive_size() -> int:
    """How many documents a complete index holds: one per record and one per initiative."""
    from secretariat.programme.models import Initiative

    records = db.session.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    return records + (db.session.scalar(sa.select(sa.func.count()).select_from(Initiative)) or 0)


def rebuild_running() -> bool:
    return _rebuilding.locked()


def _rebuild_in_background(app) -> None:
    try:
        with app.app_context():
            count = rebuild()
            app.logger.info("search index rebuilt in the background: %d records", count)
    except Exception:
        app.logger.exception("search index rebuild failed; the next search starts another")
    finally:
        _rebuilding.release()


def rebuild(batch: int = 5000) -> int:
    """Recreate the whole index from the database: every record and every initiative."""
    from secretariat.programme.models import Initiative

    index = engine.get_index()
    count = 0
    # A private session: the batches can be dropped as they go without touching the caller's objects.
    with Session(db.engine) as session:
        # Which words are common is learned before any record is re-added (see search/pairs.py).
        sample = list(session.scalars(sa.select(Record.id).order_by(sa.func.random()).limit(pairs.SAMPLE_SIZE)))
        engine.learn_common_words(index, (f"{d['title']}\n{d['body']}" for d in _documents("record", sample, session)))
        session.expunge_all()
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()
        with engine.rebuilding(index) as add:
            for model, kind in ((Record, "record"), (Initiative, "initiative")):
                last = 0
                while True:
                    after_last = sa.select(model.id).where(model.id > last).order_by(model.id).limit(batch)
                    ids = list(session.scalars(after_last))
                    if not ids:
                        break
                    # The batch holds every id after the last one up to its own last: a range. (A
                    # record committed meanwhile with an id inside it is read too: harmless, its
                    # outbox row adds it again, delete then add.)
                    for fields in _documents(kind, ids, session, every_id_between=True):
                        add(fields)
                    count += len(ids) if kind == "record" else 0
                    last = ids[-1]
                    session.expunge_all()
    engine.settled(index)
    return count


# --- integrity ------------------------------------------------------------------------------------

#: the check lives in archive/integrity.py; the name stays here for the commands and callers
verify = integrity.verify
VerifyReport = integrity.VerifyReport


#: an upload in progress has its bytes on disk before its row is committed (bytes first, row later),
#: so the sweep only removes files older than this: a crash's leftovers, never a live upload's
SWEEP_GRACE = timedelta(hours=1)


def sweep_orphans(*, remove: bool, grace: timedelta = SWEEP_GRACE) -> tuple[list[tuple[str, bool]], list[str]]:
    """Bytes on disk with no row (after a crash), each with whether it was removed; rows whose bytes are missing."""
    on_disk = files.stored_hashes()
    known = set(db.session.scalars(sa.select(Blob.sha256)))
    orphans = []
    for sha in sorted(on_disk - known):
        old_enough = files.age_seconds(files.blob_path(sha)) >= grace.total_seconds()
        if remove and old_enough:
            files.blob_path(sha).unlink(missing_ok=True)
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
