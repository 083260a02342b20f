"""What the work programme's pages read: model objects with the loader options each page needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload, with_expression

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.agenda.visibility import visible_meetings
from secretariat.archive.models import Record
from secretariat.auth.models import Partner, User
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.programme.models import (
    Initiative,
    InitiativeStatus,
    Milestone,
    Pillar,
    ProgressReport,
    SilenceProcedure,
    StatusChange,
    WorkProgramme,
    initiative_cosponsors,
)
from secretariat.programme.services import sponsored_by
from secretariat.timeutil import utcnow
from secretariat.web.paging import MAX_PAGE

PER_PAGE = 50

#: a status change is decided at a meeting near its date: the status form offers these years only
STATUS_MEETING_YEARS_BACK = 3

#: archive/filing.py files each progress report as the record with this source_ref
REPORT_SOURCE_PREFIX = "progress-report:"


# --- the initiative list ------------------------------------------------------------------------


@dataclass
class InitiativeFilter:
    """The initiative list's filters, as given in the address."""

    pillar: str = ""
    status: str = ""
    partner: str = ""  # code: lead or co-sponsor
    programme: int | None = None
    overdue: bool = False
    q: str = ""

    @classmethod
    def from_args(cls, args) -> InitiativeFilter:
        pillar = args.get("pillar", "")
        status = args.get("status", "")
        programme = args.get("programme", type=int)
        return cls(
            pillar=pillar if pillar in {p.value for p in Pillar} else "",
            status=status if status in {s.value for s in InitiativeStatus} else "",
            partner=(args.get("partner") or "").strip().upper()[:8],
            programme=programme if programme is not None and 0 < programme < 2**31 else None,
            overdue=args.get("overdue") == "1",
            q=(args.get("q") or "").strip()[:200],
        )

    def conditions(self, today: date) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of the filters that are set."""
        conditions: list[sa.ColumnElement[bool]] = []
        if self.pillar:
            conditions.append(Initiative.pillar == self.pillar)
        if self.status:
            conditions.append(Initiative.status == self.status)
        if self.partner:
            # The partner by its code inside the statement: an unknown code matches nothing.
            partner_id = sa.select(Partner.id).where(Partner.code == self.partner).scalar_subquery()
            conditions.append(sponsored_by(partner_id))
        if self.programme:
            conditions.append(Initiative.programme_id == self.programme)
        if self.overdue:
            conditions.append(Initiative.id.in_(sa.select(Milestone.initiative_id).where(*_late(today))))
        if self.q:
            like = f"%{self.q.lower()}%"
            conditions.append(
                sa.or_(sa.func.lower(Initiative.title).like(like), sa.func.lower(Initiative.code).like(like))
            )
        return conditions


def _late(today: date) -> tuple[sa.ColumnElement[bool], ...]:
    return Milestone.due_date < today, Milestone.done_at.is_(None)


def initiatives(filters: InitiativeFilter, today: date, page: int) -> Pagination:
    """One page of the initiatives matching ``filters``, by code, with their lead and co-sponsors."""
    has_overdue = sa.exists().where(Milestone.initiative_id == Initiative.id, *_late(today))
    co_sponsor_count = (
        sa.select(sa.func.count())
        .select_from(initiative_cosponsors)
        .where(initiative_cosponsors.c.initiative_id == Initiative.id)
        .scalar_subquery()
    )
    query = (
        sa.select(Initiative)
        .where(*filters.conditions(today))
        .order_by(Initiative.code)
        .options(
            lazyload(Initiative.co_sponsors),
            lazyload(Initiative.contacts),
            with_expression(Initiative.has_overdue_milestone, has_overdue),
            with_expression(Initiative.co_sponsor_count, co_sponsor_count),
        )
    )
    return db.paginate(query, page=min(max(1, page), MAX_PAGE), per_page=PER_PAGE, error_out=False)


def initiatives_for_export(filters: InitiativeFilter, today: date) -> list[Initiative]:
    """Every initiative matching ``filters``, by code, with what the CSV prints of each."""
    query = (
        sa.select(Initiative)
        .where(*filters.conditions(today))
        .order_by(Initiative.code)
        .options(joinedload(Initiative.mandate_meeting), lazyload(Initiative.contacts))
    )
    return list(db.session.scalars(query))


def programmes() -> list[WorkProgramme]:
    """Every work programme period, the latest first (a filter's or a form's choices)."""
    return list(db.session.scalars(sa.select(WorkProgramme).order_by(WorkProgramme.start_year.desc())))


def partners() -> list[Partner]:
    return list(db.session.scalars(sa.select(Partner).order_by(Partner.name)))


# --- one initiative -----------------------------------------------------------------------------


@cache
def _initiative_statement() -> sa.Select:
    """The initiative page's statement, built once: only the initiative's id varies."""
    return (
        sa.select(Initiative)
        .where(Initiative.id == sa.bindparam("initiative_id"))
        .options(
            joinedload(Initiative.programme),
            joinedload(Initiative.mandate_meeting).lazyload(Meeting.host),
            selectinload(Initiative.contacts),
            selectinload(Initiative.milestones),
            selectinload(Initiative.history).joinedload(StatusChange.meeting).lazyload(Meeting.host),
            selectinload(Initiative.comments),
            selectinload(Initiative.silence_procedures),
        )
    )


def initiative(initiative_id: int) -> Initiative:
    """The initiative with everything its page lists but the reports (see reports()); NotFound if none."""
    initiative = db.session.scalar(_initiative_statement(), {"initiative_id": initiative_id})
    if initiative is None:
        raise NotFound(f"initiative {initiative_id}")
    return initiative


@cache
def _reports_statement() -> sa.Select:
    """The reports' statement, built once: only the initiative's id varies."""
    filed = sa.select(Record.id, Record.current_version).where(
        Record.source_ref == sa.literal(REPORT_SOURCE_PREFIX) + sa.cast(ProgressReport.id, sa.String)
    )
    return (
        sa.select(ProgressReport)
        .where(ProgressReport.initiative_id == sa.bindparam("initiative_id"))
        .order_by(ProgressReport.submitted_at.desc())
        .options(
            with_expression(ProgressReport.record_id, filed.with_only_columns(Record.id).scalar_subquery()),
            with_expression(
                ProgressReport.record_version, filed.with_only_columns(Record.current_version).scalar_subquery()
            ),
        )
    )


def reports(initiative: Initiative) -> list[ProgressReport]:
    """Its progress reports, newest first, each with the archive record filed from it (if any)."""
    return list(db.session.scalars(_reports_statement(), {"initiative_id": initiative.id}))


@cache
def _meetings_statement(*, recent: bool) -> sa.Select:
    """The meeting choices' statement, built once; ``recent``: between the bounds given when executed."""
    query = sa.select(Meeting).order_by(Meeting.start_date.desc())
    if recent:
        query = query.where(Meeting.start_date >= sa.bindparam("since"), Meeting.start_date <= sa.bindparam("until"))
    # A choice shows these four columns; the others would only be read to be thrown away.
    return query.options(load_only(Meeting.id, Meeting.start_date, Meeting.code, Meeting.title), lazyload("*"))


def meeting_choices(user, *, recent: bool = False) -> list[Meeting]:
    """The meetings ``user`` may see, newest first; ``recent``: only those near today (a status change's)."""
    bounds = {}
    if recent:
        today = utcnow().date()
        bounds = {
            "since": today.replace(year=today.year - STATUS_MEETING_YEARS_BACK, day=1),
            "until": today.replace(year=today.year + 1, day=1),
        }
    return list(db.session.scalars(visible_meetings(_meetings_statement(recent=recent), user), bounds))


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.is_active_account.is_(True)).order_by(User.display_name)))


# --- a partner's page ---------------------------------------------------------------------------


@dataclass
class PartnerProgramme:
    """What a partner leads or co-sponsors, and its milestones overdue and due next."""

    initiatives: list[Initiative]
    overdue: list[Milestone]
    upcoming: list[Milestone]


def partner_programme(partner: Partner, today: date) -> PartnerProgramme:
    initiatives = list(
        db.session.scalars(
            sa.select(Initiative)
            .where(sponsored_by(partner.id))
            .order_by(Initiative.code)
            .options(lazyload(Initiative.co_sponsors), lazyload(Initiative.contacts))
        )
    )
    ids = [i.id for i in initiatives]
    # The initiatives are in the session: each milestone's initiative is found there, not read again.
    milestones = sa.select(Milestone).where(Milestone.initiative_id.in_(ids), Milestone.done_at.is_(None))
    return PartnerProgramme(
        initiatives,
        overdue=list(db.session.scalars(milestones.where(Milestone.due_date < today).order_by(Milestone.due_date))),
        upcoming=list(
            db.session.scalars(milestones.where(Milestone.due_date >= today).order_by(Milestone.due_date).limit(20))
        ),
    )


# --- the changes since the last SOM -------------------------------------------------------------


@dataclass
class SomSummary:
    """What moved in the work programme between the previous SOM and ``meeting``."""

    meeting: Meeting
    previous: Meeting | None
    since: date | None
    until: date
    new_initiatives: list[Initiative]
    status_changes: list[StatusChange]
    reports: list[ProgressReport]
    overdue: list[Milestone]


def soms() -> list[Meeting]:
    """Every Senior Officials' Meeting, the latest first."""
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.kind == MeetingKind.SOM.value).order_by(Meeting.start_date.desc())
        )
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def previous_som(meeting: Meeting) -> Meeting | None:
    return db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.kind == MeetingKind.SOM.value, Meeting.start_date < meeting.start_date)
        .order_by(Meeting.start_date.desc())
        .limit(1)
    )


def som_summary(meeting: Meeting) -> SomSummary:
    """Everything from the day the previous SOM opened up to (not including) the day ``meeting`` opens."""
    previous = previous_som(meeting)
    since = previous.start_date if previous else None
    until = meeting.start_date

    def window(column, start: Any, end: Any) -> list[sa.ColumnElement[bool]]:
        return [column < end] + ([column >= start] if start is not None else [])

    instants = (_midnight(since) if since else None, _midnight(until))
    return SomSummary(
        meeting=meeting,
        previous=previous,
        since=since,
        until=until,
        new_initiatives=list(
            db.session.scalars(
                sa.select(Initiative)
                .where(*window(Initiative.created_at, *instants))
                .order_by(Initiative.code)
                .options(lazyload(Initiative.co_sponsors), lazyload(Initiative.contacts))
            )
        ),
        status_changes=list(
            db.session.scalars(
                sa.select(StatusChange)
                .where(*window(StatusChange.effective_date, since, until), StatusChange.from_status.is_not(None))
                .order_by(StatusChange.effective_date, StatusChange.id)
                .options(joinedload(StatusChange.meeting).lazyload(Meeting.host))
            )
        ),
        reports=list(
            db.session.scalars(
                sa.select(ProgressReport)
                .where(*window(ProgressReport.submitted_at, *instants))
                .order_by(ProgressReport.submitted_at)
                .options(joinedload(ProgressReport.initiative).lazyload("*"), lazyload(ProgressReport.author))
            )
        ),
        overdue=list(
            db.session.scalars(
                sa.select(Milestone)
                .where(Milestone.due_date < until, Milestone.done_at.is_(None))
                .order_by(Milestone.due_date)
                .options(joinedload(Milestone.initiative).lazyload("*"))
            )
        ),
    )


# --- silence procedures -------------------------------------------------------------------------


def silence_procedures() -> list[SilenceProcedure]:
    """Every procedure, the latest deadline first."""
    return list(db.session.scalars(sa.select(SilenceProcedure).order_by(SilenceProcedure.deadline.desc())))


def silence_procedure(procedure_id: int) -> SilenceProcedure:
    """One procedure with its initiative; NotFound if none."""
    procedure = db.session.get(
        SilenceProcedure, procedure_id, options=[joinedload(SilenceProcedure.initiative).lazyload("*")]
    )
    if procedure is None:
        raise NotFound(f"silence procedure {procedure_id}")
    return procedure
