"""The audit trail: append-only entries linked into a SHA-256 hash chain."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from secretariat.extensions import db
from secretariat.types import UTCDateTime


class AuditEntry(db.Model):
    """One security-relevant action or change. Never updated or deleted by the application."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: position in the chain, 1, 2, 3 ... without gaps
    seq: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: the user who acted (none for anonymous attempts and the command line)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: who acted, as text that survives renames: the email, "cli" or "anonymous"
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    #: dotted verb, e.g. auth.login, auth.login_failed, user.update, agenda.item.update
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: canonical JSON: a diff {"field": [before, after]} or other facts of the action
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 (or HMAC-SHA256 under AUDIT_HMAC_KEY, see hash_scheme) over the content and prev_hash
    entry_hash: Mapped[str] = mapped_column(sa.String(64))
    #: "sha256" or "hmac-sha256": entries written before a key was configured stay verifiable
    hash_scheme: Mapped[str] = mapped_column(sa.String(16), default="sha256", server_default="sha256")

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


class AuditHead(db.Model):
    """A single row holding the end of the chain; updating it serializes writers on every database."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    #: HMAC-SHA256 of (seq, last_hash) under AUDIT_HMAC_KEY: without the key, the head cannot be
    #: moved back to an earlier entry, so the keyed chain cannot be cut short unnoticed
    mac: Mapped[str | None] = mapped_column(sa.String(64))
