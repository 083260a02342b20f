"""The search change log in the database, and the registry of the indexes that apply it.

Every change that alters what a search finds adds a ``SearchChange`` row in its own transaction
(``db.session.add(SearchChange(record_id=...))``). Each server's index applies the rows after the
last id it applied (indexing.py), so the ids must come in commit order: a row that became visible
after a higher id had been applied would be skipped for ever. The session hooks below therefore
hold the rows back until the commit and insert them last, PostgreSQL holding an advisory lock from
that insert to the end of the commit (SQLite has one writer at a time: its ids are in commit order
already). The lock is the last one the transaction takes and its holder waits for nothing, so it
cannot deadlock; it serialises only the last instant of the commits that change the archive.

Nobody deletes rows it applied: ``compact`` removes, by age, only the rows every registered index
(``SearchIndexState``) has passed. An index that stops reporting for ``STALE`` is dropped from the
registry (a host taken out of service); if it comes back, it rebuilds (indexing.catch_up).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from secretariat.archive.models import SearchChange, SearchIndexState
from secretariat.timeutil import utcnow

#: the advisory lock that orders the change log's ids (any constant unique to this use)
ORDER_LOCK = 2_029_000_001
#: rows are kept at least this long, even once applied everywhere
KEEP = timedelta(days=7)
#: an index that has not reported for this long is no longer waited for
STALE = timedelta(days=30)
#: session.info keys: rows held back until the commit; the rows are being inserted; rows committed
_HELD, _ORDERED, WROTE = "search_changes_held", "search_changes_ordered", "search_changes_written"


# --- writing, in commit order ------------------------------------------------------------------------


def _hold_back(session: Session, _context, _instances) -> None:
    """before_flush: keep new change rows out of the database until the commit."""
    if session.info.get(_ORDERED):
        return
    for change in [obj for obj in session.new if isinstance(obj, SearchChange)]:
        session.expunge(change)
        session.info.setdefault(_HELD, []).append((change.kind or "record", change.record_id))


def _insert_last(session: Session) -> None:
    """before_commit: flush the rest, take the order lock, then add the rows the commit's flush inserts."""
    session.flush()
    held = session.info.pop(_HELD, None)
    if not held:
        return
    _take_order_lock(session)
    session.info[_ORDERED] = True
    session.add_all(SearchChange(kind=kind, record_id=record_id) for kind, record_id in dict.fromkeys(held))


def _lock_bulk_insert(state) -> None:
    """do_orm_execute: an ``insert(SearchChange)`` executed directly takes the order lock first."""
    if state.is_insert and state.bind_mapper is not None and state.bind_mapper.class_ is SearchChange:
        _take_order_lock(state.session)  # (a script's rows: applied by the worker, not by the request's end)


def _take_order_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(ORDER_LOCK)))


def _after_commit(session: Session) -> None:
    session.info.pop(_HELD, None)
    if session.info.pop(_ORDERED, None):
        session.info[WROTE] = True


def _after_rollback(session: Session) -> None:
    session.info.pop(_HELD, None)
    session.info.pop(_ORDERED, None)


def listen(session) -> None:
    """Order the change log's ids by commit for every transaction of ``session`` (the app's db.session)."""
    for name, listener in (
        ("before_flush", _hold_back),
        ("before_commit", _insert_last),
        ("do_orm_execute", _lock_bulk_insert),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa.event.contains(session, name, listener):
            sa.event.listen(session, name, listener)


# --- reading --------------------------------------------------------------------------------------------


def latest_id(session: Session) -> int:
    """The id of the last change committed (0 for none)."""
    return session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0


def changes_after(session: Session, change_id: int, limit: int) -> list:
    """The next ``limit`` changes after ``change_id``, in order: (id, kind, record_id) rows."""
    return session.execute(
        sa.select(SearchChange.id, SearchChange.kind, SearchChange.record_id)
        .where(SearchChange.id > change_id)
        .order_by(SearchChange.id)
        .limit(limit)
    ).all()


# --- the registry of indexes ------------------------------------------------------------------------------


def report(session: Session, name: str, *, host: str, folder: str, applied_id: int | None, **state) -> None:
    """Register (or update) index ``name`` with the change it applied; ``state``: rebuild_from, rebuild_requested."""
    values = {"host": host, "folder": folder, "applied_id": applied_id, "reported_at": utcnow(), **state}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(SearchIndexState).values(name=name, **values).on_conflict_do_update(index_elements=["name"], set_=values)
    )


def registered(session: Session, name: str) -> SearchIndexState | None:
    return session.scalar(sa.select(SearchIndexState).where(SearchIndexState.name == name))


def request_rebuild(session: Session) -> int:
    """Ask every registered index for a rebuild (each server's worker does its own); how many asked."""
    return session.execute(sa.update(SearchIndexState).values(rebuild_requested=True)).rowcount


def compact(session: Session, keep: timedelta = KEEP, stale: timedelta = STALE) -> int:
    """Delete the changes older than ``keep`` that every registered index has applied; how many.

    A rebuild in progress counts from the change it started at. The newest change is always kept,
    so that ids never go back.
    """
    now = utcnow()
    session.execute(sa.delete(SearchIndexState).where(SearchIndexState.reported_at < now - stale))
    needed = [
        min(n for n in (applied, start) if n is not None)
        for applied, start in session.execute(sa.select(SearchIndexState.applied_id, SearchIndexState.rebuild_from))
        if applied is not None or start is not None  # an index waiting for its rebuild needs no old change
    ]
    if not needed:
        return 0
    horizon = min(needed)
    horizon = min(horizon, latest_id(session) - 1)
    return session.execute(
        sa.delete(SearchChange).where(SearchChange.id <= horizon, SearchChange.created_at < now - keep)
    ).rowcount
