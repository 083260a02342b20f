"""Meetings of the ASEM process. Agendas, versions and minutes build on these."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    end_date: Mapped[date] = mapped_column(sa.Date)
    #: local start time on the first day, if known (the agenda timetable starts here)
    start_time: Mapped[time | None] = mapped_column(sa.Time)
    format: Mapped[str] = mapped_column(sa.String(20), default=MeetingFormat.IN_PERSON.value)
    chair: Mapped[str | None] = mapped_column(sa.String(200))
    theme: Mapped[str | None] = mapped_column(sa.String(300))
    #: sanitized HTML rendered from description_source
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    description_source: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=MeetingStatus.PLANNED.value, index=True)
    #: optimistic lock: a save carries the version it was based on
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    host: Mapped[Partner | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint(
            "kind in ('summit', 'fmm', 'ministerial', 'som', 'coordinators', 'other')", name="kind_known"
        ),
        sa.CheckConstraint(
            "status in ('planned', 'drafting', 'circulated', 'adopted', 'held', 'closed')", name="status_known"
        ),
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
