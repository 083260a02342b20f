"""What the record page shows, read as rows of the columns it prints (as programme/initiative_page.py).

The record page is a fifth of what the load benchmark's officials read. Loading it as ORM objects
(the record with its meeting joined, its partners, every version with its files, each by a
relationship loader building its statement at every view) cost more than the page's rendering.
These statements are built once, with the record or version as a bound parameter, run on the
session's connection, and give named tuples: read-only, made afresh at every request (no caching).
Whether the viewer may see the record is decided by the same rule as for the ORM record
(archive/access.py: ``partner_may_see`` on the record's values, the embargo by ``embargo_end_of``),
and which of its versions by the rule for versions (``partner_may_see_version`` on each one's
sealed metadata): a version the viewer may not open is not listed at all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.agenda.visibility import can_see_meeting_kind
from secretariat.archive import access
from secretariat.archive.models import Confidentiality, Record, RecordFile, RecordType, RecordVersion, record_partners
from secretariat.auth.models import Partner
from secretariat.extensions import db

_RECORDS = Record.__table__
_MEETING = Meeting.__table__.alias("meeting")
_EMBARGO_MEETING = Meeting.__table__.alias("embargo_meeting")
_VERSIONS = RecordVersion.__table__
_FILES = RecordFile.__table__
_PARTNERS = Partner.__table__


class RecordRow(NamedTuple):
    """The record's columns its page prints, with its meeting's and its embargo meeting's."""

    id: int
    title: str
    record_type: str
    record_date: date
    meeting_id: int | None
    language: str
    description_html: str
    tags: str
    confidentiality: str
    embargo_until: datetime | None
    embargo_meeting_id: int | None
    withdrawn_at: datetime | None
    withdrawn_reason: str
    current_version: int
    meeting_title: str | None
    embargo_meeting_title: str | None
    embargo_meeting_closed_at: datetime | None
    meeting_kind: str | None

    @property
    def type_label(self) -> str:
        return RecordType(self.record_type).label

    @property
    def confidentiality_label(self) -> str:
        return Confidentiality(self.confidentiality).label

    @property
    def embargo_end(self) -> datetime | None:
        """As access.embargo_end(record)."""
        return access.embargo_end_of(self.embargo_until, self.embargo_meeting_id, self.embargo_meeting_closed_at)


class VersionRow(NamedTuple):
    id: int
    number: int
    created_at: datetime
    change_note: str
    seal_sha256: str
    #: the sealed metadata: the version's own level and embargo (not printed)
    metadata_json: str


class FileRow(NamedTuple):
    id: int
    filename: str
    size: int
    mime_type: str
    text_status: str
    text_problem: str
    blob_sha256: str


_RECORD = (
    sa.select(
        *(_RECORDS.c[name] for name in RecordRow._fields[:14]),
        _MEETING.c.title,
        _EMBARGO_MEETING.c.title,
        _EMBARGO_MEETING.c.closed_at,
        _MEETING.c.kind,
    )
    .outerjoin(_MEETING, _MEETING.c.id == _RECORDS.c.meeting_id)
    .outerjoin(_EMBARGO_MEETING, _EMBARGO_MEETING.c.id == _RECORDS.c.embargo_meeting_id)
    .where(_RECORDS.c.id == sa.bindparam("record_id"))
)
_PARTNER_NAMES = (
    sa.select(_PARTNERS.c.name)
    .join(record_partners, record_partners.c.partner_id == _PARTNERS.c.id)
    .where(record_partners.c.record_id == sa.bindparam("record_id"))
    .order_by(_PARTNERS.c.name)
)
_RECORD_VERSIONS = (
    sa.select(*(_VERSIONS.c[name] for name in VersionRow._fields))
    .where(_VERSIONS.c.record_id == sa.bindparam("record_id"))
    .order_by(_VERSIONS.c.number.desc())
)
_VERSION_FILES = (
    sa.select(*(_FILES.c[name] for name in FileRow._fields))
    .where(_FILES.c.version_id == sa.bindparam("version_id"))
    .order_by(_FILES.c.id)
)


def visible_record(user, record_id: int) -> RecordRow | None:
    """The record, if ``user`` may see it (None: missing or not theirs to see, which look the same)."""
    row = db.session.connection().execute(_RECORD, {"record_id": record_id}).first()
    if row is None:
        return None
    record = RecordRow._make(row)
    if access.cleared(user):
        return record
    if access.partner_may_see(record.confidentiality, record.withdrawn_at, record.embargo_end):
        if record.meeting_kind is not None and not can_see_meeting_kind(user, record.meeting_kind):
            # a meeting the reader may not see is neither named nor linked (issue 25, item 3)
            record = record._replace(meeting_id=None, meeting_title=None)
        return record
    return None


def names_its_meeting(user, record: RecordRow) -> bool:
    """Whether the page may name and link the record's meeting: not a coordinators' meeting to a partner."""
    return record.meeting_id is not None and (
        access.cleared(user) or record.meeting_kind != MeetingKind.COORDINATORS.value
    )


def partner_names(record: RecordRow) -> list[str]:
    """The record's partners' names, by name (as Record.partners)."""
    return list(db.session.connection().execute(_PARTNER_NAMES, {"record_id": record.id}).scalars())


def versions(record: RecordRow) -> list[VersionRow]:
    """Its versions, the latest first."""
    rows = db.session.connection().execute(_RECORD_VERSIONS, {"record_id": record.id}).all()
    return list(map(VersionRow._make, rows))


def visible_versions(user, record: RecordRow) -> list[VersionRow]:
    """Its versions ``user`` may open (``record`` is one they may see), the latest first."""
    if access.cleared(user):
        return versions(record)
    return [v for v in versions(record) if access.partner_may_see_version(v.metadata_json)]


def hidden_from_partners(rows: list[VersionRow]) -> set[int]:
    """The numbers of the versions partners may not open by their own sealed level or embargo."""
    return {v.number for v in rows if not access.partner_may_see_version(v.metadata_json)}


def files(version: VersionRow) -> list[FileRow]:
    """A version's files, in the order they were filed (as RecordVersion.files)."""
    return list(map(FileRow._make, db.session.connection().execute(_VERSION_FILES, {"version_id": version.id}).all()))
