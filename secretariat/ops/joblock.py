"""One worker at a time for a scheduled job, when every server runs `flask worker`.

A job that sweeps a whole table (silence settlement, purges) takes its lock first, inside its own
transaction, and keeps it until that transaction ends:
- PostgreSQL: a transaction-level advisory lock, tried without waiting; a worker that does not get it
  skips its turn, the one that holds it does the work. A worker that dies gives it back with its
  connection.
- SQLite (one host only): BEGIN IMMEDIATE, the database's write lock, taken before the job reads; a
  second worker waits for it (busy time-out) and then finds nothing left to do.
The jobs are idempotent besides (each row changes under a condition on its state), so a lock lost
or not supported costs duplicate reads, never duplicate effects. Jobs that claim rows one by one
(extraction, mail) need no lock: they claim with SKIP LOCKED or a conditional UPDATE.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from secretariat.extensions import db


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job's name (the advisory lock's identifier)."""
    return int.from_bytes(hashlib.sha256(f"secretariat.job.{name}".encode()).digest()[:8], "big", signed=True)


def take(name: str) -> bool:
    """Take the job's lock for the rest of the session's transaction; False if another worker has it."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        return bool(db.session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}))
    if dialect == "sqlite":
        db.session.commit()  # BEGIN must open the transaction: end whatever the session had open
        db.session.execute(sa.text("BEGIN IMMEDIATE"))
    return True
