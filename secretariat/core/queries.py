"""What the home page reads: each list through the models, with only the columns it shows.

Access rules are not repeated here: meetings go through visible_meetings() (with the rule of
partners_may_see_agenda for agenda versions) and action points through visible_action_points(),
as on the pages they link to; notifications are the reader's own rows, those about a meeting
kept only while the reader may still see it. Every query loads its objects
with ``raiseload``, so a template that reaches for something not read fails in the tests instead
of costing a query per row.

Each statement is built once per shape (per role where an access rule shapes it) with bind
parameters for what varies, and executed with the request's values: building a statement with
its loader options costs more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload, load_only, raiseload

from secretariat.agenda.minutes import visible_action_points
from secretariat.agenda.models import (
    AGENDA_VISIBLE_TO_PARTNERS,
    ActionPoint,
    AgendaVersion,
    ItemProposal,
    Meeting,
    MeetingStatus,
    ProposalStatus,
)
from secretariat.agenda.visibility import PROPOSALS_OPEN, visible_meetings
from secretariat.auth.models import Partner, User
from secretariat.auth.permissions import Permission, role_has
from secretariat.extensions import db
from secretariat.notify import queries as notify_queries
from secretariat.notify.models import Category, Notification
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
from secretariat.timeutil import as_utc, utcnow

#: an active initiative without a report for this long is shown as "report due"
REPORT_INTERVAL = timedelta(days=180)
ACTIVE = (InitiativeStatus.ENDORSED.value, InitiativeStatus.ONGOING.value)
#: how far back the news and the newly circulated agenda versions go
NEWS_WINDOW = timedelta(days=30)
NEWS_LIMIT = 10
#: a person who never marked anything read: everything is new
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


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
    # The total as a subquery run once: a window over the page would read and sort every report awaiting
    # review with its initiative and partner before the LIMIT.
    total = sa.select(sa.func.count()).where(ProgressReport.reviewed_at.is_(None)).scalar_subquery()
    return (
        sa.select(ProgressReport, total)
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


def reports_to_review() -> tuple[list[ProgressReport], int]:
    """The oldest reports no coordinator has reviewed (at most 20), with their initiative and partner,
    and how many there are in all."""
    rows = db.session.execute(_to_review_query()).all()
    return [report for report, _total in rows], (rows[0][1] if rows else 0)


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
                SilenceProcedure.subject,
                SilenceProcedure.deadline,
                SilenceProcedure.deadline_zone,
                SilenceProcedure.objections,
                raiseload=True,
            ),
            raiseload("*"),
        )
        .order_by(SilenceProcedure.deadline, SilenceProcedure.id)
    )


def open_silence_procedures(partner_id: int, now: datetime) -> list[tuple[SilenceProcedure, bool]]:
    """Procedures whose silence still runs, nearest deadline first, each with whether the partner has to answer."""
    rows = db.session.execute(_silence_query(), {"partner_id": partner_id, "now": now})
    return [(procedure, bool(awaits)) for procedure, awaits in rows]


@cache
def _drafting_query() -> sa.Select:
    # Coordinators see every meeting: no visibility rule shapes this one.
    return (
        sa.select(Meeting, sa.func.count().over())
        .where(
            Meeting.status == MeetingStatus.DRAFTING.value,
            Meeting.end_date >= sa.bindparam("today", type_=Meeting.end_date.type),
        )
        .options(load_only(Meeting.title, Meeting.start_date, raiseload=True), raiseload("*"))
        .order_by(Meeting.start_date, Meeting.id)
        .limit(10)
    )


def agendas_in_drafting(today: date) -> tuple[list[Meeting], int]:
    """Meetings not over whose agenda is being drafted, soonest first (at most 10), and how many in all."""
    rows = db.session.execute(_drafting_query(), {"today": today}).all()
    return [meeting for meeting, _total in rows], (rows[0][1] if rows else 0)


@cache
def _proposals_query(role: str) -> sa.Select:
    query = (
        sa.select(Meeting, sa.func.count(ItemProposal.id))
        .join(ItemProposal, ItemProposal.meeting_id == Meeting.id)
        .where(
            ItemProposal.status == ProposalStatus.PENDING.value,
            Meeting.status.in_([status.value for status in PROPOSALS_OPEN]),
        )
        .options(load_only(Meeting.title, Meeting.start_date, raiseload=True), raiseload("*"))
        .group_by(Meeting.id)
        .order_by(Meeting.start_date, Meeting.id)
    )
    return visible_meetings(query, Reader(role))


def pending_proposals(user) -> list[tuple[Meeting, int]]:
    """The meetings open to proposals with proposals awaiting a decision, soonest first, each with how many."""
    return [(meeting, count) for meeting, count in db.session.execute(_proposals_query(user.role))]


@cache
def _new_versions_query(role: str) -> sa.Select:
    newer = aliased(AgendaVersion)
    latest = sa.select(sa.func.max(newer.number)).where(newer.meeting_id == Meeting.id).scalar_subquery()
    # The latest version of each meeting not over before the window (an agenda is circulated and adopted
    # before its meeting or at its opening: none newer is left out), if frozen within it. SQLite goes from
    # the end-date index to each meeting's latest version by the (meeting, number) key; PostgreSQL from the
    # versions frozen lately (ix_agenda_versions_frozen_at) instead of reading every version.
    query = (
        sa.select(AgendaVersion, Meeting)
        .select_from(Meeting)
        .join(AgendaVersion, sa.and_(AgendaVersion.meeting_id == Meeting.id, AgendaVersion.number == latest))
        .where(
            Meeting.end_date >= sa.bindparam("since_date", type_=Meeting.end_date.type),
            AgendaVersion.frozen_at >= sa.bindparam("since", type_=AgendaVersion.frozen_at.type),
            Meeting.status.in_([status.value for status in AGENDA_VISIBLE_TO_PARTNERS]),
        )
        .options(
            load_only(
                AgendaVersion.meeting_id,
                AgendaVersion.number,
                AgendaVersion.kind,
                AgendaVersion.frozen_at,
                AgendaVersion.note,
                raiseload=True,
            ),
            load_only(Meeting.title, Meeting.start_date, raiseload=True),
            raiseload("*"),
        )
        .order_by(AgendaVersion.frozen_at.desc(), AgendaVersion.id.desc())
        .limit(5)
    )
    return visible_meetings(query, Reader(role))


def new_agenda_versions(user, now: datetime) -> list[tuple[AgendaVersion, Meeting, bool]]:
    """The agenda versions circulated or adopted lately (the latest of each meeting ``user`` may see, most
    recent first), each with its meeting and whether it is new since the user last read their news."""
    read_at = as_utc(user.news_read_at) or NEVER
    since = now - NEWS_WINDOW
    rows = db.session.execute(_new_versions_query(user.role), {"since": since, "since_date": since.date()})
    return [(version, meeting, as_utc(version.frozen_at) > read_at) for version, meeting in rows]


@cache
def _news_query(role: str) -> sa.Select:
    unread = Notification.created_at > sa.bindparam("read_at", type_=Notification.created_at.type)
    # A row about a meeting the reader may no longer see (a coordinator who became an official) is not shown.
    meeting_visible = sa.exists(
        visible_meetings(sa.select(Meeting.id), Reader(role)).where(Meeting.id == Notification.meeting_id)
    )
    return (
        sa.select(Notification, unread, sa.func.count(sa.case((unread, 1))).over())
        .where(
            Notification.user_id == sa.bindparam("user_id"),
            # password links and sign-in alerts stay in the mail: they are not news
            Notification.category != Category.ACCOUNT.value,
            Notification.created_at >= sa.bindparam("since", type_=Notification.created_at.type),
            sa.or_(Notification.meeting_id.is_(None), meeting_visible),
        )
        .options(
            load_only(
                Notification.category,
                Notification.subject,
                Notification.link_path,
                Notification.created_at,
                raiseload=True,
            ),
            raiseload("*"),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(NEWS_LIMIT)
    )


def news(user, now: datetime) -> tuple[list[tuple[Notification, bool]], int]:
    """The user's latest notifications of the last NEWS_WINDOW (at most NEWS_LIMIT), each with whether it
    is unread, and how many are unread in all."""
    values = {"user_id": user.id, "since": now - NEWS_WINDOW, "read_at": as_utc(user.news_read_at) or NEVER}
    rows = db.session.execute(_news_query(user.role), values).all()
    return [(notification, bool(unread)) for notification, unread, _total in rows], (rows[0][2] if rows else 0)


@dataclass(frozen=True)
class Accounts:
    active: int
    #: active accounts whose person has not set a password yet (their link unused or expired)
    without_password: int


def accounts() -> Accounts:
    """How many accounts are active, and how many of them still wait for their password."""
    active = User.is_active_account.is_(True)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(active),
            sa.func.count().filter(active, User.password_hash.is_(None)),
        )
    ).one()
    return Accounts(active=row[0], without_password=row[1])


@dataclass
class Dashboard:
    """Everything the home page lists for one user."""

    upcoming: list[Meeting] = field(default_factory=list)
    #: the coordinators' own lines: agendas being drafted, proposals to decide, reports to review
    drafting: list[Meeting] = field(default_factory=list)
    drafting_total: int = 0
    #: (meeting, how many of its proposals await a decision)
    proposals: list[tuple[Meeting, int]] = field(default_factory=list)
    to_review: list[ProgressReport] = field(default_factory=list)
    to_review_total: int = 0
    #: the partners' readers' line: (version, its meeting, whether new since the news were read)
    new_versions: list[tuple[AgendaVersion, Meeting, bool]] = field(default_factory=list)
    #: the user's notifications, latest first: (notification, unread)
    news: list[tuple[Notification, bool]] = field(default_factory=list)
    unread: int = 0
    #: the partner's, not the user's: a successor sees their predecessor's open ones
    action_points: list[ActionPoint] = field(default_factory=list)
    initiative_count: int = 0
    reports_due: list[Initiative] = field(default_factory=list)
    overdue: list[Milestone] = field(default_factory=list)
    #: (procedure, whether the user's partner has still to answer)
    silence: list[tuple[SilenceProcedure, bool]] = field(default_factory=list)
    #: the administrators' lines
    accounts: Accounts | None = None
    mail: notify_queries.QueueState | None = None

    @property
    def silence_awaiting(self) -> list[SilenceProcedure]:
        return [procedure for procedure, awaiting in self.silence if awaiting]

    @property
    def proposals_total(self) -> int:
        return sum(count for _meeting, count in self.proposals)


def dashboard(user) -> Dashboard:
    """The home page's lists for ``user``: what their role acts on, and what they may read."""
    now = utcnow()
    board = Dashboard()
    board.news, board.unread = news(user, now)
    if role_has(user.role, Permission.MANAGE_USERS):
        board.accounts, board.mail = accounts(), notify_queries.queue_state()
    if not role_has(user.role, Permission.READ):
        return board
    board.upcoming = upcoming_meetings(now.date(), user)
    if role_has(user.role, Permission.COORDINATE):
        board.drafting, board.drafting_total = agendas_in_drafting(now.date())
        board.proposals = pending_proposals(user)
        board.to_review, board.to_review_total = reports_to_review()
    elif not role_has(user.role, Permission.MANAGE_USERS):
        # officials and observers: what the coordinators circulated to them
        board.new_versions = new_agenda_versions(user, now)
    board.action_points = open_action_points(user.partner_id, user)
    initiatives = sponsored_initiatives(user.partner_id, now)
    board.initiative_count = len(initiatives)
    board.reports_due = [initiative for initiative, due in initiatives if due]
    board.overdue = overdue_milestones(now.date(), [initiative.id for initiative, _due in initiatives])
    board.silence = open_silence_procedures(user.partner_id, now)
    return board
