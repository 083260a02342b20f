"""What the search index holds for a record and for an initiative, and how each host's index is kept in step.

The database is the source of truth. Every change that alters what a search finds logs a row in
``search_changes`` in its own transaction (changelog.py: ids in commit order). Each host keeps its
own index (folders.py), which records the last change it applied; ``sync`` applies the changes
after it (delete then add, so applying one twice does no harm) and nobody deletes them for the
others. When they are applied:

- right after the commit that logged them: the request's teardown (after the view's commit)
  applies them if it gets the index's writer at once; if another process holds it, it leaves them;
- by the worker (``flask worker``: archive/extraction.py, ``catch_up``) at every poll and after each
  file it reads, on every host, and by ``flask archive sync``; after a restart or a crash, from the
  change the index recorded.

A search never writes and never needs the writer: it reads the index as it is. An index that waits
for its first rebuild (started afresh, of an older release, or emptied), whose rebuild a
coordinator asked for, or that the registry forgot, is rebuilt only by ``flask archive reindex`` or
by the worker, never inside a web request, in a new folder switched in when complete; searches
meanwhile read the old one, or say that results are incomplete.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as time_of_day

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, aliased

from secretariat.agenda.models import Meeting
from secretariat.archive.access import embargo_end_of, strictest_with_seal
from secretariat.archive.models import Record, RecordFile, RecordVersion, record_partners
from secretariat.archive.search import changelog, engine, folders, hits, languages, pairs
from secretariat.archive.search.applying import Applier, IndexBusy, applying
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.sanitize import plain_text

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
    texts: dict[int, list[tuple[int, str | None, str]]] = {}
    for record_id, file_id, file_language, text in session.execute(
        sa.select(RecordVersion.record_id, RecordFile.id, RecordFile.language, RecordFile.extracted_text)
        .join(RecordFile, RecordFile.version_id == RecordVersion.id)
        .join(Record, (Record.id == RecordVersion.record_id) & (Record.current_version == RecordVersion.number))
        .where(Record.id.in_(ids))
        .order_by(RecordFile.id)
    ):
        texts.setdefault(record_id, []).append((file_id, file_language, text))
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
        written = "\n".join(part for part in (plain_text(row.description_html), row.tags) if part)
        # The languages stored at filing (services.filed_language, extraction): each file in its
        # own, since a record may hold translations. A file filed before they were stored is
        # detected here, as it was then.
        language = row.language or "en"
        parts = [
            (file_id, file_language or languages.choose(language, text), text)
            for file_id, file_language, text in texts.get(row.id, ())
            if text
        ]
        # Each file's text marked with its language and id: the hit is shown in the reader's (hits.py).
        marked = [hits.part_mark(code, file_id) + hits.unmarked(text) for file_id, code, text in parts]
        body_parts = [(text, code) for _, code, text in parts]
        documents.append(
            {
                "doc_key": f"record:{row.id}",
                "record_id": row.id,
                "title": row.title,
                "body": "\n".join(part for part in (written, *marked) if part),
                "body_parts": [(written, language), *body_parts] if written else body_parts,
                "type": row.record_type,
                "meeting_kind": row.meeting_kind if row.meeting_id else "none",
                "meeting_code": (row.meeting_code or str(row.meeting_id)) if row.meeting_id else "",
                "partners": partners.get(row.id) or ["none"],
                # the record's own first (its title's analysis), then its translations': each filters
                "language": list(dict.fromkeys([language, *(code for _, code, _ in parts)])),
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
    return datetime.combine(day, time_of_day.min, tzinfo=UTC)


def _documents(kind: str, ids: list[int], session=None) -> list[dict]:
    session = session or db.session
    if kind == "initiative":
        from secretariat.programme.models import Initiative

        return [initiative_fields(i) for i in session.scalars(sa.select(Initiative).where(Initiative.id.in_(ids)))]
    return record_fields(ids, session)


# --- applying the change log ----------------------------------------------------------------------------

#: a sync that applied nothing still tells the registry the index is alive, at most this often
REPORT_SECONDS = 60
#: a failed rebuild is tried again by the worker after this many seconds, not at every poll
RETRY_SECONDS = 300
#: compaction of the change log, at most this often per process
COMPACT_SECONDS = 3600
_last = {"failed_rebuild": float("-inf"), "compacted": float("-inf"), "reported": float("-inf")}


def sync(batch: int = 500, wait: bool = True) -> int:
    """Apply the changes logged after the last one this host's index applied; how many objects re-indexed.

    Safe from any process at any time. The writer is taken first (with ``wait=False``, a web
    request's teardown or the worker, tried once: IndexBusy if another process holds it), then what
    the index applied and the documents are read, in a transaction begun after: whoever applies
    later reads a later state. An index waiting for its first rebuild takes no change (an empty
    archive's index is complete at once).
    """
    db.session.info.pop(changelog.WROTE, None)
    done, before, reached = 0, None, None
    for _switched in range(3):  # a rebuild may switch generations while this one waits for the writer
        index = engine.get_index()
        with applying(index, attempts=50 if wait else 1) as applier:
            if engine.folder_of(index) != folders.current(engine.index_path()):
                continue
            before = applier.applied
            with Session(db.engine) as session:
                done, reached = _apply(applier, session, batch)
        break
    now = time.monotonic()
    if reached is not None and (reached != before or now - _last["reported"] >= REPORT_SECONDS):
        _report(applied_id=reached)
        _last["reported"] = now
    return done


def _apply(applier: Applier, session: Session, batch: int) -> tuple[int, int | None]:
    after = applier.applied
    if after is None:
        latest = changelog.latest_id(session)
        if archive_size(session):
            return 0, None  # it waits for its rebuild (catch_up)
        applier.commit(latest)
        after = latest
    done = 0
    while rows := changelog.changes_after(session, after, batch):
        keys, documents = [], []
        for kind in sorted({r.kind for r in rows}):
            ids = sorted({r.record_id for r in rows if r.kind == kind})
            keys.extend(f"{kind}:{i}" for i in ids)
            documents.extend(_documents(kind, ids, session))  # objects that no longer exist just leave the index
        applier.replace(keys, documents)
        applier.commit(rows[-1].id)
        # One line per batch: which process applied which changes to which generation, for an operator
        # (or a failing cluster test) tracing a document back to the write that put it there.
        current_app.logger.info(
            "search index %s: changes %d-%d applied, %d documents for %d objects",
            applier.folder.name,
            rows[0].id,
            rows[-1].id,
            len(documents),
            len(keys),
        )
        after = rows[-1].id
        session.expunge_all()
        done += len(keys)
    return done, after


def _identity() -> dict:
    base = engine.index_path()
    return {"name": folders.name(base), "host": socket.gethostname(), "folder": str(base)}


def _report(**state) -> None:
    """Tell the registry where this host's index is (the change log keeps what it still needs)."""
    with Session(db.engine) as session:
        changelog.report(session, **_identity(), **state)
        session.commit()


def _apply_after_request(_exc) -> None:
    """After a request whose commit logged changes: apply them now if the writer is free, else leave them."""
    if not db.session.info.get(changelog.WROTE):
        return
    try:
        sync(wait=False)
    except IndexBusy:
        current_app.logger.info("search index writer busy in another process: the worker applies the changes")
    except Exception:
        db.session.rollback()
        current_app.logger.exception("search index sync failed; the worker retries it")


def init_app(app: Flask) -> None:
    """Log changes in commit order (changelog.py) and apply them after each request that logged some."""
    changelog.listen(db.session)
    app.teardown_request(_apply_after_request)


def index_lag() -> int:
    """How far this host's index is behind the change log, in change ids: the latest id − the one it applied.

    For the readiness probe (/readyz): 0 when up to date. While the index waits for its first
    rebuild on an archive that has records, the latest change id (at least 1). Reads one row and a
    file; writes nothing.
    """
    applied = folders.applied(engine.folder_of(engine.get_index()))
    latest = changelog.latest_id(db.session)
    if applied is None:
        return max(latest, 1) if archive_size() else 0
    return max(0, latest - applied)


# --- rebuilding ----------------------------------------------------------------------------------------


def archive_size(session: Session | None = None) -> int:
    """How many documents a complete index holds: one per record and one per initiative."""
    from secretariat.programme.models import Initiative

    session = session or db.session
    records = session.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    return records + (session.scalar(sa.select(sa.func.count()).select_from(Initiative)) or 0)


def incomplete(index) -> bool:
    """Whether the index waits for its first rebuild while the archive has more than it holds."""
    return engine.is_new(index) and engine.document_count(index) < archive_size()


def request_rebuild() -> None:
    """Ask every server's worker to rebuild its index from the database (the caller commits)."""
    if not changelog.request_rebuild(db.session):
        changelog.report(db.session, **_identity(), applied_id=None, rebuild_requested=True)


def rebuild_requested() -> bool:
    """Whether a coordinator asked for a rebuild of this host's index that has not started yet."""
    state = changelog.registered(db.session, folders.name(engine.index_path()))
    return bool(state and state.rebuild_requested)


def catch_up() -> int:
    """The worker's step: rebuild the index if it needs it, apply the change log, compact it now and then.

    A rebuild is needed when the index waits for its first one, when a coordinator asked, or when the
    registry forgot this index (it stopped reporting for changelog.STALE: changes it needed may be
    gone). A rebuild that failed is tried again after RETRY_SECONDS; a writer held by another
    process is left for the next poll.
    """
    index = engine.get_index()
    state = changelog.registered(db.session, folders.name(engine.index_path()))
    asked, applied_before = bool(state and state.rebuild_requested), state.applied_id if state else None
    db.session.commit()
    forgotten = state is None and not engine.is_new(index) and engine.document_count(index) > 0
    now = time.monotonic()
    if (asked or forgotten or incomplete(index)) and now - _last["failed_rebuild"] >= RETRY_SECONDS:
        current_app.logger.info("search index incomplete, forgotten or rebuild requested: rebuilding")
        try:
            count = rebuild()
        except IndexBusy:
            current_app.logger.info("another process of this host is rebuilding the search index")
        except Exception:
            _last["failed_rebuild"] = now
            if asked:  # the request stands until a rebuild succeeds
                _report(applied_id=applied_before, rebuild_requested=True)
            raise
        else:
            current_app.logger.info("search index rebuilt: %d records", count)
    try:
        done = sync(wait=False)
    except IndexBusy:
        current_app.logger.info("search index writer busy in another process: changes applied at the next poll")
        done = 0
    if now - _last["compacted"] >= COMPACT_SECONDS:
        _last["compacted"] = now
        changelog.compact(db.session)
        db.session.commit()
    return done


def rebuild(batch: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Build a new index from the database beside the one searched, catch it up, then switch to it.

    ``progress`` is called with the number of documents added after each batch. Searches use the
    old index until the switch (an atomic rename, folders.py); the changes logged from the moment
    the rebuild started are applied to the new one before it, so none is lost. One rebuild per
    host at a time: IndexBusy if another process of this host is rebuilding.
    """
    base = engine.index_path()
    with folders.rebuild_lock(base) as ours:
        if not ours:
            raise IndexBusy("another process of this host is rebuilding the search index")
        with Session(db.engine) as session:
            start = changelog.latest_id(session)
            state = changelog.registered(session, folders.name(base))
            changelog.report(
                session,
                **_identity(),
                applied_id=state.applied_id if state else None,
                rebuild_from=start,
                rebuild_requested=False,
            )
            session.commit()
        folder = folders.new_generation(base)
        try:
            index = engine.get_index(folder)
            count = _fill(index, batch, progress)
            folders.write_applied(folder, start)
            with applying(index) as applier, Session(db.engine) as session:
                _apply(applier, session, batch)
            previous = folders.switch(base, folder)
        except BaseException:
            engine.forget(folder)
            raise
        folders.prune(base, keep={folder, previous} if previous else {folder})
    with contextlib.suppress(IndexBusy):  # else the worker applies it at its next poll
        sync()  # what the old generation took while this one was switched in
    _report(applied_id=folders.applied(folder), rebuild_from=None)
    return count


def _fill(index, batch: int, progress: Callable[[int], None] | None) -> int:
    """Add every record and every initiative to the (new, empty) index; how many records."""
    from secretariat.programme.models import Initiative

    count = 0
    # A private session: the batches can be dropped as they go without touching the caller's objects.
    with Session(db.engine) as session:
        # Which words are common is learned before any record is added (see search/pairs.py).
        sample = list(session.scalars(sa.select(Record.id).order_by(sa.func.random()).limit(pairs.SAMPLE_SIZE)))
        documents = _documents("record", sample, session)
        engine.learn_common_words(index, (f"{d['title']}\n{hits.in_language(d['body'], ())[0]}" for d in documents))
        session.expunge_all()
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
    return count
