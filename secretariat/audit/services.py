"""Recording audit entries in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from secretariat.audit.models import AuditEntry, AuditHead
from secretariat.extensions import db
from secretariat.timeutil import as_utc, utcnow

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, no spaces) so the same content always hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _entry_content(entry) -> str:
    created = as_utc(entry.created_at)
    return canonical_json(
        {
            "seq": entry.seq,
            "created_at": created.isoformat(timespec="microseconds") if created else None,
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "details": entry.details,
            "ip_address": entry.ip_address,
            "prev_hash": entry.prev_hash,
        }
    )


def compute_hash(entry) -> str:
    """SHA-256 of an entry (an AuditEntry or a row of its table)."""
    return hashlib.sha256(_entry_content(entry).encode("utf-8")).hexdigest()


def _client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _describe_actor(actor) -> tuple[int | None, str]:
    if isinstance(actor, str):  # the application itself, e.g. "system:silence-procedure"
        return None, actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "cli" if not has_request_context() else "anonymous"
    return actor.id, actor.email


def record(
    actor,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    **details: Any,
) -> AuditEntry:
    """Append an entry to the chain inside the current transaction; the caller commits.

    ``obj`` may be a model instance (its table and id are recorded) or None.
    """
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    actor_id, actor_label = _describe_actor(actor)

    # The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so two
    # transactions can never both extend the chain from the same end.
    head = db.session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one_or_none()
    if head is None:
        db.session.add(AuditHead(id=1, seq=1, last_hash=GENESIS_HASH))
        db.session.flush()
        seq, prev_hash = 1, GENESIS_HASH
    else:
        seq, prev_hash = head.seq, head.last_hash

    entry = AuditEntry(
        seq=seq,
        created_at=utcnow(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=canonical_json(details),
        ip_address=_client_address(),
        prev_hash=prev_hash,
    )
    entry.entry_hash = compute_hash(entry)
    db.session.add(entry)
    db.session.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.entry_hash))
    db.session.flush()
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that changed, as {"field": [before, after]}."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; report the first entry whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch_size)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, entry.id, "entry missing before this one")
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, entry.seq, entry.id, "link to previous entry broken")
            if compute_hash(entry) != entry.entry_hash:
                return VerifyResult(False, checked, entry.seq, entry.id, "content does not match its hash")
            expected_prev = entry.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        return VerifyResult(False, checked, checked + 1, None, "entries missing at the end of the chain")
    return VerifyResult(True, checked)
