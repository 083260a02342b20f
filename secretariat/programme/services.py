"""Initiatives: lists and filters, creation and edits with a conflict check, status changes, milestones."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload, lazyload

from secretariat import audit, events
from secretariat.agenda.models import Meeting
from secretariat.archive.models import Record
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.programme.models import (
    STATUS_TRANSITIONS,
    Initiative,
    InitiativeStatus,
    Milestone,
    Pillar,
    StatusChange,
    WorkProgramme,
    initiative_cosponsors,
)
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow


class ProgrammeRefused(Exception):
    """An operation that breaks a rule of the work programme; the message says why."""


@dataclass
class InitiativeConflict(Exception):
    initiative: Initiative
    current: dict
    submitted: dict


# --- reading ---------------------------------------------------------------------------------


@dataclass
class InitiativeFilter:
    pillar: str = ""
    status: str = ""
    partner: str = ""  # code: lead or co-sponsor
    programme: int | None = None
    overdue: bool = False
    q: str = ""

    def shape(self) -> tuple[bool, bool, bool, bool, bool, bool]:
        """Which filters are set (not their values): what filter_conditions() is built for."""
        return (
            bool(self.pillar),
            bool(self.status),
            bool(self.partner),
            bool(self.programme),
            self.overdue,
            bool(self.q),
        )

    def values(self, today: date) -> dict[str, Any]:
        """The values filter_conditions() binds (one more than it asks for is ignored)."""
        return {
            "pillar": self.pillar,
            "status": self.status,
            "partner": self.partner,
            "programme": self.programme,
            "today": today,
            "like": f"%{self.q.lower()}%",
        }

    @classmethod
    def from_args(cls, args) -> InitiativeFilter:
        pillar = args.get("pillar", "")
        status = args.get("status", "")
        return cls(
            pillar=pillar if pillar in {p.value for p in Pillar} else "",
            status=status if status in {s.value for s in InitiativeStatus} else "",
            partner=(args.get("partner") or "").strip().upper()[:8],
            programme=_bounded_id(args.get("programme", type=int)),
            overdue=args.get("overdue") == "1",
            q=(args.get("q") or "").strip()[:200],
        )


def _bounded_id(value: int | None) -> int | None:
    return value if value is not None and 0 < value < 2**31 else None


def sponsored_by(partner_id: int):
    """SQL condition: the partner leads or co-sponsors the initiative."""
    cosponsored = sa.select(initiative_cosponsors.c.initiative_id).where(
        initiative_cosponsors.c.partner_id == partner_id
    )
    return sa.or_(Initiative.lead_partner_id == partner_id, Initiative.id.in_(cosponsored))


_INITIATIVES = Initiative.__table__
_MILESTONES = Milestone.__table__
_PARTNERS = Partner.__table__


@functools.lru_cache(maxsize=64)  # 2 ** 6 shapes at most
def filter_conditions(
    pillar: bool, status: bool, partner: bool, programme: bool, overdue: bool, q: bool
) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions of one shape of InitiativeFilter, on the table's columns, built once: the values
    are bound at execution (InitiativeFilter.values). Building them anew, as ORM expressions with
    their cache key, cost the initiative list more than running its statements."""
    t = _INITIATIVES
    conditions: list[sa.ColumnElement[bool]] = []
    if pillar:
        conditions.append(t.c.pillar == sa.bindparam("pillar"))
    if status:
        conditions.append(t.c.status == sa.bindparam("status"))
    if partner:
        # The partner by its code in the statement itself: an unknown code matches nothing.
        partner_id = sa.select(_PARTNERS.c.id).where(_PARTNERS.c.code == sa.bindparam("partner")).scalar_subquery()
        cosponsored = sa.select(initiative_cosponsors.c.initiative_id).where(
            initiative_cosponsors.c.partner_id == partner_id
        )
        conditions.append(sa.or_(t.c.lead_partner_id == partner_id, t.c.id.in_(cosponsored)))
    if programme:
        conditions.append(t.c.programme_id == sa.bindparam("programme"))
    if overdue:
        late = sa.select(_MILESTONES.c.initiative_id).where(
            _MILESTONES.c.due_date < sa.bindparam("today"), _MILESTONES.c.done_at.is_(None)
        )
        conditions.append(t.c.id.in_(late))
    if q:
        like = sa.bindparam("like")
        conditions.append(sa.or_(sa.func.lower(t.c.title).like(like), sa.func.lower(t.c.code).like(like)))
    return tuple(conditions)


def initiative_query(filters: InitiativeFilter) -> sa.Select:
    """The initiatives matching ``filters``, by code; execute with ``filters.values(today)``."""
    return sa.select(Initiative).where(*filter_conditions(*filters.shape())).order_by(Initiative.code)


def partner_by_code(code: str) -> Partner | None:
    return db.session.scalar(sa.select(Partner).where(Partner.code == (code or "").strip().upper()))


def get_initiative(initiative_id: int) -> Initiative:
    # Its page shows the work programme and the mandating meeting: joined here rather than two more queries.
    initiative = db.session.get(
        Initiative, initiative_id, options=[joinedload(Initiative.programme), joinedload(Initiative.mandate_meeting)]
    )
    if initiative is None:
        abort(404)
    return initiative


def initiative_alone(initiative_id: int) -> Initiative:
    """The initiative without any of its relationships, for a write that needs only its row.

    A comment needs the initiative to exist and its id; loading it as get_initiative does also read
    its lead partner, co-sponsors and contacts (three statements of a comment's twelve).
    """
    initiative = db.session.get(Initiative, initiative_id, options=[lazyload("*")])
    if initiative is None:
        abort(404)
    return initiative


def overdue_milestones(today: date, initiative_ids: list[int] | None = None) -> list[Milestone]:
    query = (
        sa.select(Milestone).where(Milestone.due_date < today, Milestone.done_at.is_(None)).order_by(Milestone.due_date)
    )
    if initiative_ids is not None:
        query = query.where(Milestone.initiative_id.in_(initiative_ids))
    return list(db.session.scalars(query))


def milestones(initiative: Initiative) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.initiative_id == initiative.id)
            .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
        )
    )


# What the meeting page shows of each initiative mandated there (code, title, reference, link), by
# a statement built once: an ORM statement cost as much to build as to run, and its objects more.
_MANDATED_BY = (
    sa.select(Initiative.id, Initiative.code, Initiative.title, Initiative.mandate_reference)
    .where(Initiative.mandate_meeting_id == sa.bindparam("meeting_id"))
    .order_by(Initiative.code)
)


def mandated_by(meeting: Meeting) -> list[sa.Row]:
    """The initiatives mandated or endorsed at ``meeting``: rows of id, code, title and mandate_reference."""
    return list(db.session.execute(_MANDATED_BY, {"meeting_id": meeting.id}))


_PROGRAMME_TITLES = sa.select(WorkProgramme.__table__.c.id, WorkProgramme.__table__.c.title).order_by(
    WorkProgramme.__table__.c.start_year.desc()
)


def programme_titles() -> list[sa.Row]:
    """Rows of id and title of every work programme period, the latest first (a filter's or a form's choices)."""
    return list(db.session.execute(_PROGRAMME_TITLES))


# --- writing ---------------------------------------------------------------------------------


def initiative_state(initiative: Initiative) -> dict[str, Any]:
    return {
        "code": initiative.code,
        "title": initiative.title,
        "summary_source": initiative.summary_source,
        "pillar": initiative.pillar,
        "lead_partner": initiative.lead_partner.code if initiative.lead_partner else None,
        "co_sponsors": sorted(p.code for p in initiative.co_sponsors),
        "start_date": initiative.start_date.isoformat() if initiative.start_date else None,
        "end_date": initiative.end_date.isoformat() if initiative.end_date else None,
        "mandate_meeting_id": initiative.mandate_meeting_id,
        "mandate_reference": initiative.mandate_reference,
        "mandate_record_id": initiative.mandate_record_id,
        "programme_id": initiative.programme_id,
        "contacts": sorted(u.email for u in initiative.contacts),
    }


def _apply(initiative: Initiative, data: dict[str, Any]) -> None:
    lead = partner_by_code(data["lead_partner"])
    if lead is None:
        raise ProgrammeRefused("Choose the lead partner.")
    code = data["code"].strip().upper()
    clash = db.session.scalar(sa.select(Initiative.id).where(Initiative.code == code, Initiative.id != initiative.id))
    if clash is not None:
        raise ProgrammeRefused(f"Another initiative already has the code {code}.")
    if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
        raise ProgrammeRefused("The end date cannot be before the start date.")
    initiative.code = code
    initiative.title = data["title"].strip()
    initiative.summary_source = data.get("summary_source") or ""
    initiative.summary_html = str(rich_text(initiative.summary_source))
    initiative.pillar = Pillar(data["pillar"]).value
    initiative.lead_partner = lead
    codes = sorted(set(data.get("co_sponsors") or []) - {lead.code})
    initiative.co_sponsors = (
        list(db.session.scalars(sa.select(Partner).where(Partner.code.in_(codes)))) if codes else []
    )
    initiative.start_date = data.get("start_date")
    initiative.end_date = data.get("end_date")
    initiative.mandate_meeting_id = data.get("mandate_meeting_id") or None
    initiative.mandate_reference = (data.get("mandate_reference") or "").strip()
    record_id = data.get("mandate_record_id") or None
    if record_id is not None and db.session.get(Record, record_id) is None:
        raise ProgrammeRefused(f"There is no archive record number {record_id}.")
    initiative.mandate_record_id = record_id
    initiative.programme_id = data.get("programme_id") or None
    contact_ids = [int(i) for i in data.get("contacts") or []]
    initiative.contacts = (
        list(db.session.scalars(sa.select(User).where(User.id.in_(contact_ids)))) if contact_ids else []
    )


def create_initiative(
    data: dict[str, Any],
    *,
    actor,
    status: str = "proposed",
    effective: date | None = None,
    meeting_id: int | None = None,
) -> Initiative:
    initiative = Initiative(status=InitiativeStatus(status).value)
    _apply(initiative, data)
    db.session.add(initiative)
    db.session.flush()
    db.session.add(
        StatusChange(
            initiative_id=initiative.id,
            from_status=None,
            to_status=initiative.status,
            effective_date=effective or utcnow().date(),
            meeting_id=meeting_id,
            note="Recorded",
            actor_id=getattr(actor, "id", None),
        )
    )
    audit.record(actor, "initiative.create", initiative, **initiative_state(initiative), status=initiative.status)
    events.initiative_changed.send(initiative)
    return initiative


def update_initiative(initiative: Initiative, data: dict[str, Any], *, expected_version: int, actor) -> dict:
    """Save an edit unless someone saved the initiative since the form was opened (compare-and-set)."""
    claimed = db.session.execute(
        sa.update(Initiative)
        .where(Initiative.id == initiative.id, Initiative.version == expected_version)
        .values(version=expected_version + 1)
    ).rowcount
    db.session.expire(initiative)
    if claimed != 1:
        raise InitiativeConflict(initiative, initiative_state(initiative), data)
    before = initiative_state(initiative)
    _apply(initiative, data)
    db.session.flush()
    changes = audit.diff(before, initiative_state(initiative))
    audit.record(actor, "initiative.update", initiative, diff=changes)
    events.initiative_changed.send(initiative)
    return changes


def change_status(
    initiative: Initiative, target: str, *, effective: date, meeting_id: int | None, note: str, actor
) -> StatusChange:
    """Move an initiative along its life cycle; only the transitions in STATUS_TRANSITIONS are allowed."""
    try:
        goal = InitiativeStatus(target)
    except ValueError as exc:
        raise ProgrammeRefused("Unknown status.") from exc
    # Compare-and-set on the status: two coordinators cannot both apply a change from the same state.
    source = InitiativeStatus(initiative.status)
    if goal not in STATUS_TRANSITIONS[source]:
        raise ProgrammeRefused(f"An initiative that is {source.value} cannot become {goal.value}.")
    claimed = db.session.execute(
        sa.update(Initiative)
        .where(Initiative.id == initiative.id, Initiative.status == source.value)
        .values(status=goal.value)
    ).rowcount
    db.session.expire(initiative)
    if claimed != 1:
        raise ProgrammeRefused("The status changed meanwhile; reload the page.")
    if meeting_id is not None and db.session.get(Meeting, meeting_id) is None:
        raise ProgrammeRefused("Unknown meeting.")
    change = StatusChange(
        initiative_id=initiative.id,
        from_status=source.value,
        to_status=goal.value,
        effective_date=effective,
        meeting_id=meeting_id,
        note=note[:500],
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        actor,
        "initiative.status",
        initiative,
        diff={"status": [source.value, goal.value]},
        effective=effective.isoformat(),
        meeting_id=meeting_id,
        note=note,
    )
    events.initiative_changed.send(initiative)
    return change


def add_milestone(initiative: Initiative, *, title: str, kind: str, due: date | None, actor) -> Milestone:
    milestone = Milestone(initiative_id=initiative.id, title=title.strip(), kind=kind, due_date=due)
    db.session.add(milestone)
    db.session.flush()
    audit.record(
        actor,
        "milestone.create",
        milestone,
        initiative_id=initiative.id,
        title=milestone.title,
        due=due.isoformat() if due else None,
    )
    return milestone


def set_milestone_done(milestone: Milestone, done: bool, *, actor) -> bool:
    """Mark a milestone done or not done; returns whether anything changed."""
    if milestone.done == done:
        return False
    milestone.done_at = utcnow() if done else None
    db.session.flush()
    audit.record(
        actor, "milestone.update", milestone, initiative_id=milestone.initiative_id, diff={"done": [not done, done]}
    )
    return True


def create_programme(title: str, start_year: int, end_year: int, *, actor) -> WorkProgramme:
    if end_year < start_year:
        raise ProgrammeRefused("The period must end after it starts.")
    programme = WorkProgramme(title=title.strip(), start_year=start_year, end_year=end_year)
    db.session.add(programme)
    db.session.flush()
    audit.record(actor, "programme.create", programme, title=programme.title, years=[start_year, end_year])
    return programme
