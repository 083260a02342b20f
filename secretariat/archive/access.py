"""Who may see which record: confidentiality level, embargo and withdrawal, for pages, files and search."""

from __future__ import annotations

from datetime import datetime

from flask import abort

from secretariat.archive.models import Confidentiality, Record
from secretariat.archive.search.engine import Access
from secretariat.auth.models import Role
from secretariat.timeutil import utcnow

#: coordinators and administrators see every level, embargoed and withdrawn records
CLEARED_ROLES = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})
PARTNER_LEVELS = (Confidentiality.PUBLIC.value, Confidentiality.RESTRICTED.value)


def cleared(user) -> bool:
    return user.role in CLEARED_ROLES


def embargo_end(record: Record) -> datetime | None:
    """When the embargo lifts: its date, or the closing of its meeting (None: no embargo, or not yet known)."""
    meeting = record.embargo_meeting if record.embargo_meeting_id is not None else None
    return embargo_end_of(record.embargo_until, record.embargo_meeting_id, meeting.closed_at if meeting else None)


def embargo_end_of(until: datetime | None, meeting_id: int | None, closed_at: datetime | None) -> datetime | None:
    """The same rule on a record's columns (the search index reads them as rows)."""
    if meeting_id is not None:
        if closed_at is None:
            return datetime.max.replace(tzinfo=utcnow().tzinfo)
        return max(closed_at, until) if until else closed_at
    return until


def under_embargo(end: datetime | None, now: datetime | None = None) -> bool:
    """Whether an embargo ending at ``end`` (embargo_end's) is still in force."""
    return end is not None and (now or utcnow()) < end


def can_see(user, record: Record, now: datetime | None = None) -> bool:
    if cleared(user):
        return True
    return partner_may_see(record.confidentiality, record.withdrawn_at, embargo_end(record), now)


def partner_may_see(
    confidentiality: str, withdrawn_at: datetime | None, end: datetime | None, now: datetime | None = None
) -> bool:
    """The rule for a partner's users on a record's values (``end``: embargo_end's): a public or
    restricted record, not withdrawn, not under embargo. The record page reads them as a row."""
    return confidentiality in PARTNER_LEVELS and withdrawn_at is None and not under_embargo(end, now)


def require(user, record: Record | None) -> Record:
    """404 (not 403) for a record the user may not see: its existence is not revealed."""
    if record is None or not can_see(user, record):
        abort(404)
    return record


def search_access(user) -> Access:
    return Access(cleared=cleared(user))
