"""Recording audit entries in the caller's transaction, and verifying the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, request

from secretariat.audit.models import AuditEntry, AuditHead
from secretariat.extensions import db
from secretariat.timeutil import as_utc, utcnow

GENESIS_HASH = "0" * 64

#: how an entry's hash was made: plain SHA-256 (anyone can recompute it) or HMAC-SHA256 under
#: AUDIT_HMAC_KEY, held outside the database (only the key's holder can make a valid entry)
PLAIN = "sha256"
KEYED = "hmac-sha256"


class KeyRequired(Exception):
    """A keyed entry cannot be hashed or checked without AUDIT_HMAC_KEY."""


def hmac_key() -> bytes | None:
    """The chain's key from the configuration (environment or key file, see audit.keys), if any."""
    if not has_app_context():
        return None
    key = current_app.config.get("AUDIT_HMAC_KEY")
    return key.encode("utf-8") if isinstance(key, str) and key else None


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, no spaces) so the same content always hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def details_of(text: str | None) -> dict:
    """An entry's details as a dict; {} for text that is not a JSON object (an altered row must
    be reported by verify, not crash it)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


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


def compute_hash(entry, key: bytes | None = None) -> str:
    """The hash of an entry (an AuditEntry or a row of its table) under the scheme it names.

    Keyed entries need the key (``key``, or the application's); a row without a scheme is plain.
    """
    content = _entry_content(entry).encode("utf-8")
    if (getattr(entry, "hash_scheme", None) or PLAIN) == KEYED:
        key = key or hmac_key()
        if key is None:
            raise KeyRequired("this entry is keyed (HMAC-SHA256): AUDIT_HMAC_KEY is needed to check it")
        return hmac.new(key, content, hashlib.sha256).hexdigest()
    return hashlib.sha256(content).hexdigest()


def head_mac(seq: int, last_hash: str, key: bytes | None = None) -> str | None:
    """The head's MAC under the key (None without one)."""
    key = key or hmac_key()
    if key is None:
        return None
    return hmac.new(key, f"audit-head|{seq}|{last_hash}".encode(), hashlib.sha256).hexdigest()


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
        hash_scheme=KEYED if hmac_key() else PLAIN,
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
    db.session.execute(
        sa.update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_hash=entry.entry_hash, mac=head_mac(seq, entry.entry_hash))
    )
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
    #: entries whose hash was checked under the key
    keyed: int = 0


def _entry_problem(entry, expected_prev: str, key: bytes | None, keyed_before: bool, checkpoint) -> str:
    """Why this entry breaks the chain ("" when it does not)."""
    if entry.prev_hash != expected_prev:
        return "link to previous entry broken"
    scheme = entry.hash_scheme or PLAIN
    if scheme == KEYED and key is None:
        return "entry is keyed (HMAC-SHA256): set AUDIT_HMAC_KEY to verify it"
    if scheme not in (PLAIN, KEYED):
        return f"unknown hash scheme {scheme!r}"
    if scheme == PLAIN and keyed_before:
        return "unkeyed entry after keyed ones: written by someone without the key"
    if not hmac.compare_digest(compute_hash(entry, key), entry.entry_hash):
        return "content does not match its hash"
    if checkpoint is not None and entry.seq == checkpoint.seq and entry.entry_hash != checkpoint.entry_hash:
        return "hash differs from the checkpoint: the chain was rewritten up to here"
    return ""


def verify(batch_size: int = 5000, *, checkpoint=None) -> VerifyResult:
    """Walk the whole chain in order; report the first entry whose hash or link is wrong.

    With a key configured, keyed entries are checked under it, and once the chain is keyed it must
    stay keyed to its end (an unkeyed tail is what someone without the key would write). With a
    ``checkpoint`` (audit.checkpoints.Checkpoint, kept outside the database), the entry at its
    sequence number must still carry its hash and the chain must reach it.
    """
    key = hmac_key()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = keyed = 0
    last_seq = 0
    last_scheme = None
    if checkpoint is not None and checkpoint.mac and key is not None and not checkpoint.mac_matches(key):
        return VerifyResult(False, 0, checkpoint.seq, None, "the checkpoint file was not issued under this key")
    while True:
        rows = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch_size)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, entry.id, "entry missing before this one", keyed)
            reason = _entry_problem(entry, expected_prev, key, keyed > 0, checkpoint)
            if reason:
                return VerifyResult(False, checked, entry.seq, entry.id, reason, keyed)
            keyed += entry.hash_scheme == KEYED
            expected_prev = entry.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
            last_scheme = entry.hash_scheme or PLAIN
    reason = _end_problem(checked, expected_prev, last_scheme, key, checkpoint)
    if reason:
        return VerifyResult(False, checked, checked + 1, None, reason, keyed)
    return VerifyResult(True, checked, keyed=keyed)


def verify_and_record(*, actor) -> VerifyResult:
    """Run `flask audit verify` from the trail page, and record who ran it and what it found."""
    result = verify()
    found = {"ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq, "reason": result.reason}
    record(actor, "audit.verify", **found)
    return result


def _end_problem(checked: int, last_hash: str, last_scheme: str | None, key: bytes | None, checkpoint) -> str:
    """Why the chain's end is wrong ("" when it is not): the head, the checkpoint's reach, the key's."""
    head = db.session.get(AuditHead, 1)
    if checked and head is None:
        return "the chain's head row is missing"
    if head is not None and (head.seq != checked or head.last_hash != last_hash):
        return "entries missing at the end of the chain"
    if checkpoint is not None and checked < checkpoint.seq:
        return (
            f"the chain ends at entry {checked}, before the checkpoint's entry {checkpoint.seq}: entries were removed"
        )
    if (
        key is not None
        and last_scheme == KEYED
        and not hmac.compare_digest(head_mac(checked, last_hash, key) or "", head.mac or "")
    ):
        return "the chain's head was moved without the key: entries were cut off"
    if key is not None and last_scheme == PLAIN:
        return (
            "the newest entry is not keyed although AUDIT_HMAC_KEY is set: the keyed entries were rewritten "
            "or removed (or nothing was recorded since the key was set: sign in once and verify again)"
        )
    return ""
