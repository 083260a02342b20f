"""What the home page shows each user, ready to print.

Every list is read as rows of the columns shown (statements built once, at import, with bound
parameters, run on the session's connection: no ORM objects, no lazy loads) and handed to the
template with its links made and its dates written: one url_for per kind of link (links.UrlPattern),
and no call per row in the template, where each url_for, strftime or filter cost a few microseconds
(the coordinator's page has some sixty rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask_login import current_user

from secretariat.agenda import services as agenda_services
from secretariat.agenda.links import UrlPattern
from secretariat.agenda.minutes import visible_action_points
from secretariat.agenda.models import ActionPoint, Meeting
from secretariat.auth.models import Partner
from secretariat.auth.permissions import Permission, role_has
from secretariat.core.filters import in_zone
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
from secretariat.types import UTCDateTime

#: the long date of the page's sentences ("7 December 2026")
LONG_DATE = "%-d %B %Y"
#: an active initiative without a report for this long is shown as "report due"
REPORT_INTERVAL = timedelta(days=180)

_ACTIVE = frozenset({InitiativeStatus.ENDORSED.value, InitiativeStatus.ONGOING.value})


class May(NamedTuple):
    """What the page's user may do: what can() answers in templates, asked once (each call to can()
    goes through the current_user proxy twice)."""

    read: bool
    contribute: bool
    coordinate: bool
    manage_users: bool

    @classmethod
    def of(cls, user) -> May:
        if not user.is_authenticated:
            return cls(False, False, False, False)
        role = user.role
        return cls(
            *(
                role_has(role, p)
                for p in (Permission.READ, Permission.CONTRIBUTE, Permission.COORDINATE, Permission.MANAGE_USERS)
            )
        )


class UpcomingMeeting(NamedTuple):
    href: str
    title: str
    start: str  # LONG_DATE
    city: str | None
    status: str


class OpenActionPoint(NamedTuple):
    """An open action point of the user's partner (a successor sees their predecessor's)."""

    href: str  # the meeting's action points
    done_href: str  # where "Mark done" posts
    text: str
    meeting_title: str
    due: str | None  # LONG_DATE
    due_iso: str | None


class InitiativeLine(NamedTuple):
    """An initiative the partner leads or co-sponsors; ``report_href`` where a report due is made."""

    code: str
    title: str
    report_due: bool
    report_href: str


class OverdueMilestone(NamedTuple):
    title: str
    initiative_code: str
    due_iso: str


class ReportToReview(NamedTuple):
    href: str
    initiative_code: str
    partner_name: str


class OpenProcedure(NamedTuple):
    """An open silence procedure; ``awaiting``: the user's partner has taken no position on it."""

    href: str
    subject: str
    awaiting: bool
    deadline_utc: str  # "%Y-%m-%d %H:%M"
    deadline_local: str  # LONG_DATE ", %H:%M", in the procedure's zone
    deadline_zone: str
    deadline_time_utc: str  # "%H:%M"


# --- statements, built once ---------------------------------------------------------------

# The next meetings not yet over: agenda.services.upcoming_statement(), built once per role (below)
# and run on the connection: building the statement, its cache key and the ORM session's step cost
# twice the query (0.25 -> 0.12 ms).


class _RoleOnly(NamedTuple):
    """A user reduced to their role, the only thing the kept statements are built from: what
    visible_meetings() makes of it holds for every user of the role (and were it ever to read more
    of the user, building the statement would fail rather than give one user's view to another)."""

    role: str


#: the upcoming meetings' statement of each role, restricted by visible_meetings()
_upcoming_by_role: dict[str, sa.Select] = {}


def _upcoming_statement(role: str) -> sa.Select:
    statement = _upcoming_by_role.get(role)
    if statement is None:
        statement = _upcoming_by_role[role] = agenda_services.upcoming_statement(_RoleOnly(role))
    return statement


_ACTION_POINTS = (
    sa.select(ActionPoint.id, ActionPoint.meeting_id, ActionPoint.text, ActionPoint.due_date, Meeting.title)
    .join(Meeting, Meeting.id == ActionPoint.meeting_id)
    .where(ActionPoint.responsible_partner_id == sa.bindparam("partner_id"), ActionPoint.done_at.is_(None))
    .order_by(ActionPoint.due_date.is_(None), ActionPoint.due_date, ActionPoint.id)
    .limit(20)
)
# With each initiative, whether a report came in since the date given: its latest report's date,
# looked up per initiative in the (initiative, submitted_at) index. Not EXISTS: PostgreSQL hashed
# that into a scan of every report ever submitted, texts and all (1.5 -> 0.6 ms, bench/pages.py).
# NULL (no report at all) is not "reported".
_LATEST_REPORT = (
    sa.select(sa.func.max(ProgressReport.submitted_at))
    .where(ProgressReport.initiative_id == Initiative.id)
    .scalar_subquery()
)
_MINE = (
    sa.select(
        Initiative.id,
        Initiative.code,
        Initiative.title,
        Initiative.status,
        # typed: an untyped parameter on the left would reach the driver as Python's datetime, unconverted
        (sa.bindparam("since", type_=UTCDateTime) <= _LATEST_REPORT).label("reported"),
    )
    .where(sponsored_by(sa.bindparam("partner_id")))
    .order_by(Initiative.code)
)
# From the initiatives to their milestones: SQLite then looks the milestones up by initiative
# (0.05 ms on the benchmark's data) instead of walking the due-date index over every milestone
# ever due (0.45 ms). The join is inner: a milestone always has its initiative.
_OVERDUE = (
    sa.select(Milestone.title, Milestone.due_date, Initiative.code)
    .select_from(Initiative)
    .join(Milestone, Milestone.initiative_id == Initiative.id)
    .where(
        Initiative.id.in_(sa.bindparam("initiative_ids", expanding=True)),
        Milestone.due_date < sa.bindparam("today"),
        Milestone.done_at.is_(None),
    )
    .order_by(Milestone.due_date, Milestone.id)
)
_UNREVIEWED = (
    sa.select(ProgressReport.id, ProgressReport.initiative_id, Initiative.code, Partner.name)
    .outerjoin(Initiative, Initiative.id == ProgressReport.initiative_id)
    .outerjoin(Partner, Partner.id == ProgressReport.partner_id)
    .where(ProgressReport.reviewed_at.is_(None))
    .order_by(ProgressReport.submitted_at)
    .limit(20)
)
# The open procedures and, with each, whether the partner has still to answer: one query for both
# lists of the page (the open ones, and those awaiting the partner).
_SILENCE = (
    sa.select(
        SilenceProcedure.id,
        SilenceProcedure.subject,
        SilenceProcedure.deadline,
        SilenceProcedure.deadline_zone,
        ~sa.exists()
        .where(
            SilencePosition.procedure_id == SilenceProcedure.id,
            SilencePosition.partner_id == sa.bindparam("partner_id"),
        )
        .label("awaiting"),
    )
    .where(SilenceProcedure.outcome == SilenceOutcome.OPEN.value)
    .order_by(SilenceProcedure.deadline, SilenceProcedure.id)
)


def _rows(statement: sa.Select, params: dict) -> sa.Result:
    """Rows of a statement of columns on the session's connection (Core rows: no ORM step, no autoflush;
    the home page changes nothing before it reads them)."""
    return db.session.connection().execute(statement, params)


def _links(endpoint: str, argument: str, rows) -> Callable[[int], str]:
    """The URL of each row's object: one url_for for the lot (none for no rows)."""
    return UrlPattern(endpoint, argument) if rows else str


# --- the parts of the page ------------------------------------------------------------------


def upcoming_meetings(today: date, user) -> list[UpcomingMeeting]:
    """The next five meetings the user may see that are not over (visible_meetings() says which they may)."""
    rows = _rows(_upcoming_statement(user.role), {"today": today}).all()
    link = _links("agenda.meeting", "meeting_id", rows)
    return [UpcomingMeeting(link(m.id), m.title, m.start_date.strftime(LONG_DATE), m.city, m.status) for m in rows]


_action_points_by_role: dict[str, sa.Select] = {}


def _action_points_statement(role: str) -> sa.Select:
    # Only those the role may read: an official neither opens a coordinators' meeting nor may mark
    # its action points done (agenda.views.action_point_done), nor learns its title here; nor reads
    # the action points of minutes not yet adopted (the coordinators' draft).
    statement = _action_points_by_role.get(role)
    if statement is None:
        statement = _action_points_by_role[role] = visible_action_points(_ACTION_POINTS, _RoleOnly(role))
    return statement


def action_points(partner_id: int, role: str) -> list[OpenActionPoint]:
    """The partner's open action points, earliest due first, those without a date last (at most 20),
    that the user's role may read (minutes.visible_action_points)."""
    rows = _rows(_action_points_statement(role), {"partner_id": partner_id}).all()
    meeting = _links("agenda.meeting", "meeting_id", rows)
    done = _links("agenda.action_point_done", "point_id", rows)
    return [
        OpenActionPoint(
            f"{meeting(meeting_id)}#actions",
            done(point_id),
            text,
            title,
            due.strftime(LONG_DATE) if due else None,
            due.isoformat() if due else None,
        )
        for point_id, meeting_id, text, due, title in rows
    ]


def initiatives(partner_id: int, now: datetime) -> tuple[list[InitiativeLine], list[int]]:
    """The partner's initiatives by code (a report is due on an active one without a report for
    REPORT_INTERVAL), and their ids."""
    rows = _rows(_MINE, {"partner_id": partner_id, "since": now - REPORT_INTERVAL}).all()
    report = _links("programme.submit_report", "initiative_id", rows)
    lines = [
        InitiativeLine(code, title, status in _ACTIVE and not reported, report(initiative_id))
        for initiative_id, code, title, status, reported in rows
    ]
    return lines, [row.id for row in rows]


def overdue_milestones(today: date, initiative_ids: list[int]) -> list[OverdueMilestone]:
    """Open milestones of these initiatives due before today: earliest first (then as recorded)."""
    if not initiative_ids:  # none to look for when the partner sponsors nothing
        return []
    rows = _rows(_OVERDUE, {"today": today, "initiative_ids": initiative_ids})
    return [OverdueMilestone(title, code, due.isoformat()) for title, due, code in rows]


def reports_to_review() -> list[ReportToReview]:
    """The oldest reports no coordinator has reviewed (at most 20), with their initiative and partner."""
    rows = _rows(_UNREVIEWED, {}).all()
    initiative = _links("programme.initiative", "initiative_id", rows)
    return [
        ReportToReview(f"{initiative(initiative_id)}#report-{report_id}", code, name)
        for report_id, initiative_id, code, name in rows
    ]


def silence_procedures(partner_id: int) -> list[OpenProcedure]:
    """The open silence procedures, nearest deadline first, each saying whether the partner has to answer."""
    rows = _rows(_SILENCE, {"partner_id": partner_id}).all()
    detail = _links("programme.silence_detail", "procedure_id", rows)
    return [
        OpenProcedure(
            detail(procedure_id),
            subject,
            bool(awaiting),
            deadline.strftime("%Y-%m-%d %H:%M"),
            in_zone(deadline, zone).strftime(f"{LONG_DATE}, %H:%M"),
            zone,
            deadline.strftime("%H:%M"),
        )
        for procedure_id, subject, deadline, zone, awaiting in rows
    ]


def build() -> dict:
    user = current_user._get_current_object()  # the proxy once, not at every use
    may = May.of(user)
    now = utcnow()
    today = now.date()
    meetings = upcoming_meetings(today, user)
    mine, mine_ids = initiatives(user.partner_id, now)
    silence = silence_procedures(user.partner_id)
    return {
        "may": may,
        "upcoming_meetings": meetings,
        # the coordinators' own line: agendas still being drafted
        "drafting": [m for m in meetings if m.status == "drafting"] if may.coordinate else [],
        # Action points belong to the partner: a successor sees their predecessor's open ones.
        "action_points": action_points(user.partner_id, user.role),
        "initiative_count": len(mine),
        "reports_due": [i for i in mine if i.report_due],
        "overdue": overdue_milestones(today, mine_ids),
        "to_review": reports_to_review() if may.coordinate else [],
        "silence_open": silence,
        "silence_awaiting": [p for p in silence if p.awaiting],
    }
