"""Checkpoints: a sequence number and the hash of the chain at it, kept outside the database.

Printed on every frozen agenda version and adopted minutes, and downloadable as a small file that
partners keep. Whoever holds one can later prove that nothing up to that entry was rewritten or
removed (`flask audit verify --checkpoint FILE`), even against someone who can write the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.audit.services import KEYED, PLAIN, details_of, hmac_key
from secretariat.extensions import db
from secretariat.timeutil import as_utc

FORMAT = "asem-audit-checkpoint/1"
_HASH = re.compile(r"\b[0-9a-f]{64}\b")
#: the printed line, "Audit checkpoint: entry N, hash H", also inside a saved page's markup
_LINE = re.compile(r"audit checkpoint:\s*entry\s+(\d{1,12})\W.{0,40}?\b([0-9a-f]{64})\b", re.IGNORECASE | re.DOTALL)


class CheckpointUnreadable(Exception):
    """The file is not a checkpoint; the message says what is missing."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain as it stood at entry ``seq``: that entry's hash and time."""

    seq: int
    entry_hash: str
    created_at: datetime | None = None
    scheme: str = PLAIN
    #: HMAC-SHA256 of the three facts under the chain's key, when the instance has one
    mac: str | None = None

    def _signed_text(self) -> str:
        when = self.created_at.isoformat(timespec="microseconds") if self.created_at else ""
        return f"{FORMAT}|{self.seq}|{self.entry_hash}|{when}"

    def mac_matches(self, key: bytes) -> bool:
        expected = hmac.new(key, self._signed_text().encode("utf-8"), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac or "")

    def line(self) -> str:
        """One line for a printed document; `parse` reads it back from any text that contains it."""
        when = f", {self.created_at:%Y-%m-%d %H:%M} UTC" if self.created_at else ""
        return f"Audit checkpoint: entry {self.seq}, hash {self.entry_hash}{when}"

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "created_at": self.created_at.isoformat(timespec="microseconds") if self.created_at else None,
            "scheme": self.scheme,
        }
        if self.mac:
            data["mac"] = self.mac
        return json.dumps(data, indent=1) + "\n"


def of_entry(entry: AuditEntry) -> Checkpoint:
    """The checkpoint at this entry, with its MAC when the instance has a key."""
    point = Checkpoint(entry.seq, entry.entry_hash, as_utc(entry.created_at), entry.hash_scheme or PLAIN)
    key = hmac_key()
    if key is None:
        return point
    mac = hmac.new(key, point._signed_text().encode("utf-8"), hashlib.sha256).hexdigest()
    return Checkpoint(point.seq, point.entry_hash, point.created_at, point.scheme, mac)


def latest() -> Checkpoint | None:
    """The checkpoint at the newest entry of the chain (None while the chain is empty)."""
    entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    return of_entry(entry) if entry is not None else None


def recorded(action: str, object_type: str, object_id, **facts) -> Checkpoint | None:
    """The checkpoint at the entry that recorded ``action`` on an object (the first whose details
    hold ``facts``), e.g. the adoption of minutes or the freezing of an agenda version."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.object_type == object_type,
            AuditEntry.object_id == str(object_id),
            AuditEntry.action == action,
        )
        .order_by(AuditEntry.seq)
    )
    for entry in entries:
        details = details_of(entry.details)
        if all(details.get(name) == value for name, value in facts.items()):
            return of_entry(entry)
    return None


def parse(text: str) -> Checkpoint:
    """A checkpoint from its JSON file, or from any text holding its printed line (a saved page, minutes)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
            seq, entry_hash = int(data["seq"]), str(data["entry_hash"]).lower()
            created = datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointUnreadable(f"not a checkpoint file ({error.__class__.__name__}: {error})") from None
        if data.get("format") != FORMAT or not _HASH.fullmatch(entry_hash) or seq < 1:
            raise CheckpointUnreadable(f"not a checkpoint file: expected format {FORMAT}, seq and a SHA-256 hash")
        scheme = data.get("scheme") if data.get("scheme") in (PLAIN, KEYED) else PLAIN
        return Checkpoint(seq, entry_hash, as_utc(created) if created else None, scheme, data.get("mac"))
    found = _LINE.search(text)
    if found is None:
        raise CheckpointUnreadable("no checkpoint found: expected 'Audit checkpoint: entry N, hash H' or a JSON file")
    return Checkpoint(int(found.group(1)), found.group(2).lower())
