"""What someone with write access to the database can do: SQL updates, and re-chaining the audit
trail with plain SHA-256 (all one needs without the key)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from secretariat.audit.models import AuditEntry, AuditHead
from secretariat.audit.services import GENESIS_HASH, _entry_content
from secretariat.extensions import db


def tamper(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()
    db.session.expire_all()


def rechain(from_seq: int = 1) -> None:
    """Recompute every entry's link and hash from ``from_seq`` on, and move the head to the end."""
    db.session.expire_all()
    previous = db.session.scalar(sa.select(AuditEntry.entry_hash).where(AuditEntry.seq == from_seq - 1))
    previous = previous or GENESIS_HASH
    last_seq = from_seq - 1
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq >= from_seq).order_by(AuditEntry.seq)):
        entry.prev_hash = previous
        entry.hash_scheme = "sha256"
        entry.entry_hash = hashlib.sha256(_entry_content(entry).encode("utf-8")).hexdigest()
        previous, last_seq = entry.entry_hash, entry.seq
    head = db.session.get(AuditHead, 1)
    head.seq, head.last_hash, head.mac = last_seq, previous, None
    db.session.commit()
    db.session.expire_all()


def truncate(keep: int) -> None:
    """Delete every entry after ``keep`` and point the head at the new end."""
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.seq > keep))
    last = db.session.scalar(sa.select(AuditEntry.entry_hash).where(AuditEntry.seq == keep)) or GENESIS_HASH
    db.session.execute(sa.update(AuditHead).values(seq=keep, last_hash=last, mac=None))
    db.session.commit()
    db.session.expire_all()


def last_seq() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0
