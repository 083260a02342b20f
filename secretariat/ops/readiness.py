"""Readiness: may this instance take traffic?

Blocking (the probe answers 503 and the load balancer sends traffic elsewhere): the database does not
answer, its schema is behind this release's migration head, the file store is not a writable
folder, or this host's search index is more than READINESS_MAX_INDEX_LAG changes behind.

Degraded (the probe answers 200 with status "degraded"): the shared rate-limit store (Redis) does not
answer, the limits then being counted per process (settings.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED):
taking every server out of the pool because Redis is down would turn a weaker limit into an outage.
Or the schema is at a revision this release does not know: a newer release's, during a rolling
upgrade, whose migrations are written for the previous release to keep running.

The probe only reads: a SELECT, a stat of the file store, a PING to Redis. The causes are for the
log only; the answer says nothing but ready, degraded or unavailable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from secretariat.extensions import db, limiter


@dataclass
class Report:
    #: what stops this instance from serving (503)
    blocking: list[str] = field(default_factory=list)
    #: what makes it serve less well (200, status "degraded")
    degraded: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.blocking:
            return "unavailable"
        return "degraded" if self.degraded else "ready"


@cache
def _script_heads(directory: str) -> frozenset[str]:
    """The migration heads this release ships (read once per process: they change only with the code)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def migration_heads() -> frozenset[str]:
    return _script_heads(current_app.extensions["migrate"].directory)


def check() -> Report:
    """Every check, in order; the database first, since the others mean little without it."""
    report = Report()
    database, ahead = _database()
    if database:
        report.blocking.append(database)
        return report
    report.degraded.extend(ahead)
    report.blocking.extend(_file_store())
    report.blocking.extend(_index())
    report.degraded.extend(_rate_limit_store())
    return report


def problems() -> list[str]:
    """What stops this instance from serving; empty when it may take traffic (even degraded)."""
    return check().blocking


def _database() -> tuple[str | None, list[str]]:
    """(What blocks, what only degrades): unreachable or behind the release blocks; a schema at a
    revision this release does not know is a newer release's, migrated during a rolling upgrade
    (whose migrations the previous release must run on), and degrades."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            try:
                current = frozenset(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
            except sa.exc.DBAPIError:
                current = frozenset()
    except Exception as exc:  # any failure to reach the database means "not ready"
        return f"database unreachable: {type(exc).__name__}", []
    heads = migration_heads()
    if current == heads:
        return None, []
    if current and not current & _known_revisions(current_app.extensions["migrate"].directory):
        return None, [f"database at {sorted(current)}, newer than this release's {sorted(heads)}"]
    return f"migrations not at head: database at {sorted(current)}, release at {sorted(heads)}", []


@cache
def _known_revisions(directory: str) -> frozenset[str]:
    return frozenset(script.revision for script in ScriptDirectory(directory).walk_revisions())


def _file_store() -> list[str]:
    """The store's folder (or, before the first upload, the nearest folder above it) is writable.

    Checked without writing: a probe called every few seconds by every balancer must not churn the
    shared file system. A stale NFS mount fails the stat.
    """
    from secretariat import storage

    try:
        folder = Path(storage.files().root)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            return [f"file store not writable: {folder.name or folder}"]
    except OSError as exc:
        return [f"file store not writable: {type(exc).__name__}"]
    return []


def _index() -> list[str]:
    from secretariat.archive.search import indexing

    # FALLBACK until the per-host index is merged (issue 29, search part): index_lag() comes with it and
    # its change log. Without it the lag is unknown, and an unknown lag does not block.
    index_lag = getattr(indexing, "index_lag", None)
    if index_lag is None:
        return []
    try:
        lag = index_lag()
    except Exception as exc:  # an index that cannot say how far behind it is cannot be trusted
        return [f"search index lag unknown: {type(exc).__name__}"]
    limit = current_app.config["READINESS_MAX_INDEX_LAG"]
    if lag is not None and lag > limit:
        return [f"search index {lag} changes behind (more than {limit})"]
    return []


def shared_rate_limits() -> bool:
    """Whether the limiter is configured to count in a shared store (Redis) rather than in memory."""
    return not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")


def _rate_limit_store() -> list[str]:
    if not shared_rate_limits():
        return []
    if limiter.storage.check():  # a PING, bounded by RATELIMIT_REDIS_TIMEOUT
        return []
    return ["rate-limit store unreachable: limits are counted per process"]
