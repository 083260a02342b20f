"""What the agenda pages read: meetings, their versions, minutes and lists, as ORM objects.

Access rules are not decided here: the views call visibility.py and minutes.py, and pass the
reader to the functions that filter by it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import defer, joinedload, with_expression

from secretariat.agenda import timetable, tree
from secretariat.agenda.models import AgendaItem, AgendaVersion, Meeting, agenda_item_partners
from secretariat.agenda.services import MeetingFilter, meeting_query
from secretariat.extensions import db
from secretariat.notify.models import MeetingFollow
from secretariat.web.paging import MAX_PAGE

#: meetings per page of the meeting list
PER_PAGE = 25


# The meeting page's statements are built once (with bind parameters) and run with the request's
# values: building a statement with its loader options costs more than running it.
_MEETING_WITH_MINUTES = (
    sa.select(Meeting)
    .options(
        joinedload(Meeting.minutes),
        with_expression(
            Meeting.followed,
            sa.exists().where(MeetingFollow.meeting_id == Meeting.id, MeetingFollow.user_id == sa.bindparam("user_id")),
        ),
    )
    .where(Meeting.id == sa.bindparam("meeting_id"))
)


def meeting_with_minutes(meeting_id: int, reader_id: int) -> Meeting | None:
    """The meeting with its host, its minutes (one at most) and whether ``reader_id`` follows it, in one
    statement; the caller checks access."""
    return db.session.scalar(_MEETING_WITH_MINUTES, {"meeting_id": meeting_id, "user_id": reader_id})


def meeting_list(filters: MeetingFilter, today: date, user, page: int | None) -> Pagination:
    """One page of the meetings ``user`` may see that match ``filters`` (services.meeting_query)."""
    number = min(max(1, page or 1), MAX_PAGE)
    query = meeting_query(filters, today, user).order_by(Meeting.id)  # equal dates in a stable order
    return db.paginate(query, page=number, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False, count=True)


def meeting_years() -> list[int]:
    """Every year from the last meeting's back to the first's: the year filter's choices."""
    # Two scalar subqueries, not min() and max() side by side: each is then answered from the index.
    first = sa.select(sa.func.min(Meeting.start_date)).scalar_subquery()
    last = sa.select(sa.func.max(Meeting.start_date)).scalar_subquery()
    earliest, latest = db.session.execute(sa.select(first, last)).one()
    if earliest is None:
        return []
    return list(range(latest.year, earliest.year - 1, -1))


@cache
def _latest_version_query(with_snapshot: bool) -> sa.Select:
    query = (
        sa.select(AgendaVersion)
        .where(AgendaVersion.meeting_id == sa.bindparam("meeting_id"))
        .order_by(AgendaVersion.number.desc())
        .limit(1)
    )
    return query if with_snapshot else query.options(defer(AgendaVersion.snapshot))


def latest_version(meeting: Meeting, *, with_snapshot: bool = True) -> AgendaVersion | None:
    """The meeting's latest frozen version; its snapshot (the whole agenda) only when asked."""
    return db.session.scalar(_latest_version_query(with_snapshot), {"meeting_id": meeting.id})


def draft_items(meeting: Meeting, *, include_notes: bool) -> list[dict]:
    """The working agenda as item dicts in reading order, each with its time slot."""
    nodes = tree.agenda_nodes(meeting.id)
    return timetable.with_slots(meeting, [tree.item_dict(node, include_notes=include_notes) for node in nodes])


_DRAFT_FINGERPRINT = (
    sa.select(
        sa.func.count(AgendaItem.id),
        sa.func.max(AgendaItem.updated_at),
        sa.func.sum(AgendaItem.version),
        sa.func.count(agenda_item_partners.c.partner_id),
        sa.func.sum(agenda_item_partners.c.partner_id),
    )
    .select_from(AgendaItem)
    .outerjoin(agenda_item_partners, agenda_item_partners.c.item_id == AgendaItem.id)
    .where(AgendaItem.meeting_id == sa.bindparam("meeting_id"))
)


def draft_fingerprint(meeting: Meeting) -> tuple:
    """What the working agenda's rendering depends on, in one aggregate statement: any change to an item
    (moves included: they update it) or to its lead partners changes it, even one made outside the services."""
    return tuple(db.session.execute(_DRAFT_FINGERPRINT, {"meeting_id": meeting.id}).one())


def version_items(meeting: Meeting, version) -> list[dict]:
    """The items of a frozen version (or a revision), each with its slot from the meeting's current start."""
    return timetable.with_slots(meeting, json.loads(version.snapshot)["items"])


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a frozen version, or the items of the working draft."""

    label: str
    items: list[dict]


def version_side(version: AgendaVersion) -> Side:
    label = f"v{version.number} ({version.kind}, {version.frozen_at:%d %b %Y %H:%M} UTC)"
    return Side(label, json.loads(version.snapshot)["items"])


def draft_side(meeting: Meeting) -> Side:
    return Side("Current draft", [tree.item_dict(node, include_notes=False) for node in tree.agenda_nodes(meeting.id)])
