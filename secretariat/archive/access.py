"""Who may see which record and which of its versions: confidentiality level, embargo and
withdrawal, for pages, files and search."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import NamedTuple

from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import can_see_meeting
from secretariat.archive.models import Confidentiality, Record, RecordVersion
from secretariat.archive.search.engine import Access
from secretariat.auth.models import Role
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.timeutil import utcnow

#: coordinators and administrators see every level, embargoed and withdrawn records
CLEARED_ROLES = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})
PARTNER_LEVELS = (Confidentiality.PUBLIC.value, Confidentiality.RESTRICTED.value)
#: from the most open to the strictest
LEVELS = (Confidentiality.PUBLIC.value, Confidentiality.RESTRICTED.value, Confidentiality.COORDINATORS.value)


def cleared(user) -> bool:
    return user.role in CLEARED_ROLES


def embargo_end(record: Record) -> datetime | None:
    """When the embargo lifts: its date, or the closing of its meeting (None: no embargo, or not yet known)."""
    meeting = record.embargo_meeting if record.embargo_meeting_id is not None else None
    return embargo_end_of(record.embargo_until, record.embargo_meeting_id, meeting.closed_at if meeting else None)


def embargo_end_of(until: datetime | None, meeting_id: int | None, closed_at: datetime | None) -> datetime | None:
    """The same rule on a record's columns (the search index reads them as rows of columns)."""
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
    restricted record, not withdrawn, not under embargo."""
    return confidentiality in PARTNER_LEVELS and withdrawn_at is None and not under_embargo(end, now)


def require(user, record: Record | None) -> Record:
    """NotFound (404, not 403) for a record the user may not see: its existence is not revealed."""
    if record is None or not can_see(user, record):
        raise NotFound("record")
    return record


class SealedAccess(NamedTuple):
    """The fields deciding who sees a version, as its sealed metadata recorded them when it was filed."""

    confidentiality: str
    embargo_until: datetime | None
    embargo_meeting_id: int | None


#: what metadata that cannot be read stands for: coordinators only, no embargo (they see it anyway)
_UNREADABLE = SealedAccess(Confidentiality.COORDINATORS.value, None, None)


def sealed_access(metadata_json: str) -> SealedAccess:
    """A version's own level and embargo, from its sealed metadata; anything unreadable fails closed."""
    try:
        metadata = json.loads(metadata_json)
        level = metadata["confidentiality"]
        until = metadata.get("embargo_until")
        meeting_id = metadata.get("embargo_meeting_id")
        sealed = SealedAccess(
            level,
            datetime.fromisoformat(until) if until else None,
            int(meeting_id) if meeting_id is not None else None,
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return _UNREADABLE
    if sealed.confidentiality not in LEVELS:
        return _UNREADABLE
    if sealed.embargo_until is not None and sealed.embargo_until.tzinfo is None:
        return sealed._replace(embargo_until=sealed.embargo_until.replace(tzinfo=UTC))  # times are UTC throughout
    return sealed


def strictest(*levels: str) -> str:
    """The strictest of confidentiality levels (an unknown one counts as coordinators only)."""
    return max(levels, key=lambda level: LEVELS.index(level) if level in LEVELS else len(LEVELS))


def sealed_embargo_end(sealed: SealedAccess, session=None) -> datetime | None:
    """When a version's own embargo lifts (embargo_end's rule, its meeting read from ``session``)."""
    closed_at = None
    if sealed.embargo_meeting_id is not None:
        meeting = (session or db.session).get(Meeting, sealed.embargo_meeting_id)
        closed_at = meeting.closed_at if meeting else None
    return embargo_end_of(sealed.embargo_until, sealed.embargo_meeting_id, closed_at)


def later(*ends: datetime | None) -> datetime | None:
    """The latest of embargo ends (None: no embargo)."""
    return max((end for end in ends if end is not None), default=None)


def strictest_with_seal(
    level: str,
    end: datetime | None,
    metadata_json: str | None,
    *,
    embargo_meeting_id: int | None,
    embargo_meeting_closed_at: datetime | None,
    session=None,
) -> tuple[str, datetime | None]:
    """A record's level and embargo end (embargo_end's) joined with those its current version was
    sealed with, the strictest of each: what the search index files the record's text under."""
    sealed = sealed_access(metadata_json) if metadata_json is not None else _UNREADABLE
    if sealed.embargo_meeting_id is not None and sealed.embargo_meeting_id == embargo_meeting_id:
        sealed_end = embargo_end_of(sealed.embargo_until, sealed.embargo_meeting_id, embargo_meeting_closed_at)
    else:
        sealed_end = sealed_embargo_end(sealed, session)
    return strictest(level, sealed.confidentiality), later(end, sealed_end)


def partner_may_see_version(metadata_json: str, now: datetime | None = None) -> bool:
    """The version's own part of the rule: its sealed level is a partner's, its sealed embargo is over."""
    sealed = sealed_access(metadata_json)
    return sealed.confidentiality in PARTNER_LEVELS and not under_embargo(sealed_embargo_end(sealed), now)


def can_see_version(user, record: Record, version: RecordVersion, now: datetime | None = None) -> bool:
    """Whether ``user`` may see this version of ``record``: the record's current level, embargo and
    withdrawal, and the version's own sealed level and embargo, the strictest of both.

    A version filed for coordinators stays theirs when a later version lowers the record: the
    text and files it was filed with were never released.
    """
    if version.record_id != record.id:
        return False
    if cleared(user):
        return True
    return can_see(user, record, now) and partner_may_see_version(version.metadata_json, now)


def require_version(user, record: Record, version: RecordVersion | None) -> RecordVersion:
    """NotFound for a version the user may not see, as ``require`` for records."""
    if version is None or not can_see_version(user, record, version):
        raise NotFound("record version")
    return version


#: the sealed metadata's references to meetings
MEETING_FIELDS = ("meeting_id", "embargo_meeting_id")


def readable_metadata(user, metadata: dict) -> dict:
    """A version's sealed metadata as ``user`` may read it: a meeting they may not see is not
    named, not even by its id (the record page shows them no meeting either)."""
    if cleared(user):
        return metadata
    shown = dict(metadata)
    for name in MEETING_FIELDS:
        meeting = db.session.get(Meeting, shown[name]) if isinstance(shown.get(name), int) else None
        if shown.get(name) is not None and (meeting is None or not can_see_meeting(user, meeting)):
            shown[name] = None
    return shown


def search_access(user) -> Access:
    return Access(cleared=cleared(user))
