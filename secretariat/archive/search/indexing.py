"""What the search index holds for a record and for an initiative, and how it is kept in step.

The database is the source of truth. Every change that alters what a search finds writes a row to
``search_outbox`` in its own transaction; ``sync`` applies pending rows to the index (delete then
add, so applying one twice does no harm). When they are applied:

- right after the commit that wrote them: a session listener notes the outbox rows a commit
  carried, and the request's teardown (after the view's commit) applies them if it gets the index's
  single writer at once; if another process holds it (a rebuild), the rows wait for the worker;
- by the worker (``flask worker``: archive/extraction.py), after each file it reads and at every
  poll, and by ``flask archive sync``.

A search never writes: it reads the index as it is. An index that misses records (started afresh
by a new release or after a loss, or emptied) or whose rebuild a coordinator asked for is rebuilt
only by ``flask archive reindex`` or by the worker, never inside a web request; searches meanwhile
say that results are incomplete.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, aliased

from secretariat.agenda.models import Meeting
from secretariat.archive.access import embargo_end_of, strictest_with_seal
from secretariat.archive.models import Record, RecordFile, RecordVersion, SearchOutbox, record_partners
from secretariat.archive.search import engine, pairs
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.sanitize import plain_text


class IndexBusy(Exception):
    """Another process holds the index's writer; the outbox keeps the work for the next sync."""


# --- what is indexed ---------------------------------------------------------------------------------


def record_fields(ids: list[int], session=None) -> list[dict]:
    """The index entries of these records: their current version's text, facets and access attributes.

    Read as rows of the indexed columns in three queries (records with their meetings, partners,
    current files' text): a rebuild reads every record of the archive this way.
    """
    session = session or db.session
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
        .where(Record.id.in_(ids))
        .order_by(Record.id)
    ).all()
    partners: dict[int, list[str]] = {}
    for record_id, code in session.execute(
        sa.select(record_partners.c.record_id, Partner.code)
        .join(Partner, Partner.id == record_partners.c.partner_id)
        .where(record_partners.c.record_id.in_(ids))
        .order_by(Partner.name)
    ):
        partners.setdefault(record_id, []).append(code)
    texts: dict[int, list[str]] = {}
    for record_id, text in session.execute(
        sa.select(RecordVersion.record_id, RecordFile.extracted_text)
        .join(RecordFile, RecordFile.version_id == RecordVersion.id)
        .join(Record, (Record.id == RecordVersion.record_id) & (Record.current_version == RecordVersion.number))
        .where(Record.id.in_(ids))
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


def _documents(kind: str, ids: list[int], session=None) -> list[dict]:
    session = session or db.session
    if kind == "initiative":
        from secretariat.programme.models import Initiative

        return [initiative_fields(i) for i in session.scalars(sa.select(Initiative).where(Initiative.id.in_(ids)))]
    return record_fields(ids, session)


# --- the outbox ----------------------------------------------------------------------------------------


def sync(batch: int = 500, wait: bool = True) -> int:
    """Apply pending outbox rows to the index; returns how many objects were re-indexed.

    Safe from any process at any time: the index has one writer at a time. With ``wait=False`` (a
    web request) the writer is tried once and IndexBusy raised if another process holds it.
    """
    db.session.info.pop(_BEHIND, None)
    index = engine.get_index()
    done = 0
    while True:
        rows = db.session.execute(
            sa.select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.record_id).order_by(SearchOutbox.id).limit(batch)
        ).all()
        if not rows:
            break
        keys, documents = [], []
        for kind in sorted({r.kind for r in rows}):
            ids = sorted({r.record_id for r in rows if r.kind == kind})
            keys.extend(f"{kind}:{i}" for i in ids)
            documents.extend(_documents(kind, ids))  # objects that no longer exist just leave the index
        try:
            engine.replace_documents(index, keys, documents, attempts=50 if wait else 1)
        except ValueError as busy:  # tantivy's answer when the writer's lock is taken
            raise IndexBusy(str(busy)) from busy
        db.session.execute(sa.delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        db.session.commit()
        done += len(keys)
    if engine.is_new(index) and not incomplete(index):
        engine.settled(index)  # a new archive, indexed record by record from the start
    return done


#: session.info keys: outbox rows flushed in the open transaction; outbox rows committed, not yet applied
_FLUSHED, _BEHIND = "search_outbox_flushed", "search_index_behind"


def _note_outbox_rows(session, _flush_context) -> None:
    if any(isinstance(obj, SearchOutbox) for obj in session.new):
        session.info[_FLUSHED] = True


def _after_commit(session) -> None:
    if session.info.pop(_FLUSHED, False):
        session.info[_BEHIND] = True


def _after_rollback(session) -> None:
    session.info.pop(_FLUSHED, None)


def _apply_after_request(_exc) -> None:
    """After a request whose commit wrote outbox rows: apply them now if the writer is free."""
    if not db.session.info.get(_BEHIND):
        return
    try:
        sync(wait=False)
    except IndexBusy:
        current_app.logger.info("search index busy (a rebuild?): the worker applies the changes")
    except Exception:
        db.session.rollback()
        current_app.logger.exception("search index sync failed; the worker retries it")


def init_app(app: Flask) -> None:
    """Apply the outbox after each request that committed rows to it."""
    for name, listener in (
        ("after_flush", _note_outbox_rows),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)
    app.teardown_request(_apply_after_request)


# --- rebuilding ----------------------------------------------------------------------------------------


def archive_size() -> int:
    """How many documents a complete index holds: one per record and one per initiative."""
    from secretariat.programme.models import Initiative

    records = db.session.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    return records + (db.session.scalar(sa.select(sa.func.count()).select_from(Initiative)) or 0)


def incomplete(index) -> bool:
    """Whether the index misses documents of the archive: started afresh or emptied, and short of it.

    Counts the archive only then: a settled index with documents is taken as complete (the outbox
    keeps it so).
    """
    held = engine.document_count(index)
    if not engine.is_new(index) and held:
        return False
    return held < archive_size()


def request_rebuild() -> None:
    """Ask the worker to rebuild the index from the database at its next poll."""
    engine.request_rebuild(engine.get_index())


def catch_up() -> int:
    """The worker's step: rebuild the index if it is incomplete or a rebuild was asked for, then sync."""
    index = engine.get_index()
    if engine.rebuild_requested(index) or incomplete(index):
        current_app.logger.info("search index incomplete or rebuild requested: rebuilding")
        count = rebuild()
        current_app.logger.info("search index rebuilt: %d records", count)
    return sync()


def rebuild(batch: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Recreate the whole index from the database: every record and every initiative.

    ``progress`` is called with the number of documents added after each batch. Searchers see the
    old index until the new one is committed whole.
    """
    from secretariat.programme.models import Initiative

    index = engine.get_index()
    engine.rebuild_started(index)
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
                    ids = list(
                        session.scalars(sa.select(model.id).where(model.id > last).order_by(model.id).limit(batch))
                    )
                    if not ids:
                        break
                    documents = _documents(kind, ids, session)
                    for fields in documents:
                        add(fields)
                    count += len(ids) if kind == "record" else 0
                    if progress is not None:
                        progress(len(documents))
                    last = ids[-1]
                    session.expunge_all()
    engine.settled(index)
    return count
