"""Meetings of the ASEM process. Agendas, versions and minutes build on these."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from secretariat.types import UTCDateTime


class MeetingKind(enum.StrEnum):
    SUMMIT = "summit"
    FMM = "fmm"
    MINISTERIAL = "ministerial"
    SOM = "som"
    COORDINATORS = "coordinators"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "summit": "Summit",
            "fmm": "Foreign Ministers' Meeting",
            "ministerial": "Ministerial Meeting",
            "som": "Senior Officials' Meeting",
            "coordinators": "Coordinators' Meeting",
            "other": "Working group / other",
        }[self.value]


class MeetingStatus(enum.StrEnum):
    """The life cycle, in order."""

    PLANNED = "planned"
    DRAFTING = "drafting"
    CIRCULATED = "circulated"
    ADOPTED = "adopted"
    HELD = "held"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "planned": "Planned",
            "drafting": "Agenda in drafting",
            "circulated": "Agenda circulated to partners",
            "adopted": "Agenda adopted",
            "held": "Held",
            "closed": "Closed",
        }[self.value]


class MeetingFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "virtual": "Virtual", "hybrid": "Hybrid"}[self.value]


#: statuses in which partners (officials, observers) may see the meeting's agenda
AGENDA_VISIBLE_TO_PARTNERS = frozenset(
    {MeetingStatus.CIRCULATED, MeetingStatus.ADOPTED, MeetingStatus.HELD, MeetingStatus.CLOSED}
)


class Meeting(db.Model):
    """A Summit, ministerial meeting, SOM, coordinators' meeting or working group."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: for sectoral ministerial meetings: economy, finance, culture, education, labour, transport, environment
    sector: Mapped[str | None] = mapped_column(sa.String(40))
    #: the number in its series (13 for ASEM13), where the series has one
    number: Mapped[int | None]
    #: short code such as ASEM13 or FMM14
    code: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    host_partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    #: IANA zone of the venue: times are shown in it
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    start_date: Mapped[date] = mapped_column(sa.Date, index=True)
    #: indexed: "upcoming" (the dashboard, the meeting list) is end_date >= today, a few rows of thousands
    end_date: Mapped[date] = mapped_column(sa.Date, index=True)
    #: local start time on the first day, if known (the agenda timetable starts here)
    start_time: Mapped[time | None] = mapped_column(sa.Time)
    #: local end time on the last day, if known
    end_time: Mapped[time | None] = mapped_column(sa.Time)
    format: Mapped[str] = mapped_column(sa.String(20), default=MeetingFormat.IN_PERSON.value)
    chair: Mapped[str | None] = mapped_column(sa.String(200))
    theme: Mapped[str | None] = mapped_column(sa.String(300))
    #: sanitized HTML rendered from description_source
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    description_source: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=MeetingStatus.PLANNED.value, index=True)
    #: optimistic lock for the meeting's own fields: a save carries the version it was based on
    version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock for the agenda as a whole: bumped by every agenda change (the revision number)
    agenda_revision: Mapped[int] = mapped_column(default=0)
    #: when the meeting was closed (records embargoed until then are released at this instant)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    host: Mapped[Partner | None] = relationship(lazy="joined")
    #: the meeting's minutes, if written (read-only here: minutes.py creates them)
    minutes: Mapped[Minutes | None] = relationship(viewonly=True, uselist=False)
    #: whether the reader follows the meeting, read with it by the meeting page (queries.meeting_with_minutes);
    #: None where not loaded
    followed: Mapped[bool | None] = query_expression()

    # Every UPDATE checks the version it read (a stale one raises StaleDataError); the services raise
    # it only for edits of the form's fields, so a status change or a renumbering is not a conflict.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint(
            "kind in ('summit', 'fmm', 'ministerial', 'som', 'coordinators', 'other')", name="kind_known"
        ),
        sa.CheckConstraint(
            "status in ('planned', 'drafting', 'circulated', 'adopted', 'held', 'closed')", name="status_known"
        ),
        # The archive's search looks for the meetings a query names by code and by the start of
        # the city, with seeks in these (archive/queries.meetings_named). PostgreSQL compares the
        # city bytewise, so a prefix is a range in any collation; SQLite always does.
        sa.Index("ix_meetings_code_lower", sa.text("lower(code)")),
        sa.Index("ix_meetings_city_lower", sa.text("lower(city)")).ddl_if(dialect="sqlite"),
        sa.Index("ix_meetings_city_lower", sa.text('lower(city) COLLATE "C"')).ddl_if(dialect="postgresql"),
    )

    @property
    def kind_enum(self) -> MeetingKind:
        return MeetingKind(self.kind)

    @property
    def status_enum(self) -> MeetingStatus:
        return MeetingStatus(self.status)

    @property
    def format_enum(self) -> MeetingFormat:
        return MeetingFormat(self.format)


class ItemType(enum.StrEnum):
    INFORMATION = "information"
    DISCUSSION = "discussion"
    DECISION = "decision"
    ADOPTION = "adoption"
    BREAK = "break"

    @property
    def label(self) -> str:
        return {
            "information": "For information",
            "discussion": "For discussion",
            "decision": "For decision",
            "adoption": "For adoption",
            "break": "Break",
        }[self.value]


#: how deep sub-items may go (1, 1.1, 1.1.1)
MAX_ITEM_DEPTH = 3

agenda_item_partners = sa.Table(
    "agenda_item_partners",
    db.metadata,
    sa.Column("item_id", sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partners.id"), primary_key=True),
)


class AgendaItem(db.Model):
    """One item of a meeting's working agenda (the coordinators' draft). Numbers are derived, never stored."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id"), index=True)
    #: order among siblings, 0-based
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    item_type: Mapped[str] = mapped_column(sa.String(20), default=ItemType.DISCUSSION.value)
    description_source: Mapped[str] = mapped_column(sa.Text, default="")
    #: sanitized HTML rendered from description_source
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    presenter: Mapped[str] = mapped_column(sa.String(200), default="")
    duration_minutes: Mapped[int | None]
    #: optional local clock time at which this item starts (resets the timetable, e.g. "Day 2, 09:00")
    fixed_start: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=False))
    #: internal notes, shown to coordinators only and never frozen into a circulated version
    coordinator_notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: optimistic lock for edits of this item
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lead_partners: Mapped[list[Partner]] = relationship(
        secondary=agenda_item_partners, order_by=Partner.code, lazy="selectin"
    )

    # As Meeting's: the version counts edits of the item's fields, not moves that renumber it.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    __table_args__ = (
        sa.CheckConstraint(
            "item_type in ('information', 'discussion', 'decision', 'adoption', 'break')", name="item_type_known"
        ),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"),
    )

    @property
    def type_enum(self) -> ItemType:
        return ItemType(self.item_type)


class AgendaRevision(db.Model):
    """Every save of an agenda: who, when, what changed, and the whole agenda as it then stood."""

    __tablename__ = "agenda_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    #: 1, 2, 3 … per meeting; equals the meeting's agenda_revision after the save
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    #: one human sentence, e.g. "Moved item 2.1 “Connectivity” up"
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: JSON of the agenda after the save (items with notes), see snapshots.py
    snapshot: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("meeting_id", "number", name="uq_agenda_revisions_meeting_number"),)


class AgendaVersion(db.Model):
    """A frozen, numbered version (v1, v2 …) made when the agenda is circulated or adopted. Never changes."""

    __tablename__ = "agenda_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    number: Mapped[int]
    #: "circulated" or "adopted"
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: indexed: the dashboard lists the versions circulated lately, newest first (core/queries.py)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    frozen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    frozen_by_label: Mapped[str] = mapped_column(sa.String(254))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: JSON of the agenda without coordinators' notes
    snapshot: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of the snapshot, to show the version is unaltered
    snapshot_sha256: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("meeting_id", "number", name="uq_agenda_versions_meeting_number"),)


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ItemProposal(db.Model):
    """An item proposed by a partner's official; a coordinator accepts it (it becomes an item) or declines."""

    __tablename__ = "item_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    #: the partner the proposal belongs to (a successor official sees it)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    proposer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(300))
    item_type: Mapped[str] = mapped_column(sa.String(20))
    description_source: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    duration_minutes: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=ProposalStatus.PENDING.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    ADOPTED = "adopted"


class Minutes(db.Model):
    """The record of a meeting's outcomes: drafted by coordinators, then adopted and frozen."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=MinutesStatus.DRAFT.value)
    #: general summary (rich text source and its sanitized HTML)
    summary_source: Mapped[str] = mapped_column(sa.Text, default="")
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: optimistic lock for the minutes and their item outcomes as a whole
    version: Mapped[int] = mapped_column(default=1)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: JSON of the adopted minutes (summary, outcomes, action points); frozen at adoption
    adopted_snapshot: Mapped[str | None] = mapped_column(sa.Text)
    adopted_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # As Meeting's: every save and the adoption set the next version; a stale one raises StaleDataError.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ItemOutcome(db.Model):
    """What the meeting decided on one agenda item."""

    __tablename__ = "item_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id"), index=True)
    decision_source: Mapped[str] = mapped_column(sa.Text, default="")
    decision_html: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.UniqueConstraint("minutes_id", "item_id", name="uq_item_outcomes_minutes_item"),)


class ActionPoint(db.Model):
    """A follow-up a partner is responsible for, shown on that partner's dashboard until done."""

    __tablename__ = "action_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(sa.String(1000))
    responsible_partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    responsible_partner: Mapped[Partner] = relationship(lazy="joined")
    meeting: Mapped[Meeting] = relationship()


class CalendarFeed(db.Model):
    """A user's personal calendar subscription: a secret URL token, revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
