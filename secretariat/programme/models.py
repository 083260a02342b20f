"""The work programme: initiatives, their sponsors and history, progress reports, comments, silence procedures."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, query_expression, relationship

from secretariat.agenda.models import Meeting
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from secretariat.types import UTCDateTime


class Pillar(enum.StrEnum):
    POLITICAL = "political"
    ECONOMIC = "economic"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        return {
            "political": "Political dialogue",
            "economic": "Economic and financial cooperation",
            "social": "Social, cultural and educational cooperation",
        }[self.value]


class InitiativeStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ENDORSED = "endorsed"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DISCONTINUED = "discontinued"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: the status changes that make sense; anything else is refused
STATUS_TRANSITIONS: dict[InitiativeStatus, frozenset[InitiativeStatus]] = {
    InitiativeStatus.PROPOSED: frozenset({InitiativeStatus.ENDORSED, InitiativeStatus.WITHDRAWN}),
    InitiativeStatus.ENDORSED: frozenset(
        {InitiativeStatus.ONGOING, InitiativeStatus.WITHDRAWN, InitiativeStatus.DISCONTINUED}
    ),
    InitiativeStatus.ONGOING: frozenset({InitiativeStatus.COMPLETED, InitiativeStatus.DISCONTINUED}),
    InitiativeStatus.COMPLETED: frozenset(),
    InitiativeStatus.WITHDRAWN: frozenset(),
    InitiativeStatus.DISCONTINUED: frozenset(),
}

initiative_cosponsors = sa.Table(
    "initiative_cosponsors",
    db.metadata,
    sa.Column("initiative_id", sa.ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partners.id"), primary_key=True),
)

initiative_contacts = sa.Table(
    "initiative_contacts",
    db.metadata,
    sa.Column("initiative_id", sa.ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


class WorkProgramme(db.Model):
    """A period of the work programme, e.g. 2024–2026."""

    __tablename__ = "work_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    start_year: Mapped[int]
    end_year: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("end_year >= start_year", name="years_in_order"),)


class Initiative(db.Model):
    """A tangible cooperation initiative, sponsored by a lead partner and co-sponsors."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_programmes.id"), index=True)
    #: reference code, e.g. ASEM-SOC-001
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary_source: Mapped[str] = mapped_column(sa.Text, default="")
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")
    pillar: Mapped[str] = mapped_column(sa.String(20), index=True)
    lead_partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=InitiativeStatus.PROPOSED.value, index=True)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    #: the meeting that mandated or endorsed it, and where in its record (e.g. "Chair's Statement, para 19")
    mandate_meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    mandate_reference: Mapped[str] = mapped_column(sa.String(300), default="")
    #: the archived record (e.g. the Chair's statement) holding the mandate
    mandate_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("records.id"))
    #: optimistic lock for edits
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lead_partner: Mapped[Partner] = relationship(lazy="joined")
    co_sponsors: Mapped[list[Partner]] = relationship(
        secondary=initiative_cosponsors, order_by=Partner.name, lazy="selectin"
    )
    contacts: Mapped[list[User]] = relationship(secondary=initiative_contacts, lazy="selectin")
    mandate_meeting: Mapped[Meeting | None] = relationship()
    programme: Mapped[WorkProgramme | None] = relationship()
    # What its page lists, read only (the services write each through its own model).
    milestones: Mapped[list[Milestone]] = relationship(
        viewonly=True, order_by=lambda: [Milestone.due_date.is_(None), Milestone.due_date, Milestone.id]
    )
    history: Mapped[list[StatusChange]] = relationship(
        viewonly=True, order_by=lambda: [StatusChange.effective_date, StatusChange.id]
    )
    comments: Mapped[list[Comment]] = relationship(viewonly=True, order_by="Comment.created_at")
    silence_procedures: Mapped[list[SilenceProcedure]] = relationship(
        viewonly=True, order_by="SilenceProcedure.deadline.desc()"
    )

    #: whether a milestone is past due and not done, where a query asks (queries.with_overdue)
    has_overdue_milestone: Mapped[bool | None] = query_expression()
    #: how many partners co-sponsor it, where a query asks (the list shows the number, not the partners)
    co_sponsor_count: Mapped[int | None] = query_expression()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("pillar in ('political', 'economic', 'social')", name="pillar_known"),
        sa.CheckConstraint(
            "status in ('proposed', 'endorsed', 'ongoing', 'completed', 'withdrawn', 'discontinued')",
            name="status_known",
        ),
    )

    @property
    def pillar_enum(self) -> Pillar:
        return Pillar(self.pillar)

    @property
    def status_enum(self) -> InitiativeStatus:
        return InitiativeStatus(self.status)

    def sponsor_ids(self) -> set[int]:
        return {self.lead_partner_id, *(p.id for p in self.co_sponsors)}


class StatusChange(db.Model):
    """One step in an initiative's life, with the date and the meeting where it happened."""

    __tablename__ = "initiative_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    #: the date the change took effect (may precede its recording)
    effective_date: Mapped[date] = mapped_column(sa.Date)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    meeting: Mapped[Meeting | None] = relationship()


class Milestone(db.Model):
    """A milestone or deliverable of an initiative, with its due date."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: "milestone" or "deliverable"
    kind: Mapped[str] = mapped_column(sa.String(20), default="milestone")
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    initiative: Mapped[Initiative] = relationship()

    @property
    def done(self) -> bool:
        return self.done_at is not None


class ProgressReport(db.Model):
    """A sponsoring partner's report on an initiative for a period."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"))
    #: the partner on whose behalf the report was made
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    text_source: Mapped[str] = mapped_column(sa.Text)
    text_html: Mapped[str] = mapped_column(sa.Text)
    #: JSON list of milestone updates made with the report
    milestone_updates: Mapped[str] = mapped_column(sa.Text, default="[]")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    initiative: Mapped[Initiative] = relationship()
    partner: Mapped[Partner] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")

    #: the archive record filed from the report and its current version, where a query asks (queries.reports)
    record_id: Mapped[int | None] = query_expression()
    record_version: Mapped[int | None] = query_expression()

    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
        # An initiative's reports, and its latest one (the home page's "report due") read in the index.
        sa.Index("ix_progress_reports_initiative_submitted", "initiative_id", "submitted_at"),
        # The coordinators' "reports awaiting review": without it that query reads every report's text.
        sa.Index(
            "ix_progress_reports_awaiting_review",
            "submitted_at",
            sqlite_where=sa.text("reviewed_at IS NULL"),
            postgresql_where=sa.text("reviewed_at IS NULL"),
        ),
    )


class Comment(db.Model):
    """An official's comment on an initiative or on one of its reports."""

    __tablename__ = "programme_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("progress_reports.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text_source: Mapped[str] = mapped_column(sa.Text)
    text_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")
    author: Mapped[User] = relationship(lazy="joined")


class SilenceOutcome(enum.StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"

    @property
    def label(self) -> str:
        return {"open": "Open", "adopted": "Adopted (no objection)", "not_adopted": "Not adopted (silence broken)"}[
            self.value
        ]


class SilenceProcedure(db.Model):
    """A text circulated to all partners under silence procedure until a deadline."""

    __tablename__ = "silence_procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_source: Mapped[str] = mapped_column(sa.Text)
    text_html: Mapped[str] = mapped_column(sa.Text)
    #: the initiative concerned, if any, and the status it takes if the text is adopted
    initiative_id: Mapped[int | None] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    proposed_status: Mapped[str | None] = mapped_column(sa.String(20))
    #: the instant silence ends (stored in UTC; shown in the zone it was set in)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deadline_zone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Brussels")
    outcome: Mapped[str] = mapped_column(sa.String(20), default=SilenceOutcome.OPEN.value, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    initiative: Mapped[Initiative | None] = relationship()

    @property
    def outcome_enum(self) -> SilenceOutcome:
        """The outcome recorded in the row (open until settle-silence decides it)."""
        return SilenceOutcome(self.outcome)

    def outcome_at(self, now: datetime) -> SilenceOutcome:
        """The outcome as of ``now``: a passed deadline decides an open procedure, recorded yet or not."""
        if self.outcome != SilenceOutcome.OPEN.value or now < self.deadline:
            return SilenceOutcome(self.outcome)
        return SilenceOutcome.NOT_ADOPTED if self.objections else SilenceOutcome.ADOPTED

    @property
    def current_outcome(self) -> SilenceOutcome:
        """The outcome now, by the clock: what pages show (settle-silence persists it)."""
        return self.outcome_at(utcnow())


class PositionKind(enum.StrEnum):
    BROKE_SILENCE = "broke_silence"
    AGREED = "agreed"


class SilencePosition(db.Model):
    """A partner's position under a silence procedure. Written once, never changed (no partner, no row: silent)."""

    __tablename__ = "silence_positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("silence_procedures.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"))
    position: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("procedure_id", "partner_id", name="uq_silence_positions_procedure_partner"),
        sa.CheckConstraint("position in ('broke_silence', 'agreed')", name="position_known"),
    )


#: how many partners broke silence: read with the procedure, so its outcome can be told from the clock
SilenceProcedure.objections = column_property(
    sa.select(sa.func.count(SilencePosition.id))
    .where(
        SilencePosition.procedure_id == SilenceProcedure.id,
        SilencePosition.position == PositionKind.BROKE_SILENCE.value,
    )
    .correlate_except(SilencePosition)
    .scalar_subquery()
)
