"""What the meeting page reads, as rows of the columns it shows: the meeting, its latest version,
minutes, proposals and action points.

The meeting was loaded as an ORM object with its host joined (about 225 µs on the benchmark, most of it
the ORM's); as a MeetingRow (about 60 µs) it has every attribute the page, the visibility checks and the
agenda fragments read on a Meeting, with the same values.

Each list was read as ORM objects (with their partner joined in): for the page's four small reads
that cost about 100 µs each, of which the ORM's work (the statement's compilation context, the
identity map, the objects) was two thirds; a Core statement on the tables, built once with the meeting
bound at execution, costs about 30 µs. Every row has the attribute names the template and the checks
(minutes.can_read_minutes, minutes.may_close, fragments.frozen_agenda) read on the objects, so they
read rows the same way; the partner's name comes as ``partner_name``.

The same rules pick the rows: an official's proposals are only their own partner's (as
proposals.visible_proposals), and only adopted minutes, and their action points, are shown to
partners (minutes.can_read_minutes and can_read_action_points).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import NamedTuple

import sqlalchemy as sa

from secretariat.agenda.minutes import can_read_action_points
from secretariat.agenda.models import (
    ActionPoint,
    AgendaVersion,
    ItemProposal,
    Meeting,
    MeetingFormat,
    MeetingKind,
    MeetingStatus,
    Minutes,
)
from secretariat.auth.models import Partner
from secretariat.auth.permissions import is_coordinator
from secretariat.extensions import db

_MEETINGS = Meeting.__table__
_VERSIONS = AgendaVersion.__table__
_MINUTES = Minutes.__table__
_PROPOSALS = ItemProposal.__table__
_POINTS = ActionPoint.__table__
_PARTNERS = Partner.__table__

_MEETING = sa.bindparam("meeting_id")


class Host(NamedTuple):
    name: str


class MeetingRow(NamedTuple):
    """The meeting as the meeting page reads it (the names of Meeting's attributes)."""

    id: int
    title: str
    kind: str
    sector: str | None
    city: str | None
    time_zone: str
    start_date: date
    end_date: date
    start_time: time | None
    end_time: time | None
    format: str
    chair: str | None
    theme: str | None
    description_html: str
    status: str
    host_name: str | None

    @property
    def kind_enum(self) -> MeetingKind:
        return MeetingKind(self.kind)

    @property
    def status_enum(self) -> MeetingStatus:
        return MeetingStatus(self.status)

    @property
    def format_enum(self) -> MeetingFormat:
        return MeetingFormat(self.format)

    @property
    def host(self) -> Host | None:
        return None if self.host_name is None else Host(self.host_name)


_HOST = _PARTNERS.alias("host")
_MEETING_ROW = (
    sa.select(*(_MEETINGS.c[name] for name in MeetingRow._fields[:-1]), _HOST.c.name)
    .outerjoin(_HOST, _HOST.c.id == _MEETINGS.c.host_partner_id)
    .where(_MEETINGS.c.id == _MEETING)
)

# The latest frozen version; the snapshot (tens of kilobytes) only for a reader who is shown it.
_VERSION_COLUMNS = (_VERSIONS.c.id, _VERSIONS.c.number, _VERSIONS.c.kind, _VERSIONS.c.frozen_at)
_LATEST = sa.select(*_VERSION_COLUMNS).where(_VERSIONS.c.meeting_id == _MEETING).order_by(_VERSIONS.c.number.desc())
_LATEST = _LATEST.limit(1)
_LATEST_WITH_SNAPSHOT = _LATEST.add_columns(_VERSIONS.c.snapshot)


class MinutesRow(NamedTuple):
    """The meeting's minutes as its page reads them (the names of Minutes' attributes)."""

    id: int
    status: str
    summary_html: str
    adopted_at: datetime | None


# The meeting page's meeting with its minutes (one per meeting at most: minutes.meeting_id is
# unique), in one statement rather than two; other pages read the meeting alone (_MEETING_ROW).
_MEETING_WITH_MINUTES = _MEETING_ROW.add_columns(
    *(_MINUTES.c[name].label(f"minutes_{name}") for name in MinutesRow._fields)
).outerjoin(_MINUTES, _MINUTES.c.meeting_id == _MEETINGS.c.id)

_MEETING_PROPOSALS = (
    sa.select(
        _PROPOSALS.c.id,
        _PROPOSALS.c.title,
        _PROPOSALS.c.description_html,
        _PROPOSALS.c.status,
        _PROPOSALS.c.decline_reason,
        _PARTNERS.c.name.label("partner_name"),
    )
    .join(_PARTNERS, _PARTNERS.c.id == _PROPOSALS.c.partner_id)
    .where(_PROPOSALS.c.meeting_id == _MEETING)
    .order_by(_PROPOSALS.c.created_at)
)
_PARTNER_PROPOSALS = _MEETING_PROPOSALS.where(_PROPOSALS.c.partner_id == sa.bindparam("partner_id"))

_ACTION_POINTS = (
    sa.select(
        _POINTS.c.id,
        _POINTS.c.text,
        _POINTS.c.responsible_partner_id,
        _POINTS.c.due_date,
        _POINTS.c.done_at,
        _PARTNERS.c.name.label("partner_name"),
    )
    .join(_PARTNERS, _PARTNERS.c.id == _POINTS.c.responsible_partner_id)
    .where(_POINTS.c.meeting_id == _MEETING)
    .order_by(_POINTS.c.id)
)


def _run(statement: sa.Select, **values):
    # On the session's connection: the session's execute() adds its ORM steps to a Core statement too.
    return db.session.connection().execute(statement, values)


def meeting(meeting_id: int) -> MeetingRow | None:
    row = _run(_MEETING_ROW, meeting_id=meeting_id).first()
    return None if row is None else MeetingRow(*row)


def latest_version(meeting_id: int, *, with_snapshot: bool) -> sa.Row | None:
    """The latest frozen version (id, number, kind, frozen_at, and snapshot when asked), or None."""
    return _run(_LATEST_WITH_SNAPSHOT if with_snapshot else _LATEST, meeting_id=meeting_id).first()


def meeting_with_minutes(meeting_id: int) -> tuple[MeetingRow | None, MinutesRow | None]:
    """The meeting and its minutes, whoever may read them (the caller checks both), or None."""
    row = _run(_MEETING_WITH_MINUTES, meeting_id=meeting_id).first()
    if row is None:
        return None, None
    width = len(MeetingRow._fields)
    minutes = None if row[width] is None else MinutesRow(*row[width:])
    return MeetingRow(*row[:width]), minutes


def proposals_for(meeting_id: int, user) -> list[sa.Row]:
    """The proposals ``user`` may see: all for coordinators, their own partner's for anyone else."""
    if is_coordinator(user):
        return _run(_MEETING_PROPOSALS, meeting_id=meeting_id).all()
    return _run(_PARTNER_PROPOSALS, meeting_id=meeting_id, partner_id=user.partner_id).all()


def action_points(meeting_id: int, user, minutes: MinutesRow | None) -> list[sa.Row]:
    """The meeting's action points, if ``user`` may read them (minutes.can_read_action_points): none
    for a partner until the minutes are adopted."""
    if not can_read_action_points(user, minutes):
        return []
    return _run(_ACTION_POINTS, meeting_id=meeting_id).all()
