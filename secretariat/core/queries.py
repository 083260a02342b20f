"""What the home page reads: each list through the models, with only the columns it shows.

Access rules are not repeated here: meetings go through visible_meetings() and action points
through visible_action_points(), as on the pages they link to. Every query loads its objects
with ``raiseload``, so a template that reaches for something not read fails in the tests instead
of costing a query per row.

Each statement is built once per shape (per role where an access rule shapes it) with bind
parameters for what varies, and executed with the request's values: building a statement with
its loader options costs more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload, load_only, raiseload

from secretariat.agenda.minutes import visible_action_points
from secretariat.agenda.models import ActionPoint, Meeting, MeetingStatus
from secretariat.agenda.visibility import visible_meetings
from secretariat.auth.models import Partner
from secretariat.auth.permissions import Permission, role_has
from secretariat.extensions import db
from secretariat.programme.models import (
    Initiative,
    InitiativeStatus,
    Milestone,
    ProgressReport,
    SilenceOutcome,
    SilencePosition,
    SilenceProcedure,
)
from secretariat.programme.services import sponsored_by
from secretariat.timeutil import utcnow

#: an active initiative without a report for this long is shown as "report due"
REPORT_INTERVAL = timedelta(days=180)
ACTIVE = (InitiativeStatus.ENDORSED.value, InitiativeStatus.ONGOING.value)


@dataclass(frozen=True)
class Reader:
    """The part of a user the access rules of these lists read: the role (a statement's shape)."""

    role: str


@cache
def _upcoming_query(role: str, limit: int) -> sa.Select:
    # The meetings not over are found first (the end-date index gives a few of thousands), then
    # sorted: asked as one ORDER BY start_date LIMIT, both databases walk the start-date index from
    # 1996 instead. OFFSET 0 keeps the inner query apart (neither database flattens it).
    not_over = sa.select(Meeting).where(Meeting.end_date >= sa.bindparam("today", type_=Meeting.end_date.type))
    inner = visible_meetings(not_over, Reader(role)).offset(0).subquery()
    meeting = aliased(Meeting, inner)
    return (
        sa.select(meeting)
        .options(load_only(meeting.title, meeting.start_date, meeting.city, meeting.status, raiseload=True))
        .options(raiseload("*"))
        .order_by(meeting.start_date, meeting.id)
        .limit(limit)
    )


def upcoming_meetings(today: date, user, limit: int = 5) -> list[Meeting]:
    """The next meetings ``user`` may see that are not over, by start."""
    return list(db.session.scalars(_upcoming_query(user.role, limit), {"today": today}))


@cache
def _action_points_query(role: str) -> sa.Select:
    query = (
        sa.select(ActionPoint)
        .join(ActionPoint.meeting)
        .where(ActionPoint.responsible_partner_id == sa.bindparam("partner_id"), ActionPoint.done_at.is_(None))
        .options(
            load_only(ActionPoint.text, ActionPoint.due_date, ActionPoint.meeting_id, raiseload=True),
            contains_eager(ActionPoint.meeting).load_only(Meeting.title, raiseload=True),
            raiseload("*"),
        )
        .order_by(ActionPoint.due_date.is_(None), ActionPoint.due_date, ActionPoint.id)
        .limit(20)
    )
    # An official neither opens a coordinators' meeting nor learns its title here, nor reads the
    # action points of minutes not yet adopted (the coordinators' draft).
    return visible_action_points(query, Reader(role))


def open_action_points(partner_id: int, user) -> list[ActionPoint]:
    """The partner's open action points that ``user`` may read, earliest due first, undated last (at most 20)."""
    return list(db.session.scalars(_action_points_query(user.role), {"partner_id": partner_id}))


@cache
def _sponsored_query() -> sa.Select:
    # The latest report's date per initiative comes from the (initiative, submitted_at) index; an
    # EXISTS made PostgreSQL scan every report ever submitted. No report at all (NULL) is not "reported".
    latest_report = (
        sa.select(sa.func.max(ProgressReport.submitted_at))
        .where(ProgressReport.initiative_id == Initiative.id)
        .scalar_subquery()
    )
    reported = sa.bindparam("reported_since", type_=ProgressReport.submitted_at.type) <= latest_report
    return (
        sa.select(Initiative, reported)
        .where(sponsored_by(sa.bindparam("partner_id")))
        .options(load_only(Initiative.code, Initiative.title, Initiative.status, raiseload=True), raiseload("*"))
        .order_by(Initiative.code)
    )


def sponsored_initiatives(partner_id: int, now: datetime) -> list[tuple[Initiative, bool]]:
    """The initiatives the partner leads or co-sponsors, by code, each with whether a report is due."""
    rows = db.session.execute(_sponsored_query(), {"partner_id": partner_id, "reported_since": now - REPORT_INTERVAL})
    return [(initiative, initiative.status in ACTIVE and not done) for initiative, done in rows]


@cache
def _overdue_query() -> sa.Select:
    # From the initiatives to their milestones: SQLite then looks milestones up by initiative
    # instead of walking the due-date index over every milestone ever due.
    return (
        sa.select(Milestone)
        .select_from(Initiative)
        .join(Milestone, Milestone.initiative_id == Initiative.id)
        .where(
            Initiative.id.in_(sa.bindparam("initiative_ids", expanding=True)),
            Milestone.due_date < sa.bindparam("today", type_=Milestone.due_date.type),
            Milestone.done_at.is_(None),
        )
        .options(
            load_only(Milestone.title, Milestone.due_date, raiseload=True),
            contains_eager(Milestone.initiative).load_only(Initiative.code, raiseload=True),
            raiseload("*"),
        )
        .order_by(Milestone.due_date, Milestone.id)
    )


def overdue_milestones(today: date, initiative_ids: list[int]) -> list[Milestone]:
    """Open milestones of these initiatives due before today, earliest first (then as recorded)."""
    if not initiative_ids:
        return []
    return list(db.session.scalars(_overdue_query(), {"initiative_ids": initiative_ids, "today": today}))


@cache
def _to_review_query() -> sa.Select:
    return (
        sa.select(ProgressReport)
        .where(ProgressReport.reviewed_at.is_(None))
        .options(
            load_only(ProgressReport.initiative_id, ProgressReport.partner_id, raiseload=True),
            joinedload(ProgressReport.initiative).load_only(Initiative.code, raiseload=True),
            joinedload(ProgressReport.partner).load_only(Partner.name, raiseload=True),
            raiseload("*"),
        )
        .order_by(ProgressReport.submitted_at)
        .limit(20)
    )


def reports_to_review() -> list[ProgressReport]:
    """The oldest reports no coordinator has reviewed (at most 20), with their initiative and partner."""
    return list(db.session.scalars(_to_review_query()))


@cache
def _silence_query() -> sa.Select:
    awaiting = ~sa.exists().where(
        SilencePosition.procedure_id == SilenceProcedure.id, SilencePosition.partner_id == sa.bindparam("partner_id")
    )
    return (
        sa.select(SilenceProcedure, awaiting)
        # past its deadline, silence has settled it, whether or not `programme settle-silence` has run
        .where(
            SilenceProcedure.outcome == SilenceOutcome.OPEN.value,
            SilenceProcedure.deadline > sa.bindparam("now", type_=SilenceProcedure.deadline.type),
        )
        .options(
            load_only(
                SilenceProcedure.subject, SilenceProcedure.deadline, SilenceProcedure.deadline_zone, raiseload=True
            ),
            raiseload("*"),
        )
        .order_by(SilenceProcedure.deadline, SilenceProcedure.id)
    )


def open_silence_procedures(partner_id: int, now: datetime) -> list[tuple[SilenceProcedure, bool]]:
    """Procedures whose silence still runs, nearest deadline first, each with whether the partner has to answer."""
    rows = db.session.execute(_silence_query(), {"partner_id": partner_id, "now": now})
    return [(procedure, bool(awaits)) for procedure, awaits in rows]


@dataclass
class Dashboard:
    """Everything the home page lists for one user."""

    upcoming: list[Meeting] = field(default_factory=list)
    #: the coordinators' own line: agendas still being drafted
    drafting: list[Meeting] = field(default_factory=list)
    #: the partner's, not the user's: a successor sees their predecessor's open ones
    action_points: list[ActionPoint] = field(default_factory=list)
    initiative_count: int = 0
    reports_due: list[Initiative] = field(default_factory=list)
    overdue: list[Milestone] = field(default_factory=list)
    to_review: list[ProgressReport] = field(default_factory=list)
    #: (procedure, whether the user's partner has still to answer)
    silence: list[tuple[SilenceProcedure, bool]] = field(default_factory=list)

    @property
    def silence_awaiting(self) -> list[SilenceProcedure]:
        return [procedure for procedure, awaiting in self.silence if awaiting]


def dashboard(user) -> Dashboard:
    """The home page's lists for ``user`` (nothing for a role that may not read)."""
    if not role_has(user.role, Permission.READ):
        return Dashboard()
    now = utcnow()
    coordinator = role_has(user.role, Permission.COORDINATE)
    upcoming = upcoming_meetings(now.date(), user)
    initiatives = sponsored_initiatives(user.partner_id, now)
    return Dashboard(
        upcoming=upcoming,
        drafting=[m for m in upcoming if m.status == MeetingStatus.DRAFTING.value] if coordinator else [],
        action_points=open_action_points(user.partner_id, user),
        initiative_count=len(initiatives),
        reports_due=[initiative for initiative, due in initiatives if due],
        overdue=overdue_milestones(now.date(), [initiative.id for initiative, _due in initiatives]),
        to_review=reports_to_review() if coordinator else [],
        silence=open_silence_procedures(user.partner_id, now),
    )
