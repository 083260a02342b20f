"""Reading meetings: lists with filters, one meeting. Edits arrive with the agenda work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.auth.models import Partner
from secretariat.extensions import db


@dataclass
class MeetingFilter:
    when: str = "all"  # upcoming, past or all
    kind: str = ""
    year: int | None = None
    host: str = ""  # partner code

    @classmethod
    def from_args(cls, args) -> MeetingFilter:
        when = args.get("when", "all")
        kind = args.get("kind", "")
        return cls(
            when=when if when in {"upcoming", "past", "all"} else "all",
            kind=kind if kind in {k.value for k in MeetingKind} else "",
            year=args.get("year", type=int),
            host=(args.get("host") or "").strip().upper()[:8],
        )


def meeting_query(filters: MeetingFilter, today: date) -> sa.Select:
    query = sa.select(Meeting)
    if filters.when == "upcoming":
        query = query.where(Meeting.end_date >= today).order_by(Meeting.start_date)
    else:
        if filters.when == "past":
            query = query.where(Meeting.end_date < today)
        query = query.order_by(Meeting.start_date.desc())
    if filters.kind:
        query = query.where(Meeting.kind == filters.kind)
    if filters.year:
        query = query.where(
            Meeting.start_date >= date(filters.year, 1, 1), Meeting.start_date <= date(filters.year, 12, 31)
        )
    if filters.host:
        query = query.join(Meeting.host).where(Partner.code == filters.host)
    return query


def meeting_years() -> list[int]:
    dates = db.session.scalars(sa.select(Meeting.start_date)).all()
    return sorted({d.year for d in dates}, reverse=True)


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def upcoming(today: date, limit: int = 5) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.end_date >= today).order_by(Meeting.start_date).limit(limit)
        )
    )
