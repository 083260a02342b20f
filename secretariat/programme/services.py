"""Initiatives: creation, edits refused when stale (the row's version), status changes, milestones, periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, load_only
from sqlalchemy.orm.exc import StaleDataError

from secretariat import audit, events
from secretariat.agenda.models import Meeting
from secretariat.archive.models import Record
from secretariat.auth.models import Partner, User
from secretariat.errors import NotFound
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
    """An operation that breaks a rule of the work programme; the message says why, ``field`` what it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class InitiativeConflict(Exception):
    """Someone saved the initiative since the form was opened. ``current`` is filled in after the rollback."""

    initiative: Initiative
    submitted: dict
    current: dict | None = None


# --- reading ---------------------------------------------------------------------------------


def sponsored_by(partner_id):
    """SQL condition: the partner (an id, or a statement giving one) leads or co-sponsors the initiative."""
    cosponsored = sa.select(initiative_cosponsors.c.initiative_id).where(
        initiative_cosponsors.c.partner_id == partner_id
    )
    return sa.or_(Initiative.lead_partner_id == partner_id, Initiative.id.in_(cosponsored))


def partner_by_code(code: str) -> Partner | None:
    return db.session.scalar(sa.select(Partner).where(Partner.code == (code or "").strip().upper()))


def get_initiative(initiative_id: int) -> Initiative:
    """The initiative to change (or its edit form); NotFound if none. Its page reads it through queries."""
    initiative = db.session.get(Initiative, initiative_id)
    if initiative is None:
        raise NotFound(f"initiative {initiative_id}")
    return initiative


def initiative_alone(initiative_id: int) -> Initiative:
    """The initiative without any of its relationships, for a write that needs only its row.

    A comment needs the initiative to exist and its id; loading it as get_initiative does also read
    its lead partner, co-sponsors and contacts (three statements of a comment's twelve).
    """
    initiative = db.session.get(Initiative, initiative_id, options=[lazyload("*")])
    if initiative is None:
        raise NotFound(f"initiative {initiative_id}")
    return initiative


def milestones(initiative: Initiative) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.initiative_id == initiative.id)
            .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
        )
    )


def mandated_by(meeting: Meeting) -> list[Initiative]:
    """The initiatives mandated or endorsed at ``meeting``, by code: what the meeting page lists of each."""
    return list(
        db.session.scalars(
            sa.select(Initiative)
            .where(Initiative.mandate_meeting_id == meeting.id)
            .order_by(Initiative.code)
            .options(
                load_only(Initiative.id, Initiative.code, Initiative.title, Initiative.mandate_reference),
                lazyload("*"),
            )
        )
    )


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
        raise ProgrammeRefused("Choose the lead partner.", field="lead_partner")
    code = data["code"].strip().upper()
    clash = db.session.scalar(sa.select(Initiative.id).where(Initiative.code == code, Initiative.id != initiative.id))
    if clash is not None:
        raise ProgrammeRefused(f"Another initiative already has the code {code}.", field="code")
    if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
        raise ProgrammeRefused("The end date cannot be before the start date.", field="end_date")
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
        raise ProgrammeRefused(f"There is no archive record number {record_id}.", field="mandate_record_id")
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
    """Save an edit unless someone saved the initiative since the form was opened (its version)."""
    if initiative.version != expected_version:
        raise InitiativeConflict(initiative, data)
    before = initiative_state(initiative)
    try:
        _apply(initiative, data)  # its reads may flush the changes made so far (autoflush)
        # Always an UPDATE of the row, so that the version moves on even when only sponsors or contacts changed.
        initiative.updated_at = utcnow()
        db.session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and this write
        raise InitiativeConflict(initiative, data) from exc
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
    source = InitiativeStatus(initiative.status)
    if goal not in STATUS_TRANSITIONS[source]:
        raise ProgrammeRefused(f"An initiative that is {source.value} cannot become {goal.value}.")
    if meeting_id is not None and db.session.get(Meeting, meeting_id) is None:
        raise ProgrammeRefused("Unknown meeting.")
    initiative.status = goal.value
    try:
        # The version makes this UPDATE refuse a row changed since we read it: two coordinators
        # cannot both apply a change from the same state.
        db.session.flush()
    except StaleDataError as exc:
        raise ProgrammeRefused("The status changed meanwhile; reload the page.") from exc
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
