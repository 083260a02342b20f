"""Meetings: lists, creation and edits (with a conflict check), the life cycle and frozen versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlalchemy.orm.exc import StaleDataError

from secretariat import audit, events
from secretariat.agenda import tree
from secretariat.agenda.models import (
    AgendaRevision,
    AgendaVersion,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from secretariat.agenda.visibility import visible_meetings
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow


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
            year=_plausible_year(args.get("year", type=int)),
            host=(args.get("host") or "").strip().upper()[:8],
        )


def _plausible_year(year: int | None) -> int | None:
    """A year a meeting could have (anything else is ignored, not an error)."""
    return year if year is not None and 1900 <= year <= 2200 else None


def meeting_query(filters: MeetingFilter, today: date, user, select: sa.Select | None = None) -> sa.Select:
    """The meetings ``user`` may see that match ``filters``, in list order (``select``: the columns wanted)."""
    query = visible_meetings(sa.select(Meeting) if select is None else select, user)
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


# --- creating and editing meetings --------------------------------------------------------


@dataclass
class MeetingConflict(Exception):
    """The meeting was saved by someone else after this person opened the form."""

    meeting: Meeting
    submitted: dict

    @property
    def current(self) -> dict:
        """The meeting as saved now (read when shown, after the request's rollback)."""
        return meeting_state(self.meeting)


MEETING_FIELDS = (
    "title",
    "kind",
    "sector",
    "number",
    "code",
    "city",
    "host",
    "time_zone",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "format",
    "chair",
    "theme",
    "description_source",
)


def meeting_state(meeting: Meeting) -> dict[str, Any]:
    state = {name: getattr(meeting, name) for name in MEETING_FIELDS if name != "host"}
    state["host"] = meeting.host.code if meeting.host else None
    for key in ("start_date", "end_date", "start_time", "end_time"):
        state[key] = state[key].isoformat() if state[key] else None
    return state


def _apply_meeting(meeting: Meeting, data: dict[str, Any]) -> None:
    host = db.session.scalar(sa.select(Partner).where(Partner.code == data.get("host"))) if data.get("host") else None
    meeting.title = data["title"].strip()
    meeting.kind = MeetingKind(data["kind"]).value
    meeting.sector = (data.get("sector") or "").strip() or None
    meeting.number = data.get("number")
    meeting.code = (data.get("code") or "").strip() or None
    meeting.city = (data.get("city") or "").strip() or None
    meeting.host = host
    meeting.time_zone = data.get("time_zone") or (host.time_zone if host else "UTC")
    meeting.start_date = data["start_date"]
    meeting.end_date = data["end_date"]
    meeting.start_time = data.get("start_time")
    meeting.end_time = data.get("end_time")
    meeting.format = data["format"]
    meeting.chair = (data.get("chair") or "").strip() or None
    meeting.theme = (data.get("theme") or "").strip() or None
    meeting.description_source = data.get("description_source") or ""
    meeting.description_html = str(rich_text(meeting.description_source))


def create_meeting(data: dict[str, Any], *, actor) -> Meeting:
    meeting = Meeting(status=MeetingStatus.PLANNED.value)
    _apply_meeting(meeting, data)
    db.session.add(meeting)
    db.session.flush()
    audit.record(actor, "meeting.create", meeting, **meeting_state(meeting))
    return meeting


def update_meeting(meeting: Meeting, data: dict[str, Any], *, expected_version: int, actor) -> dict:
    """Save the meeting's fields unless someone saved them since the form was opened."""
    if meeting.version != expected_version:
        raise MeetingConflict(meeting, data)
    before = meeting_state(meeting)
    _apply_meeting(meeting, data)
    meeting.version = expected_version + 1
    try:
        db.session.flush()  # UPDATE … WHERE version = expected: one of two concurrent saves gets the row
    except StaleDataError as stale:
        raise MeetingConflict(meeting, data) from stale
    changes = audit.diff(before, meeting_state(meeting))
    audit.record(actor, "meeting.update", meeting, diff=changes)
    if changes:
        events.meeting_changed.send(meeting, changes=changes, actor=actor)
    return changes


# --- life cycle and frozen versions -------------------------------------------------------


class TransitionRefused(Exception):
    """A status change that is not possible now; the message says why."""


#: the transitions coordinators may make, and the label of the button that makes each
TRANSITIONS: dict[tuple[MeetingStatus, MeetingStatus], str] = {
    (MeetingStatus.PLANNED, MeetingStatus.DRAFTING): "Start drafting the agenda",
    (MeetingStatus.DRAFTING, MeetingStatus.CIRCULATED): "Circulate the agenda to partners",
    (MeetingStatus.CIRCULATED, MeetingStatus.CIRCULATED): "Circulate the revised agenda",
    (MeetingStatus.CIRCULATED, MeetingStatus.ADOPTED): "Adopt the agenda",
    (MeetingStatus.ADOPTED, MeetingStatus.HELD): "Mark the meeting as held",
    (MeetingStatus.HELD, MeetingStatus.CLOSED): "Close the meeting",
}


def available_transitions(meeting: Meeting) -> list[tuple[MeetingStatus, str]]:
    current = MeetingStatus(meeting.status)
    return [(target, label) for (source, target), label in TRANSITIONS.items() if source == current]


def change_status(meeting: Meeting, target: str, *, actor, note: str = "") -> AgendaVersion | None:
    """Move the meeting along its life cycle; circulating and adopting freeze a numbered version."""
    # The same lock as agenda edits: no item can change between the check and the freeze.
    db.session.execute(
        sa.update(Meeting).where(Meeting.id == meeting.id).values(agenda_revision=Meeting.agenda_revision)
    )
    db.session.expire(meeting)
    source = MeetingStatus(meeting.status)
    try:
        goal = MeetingStatus(target)
    except ValueError as exc:
        raise TransitionRefused("Unknown status.") from exc
    if (source, goal) not in TRANSITIONS:
        raise TransitionRefused(f"A meeting in “{source.label}” cannot go to “{goal.label}”.")
    version = None
    if goal in (MeetingStatus.CIRCULATED, MeetingStatus.ADOPTED):
        version = _freeze(meeting, goal, actor=actor, note=note)
    meeting.status = goal.value
    if version is not None:
        # Its calendar event changes (status, description): clients update it only for a higher SEQUENCE.
        meeting.version += 1
    if goal is MeetingStatus.CLOSED:
        meeting.closed_at = utcnow()
    db.session.flush()
    events.meeting_status_changed.send(meeting, status=goal.value, version=version, actor=actor)
    audit.record(
        actor,
        "meeting.status",
        meeting,
        diff={"status": [source.value, goal.value]},
        version=version.number if version else None,
        # the frozen agenda's fingerprint in the chain: `archive verify` holds the version row to it
        snapshot_sha256=version.snapshot_sha256 if version else None,
        note=note,
    )
    return version


def _freeze(meeting: Meeting, kind: MeetingStatus, *, actor, note: str) -> AgendaVersion:
    data = tree.snapshot(meeting, include_notes=False)
    if not data["items"]:
        raise TransitionRefused("The agenda has no items yet.")
    latest = latest_version(meeting)
    if latest is not None and json.loads(latest.snapshot)["items"] == data["items"] and kind.value == latest.kind:
        raise TransitionRefused(f"The agenda has not changed since v{latest.number}.")
    text = tree.to_json(data)
    version = AgendaVersion(
        meeting_id=meeting.id,
        number=(latest.number + 1) if latest else 1,
        kind=kind.value,
        frozen_at=utcnow(),
        frozen_by_id=getattr(actor, "id", None),
        frozen_by_label=getattr(actor, "email", "system"),
        note=note[:500],
        snapshot=text,
        snapshot_sha256=tree.sha256(text),
    )
    db.session.add(version)
    db.session.flush()
    return version


def versions(meeting: Meeting) -> list[AgendaVersion]:
    """The meeting's versions for a list: without their snapshots (the whole agenda each, tens of KB)."""
    return list(
        db.session.scalars(
            sa.select(AgendaVersion)
            .where(AgendaVersion.meeting_id == meeting.id)
            .order_by(AgendaVersion.number)
            .options(defer(AgendaVersion.snapshot))
        )
    )


def version_numbers(meeting: Meeting) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AgendaVersion.number).where(AgendaVersion.meeting_id == meeting.id).order_by(AgendaVersion.number)
        )
    )


def versions_numbered(meeting: Meeting, numbers: set[int]) -> dict[int, AgendaVersion]:
    """The meeting's versions with these numbers (those that exist), in one query."""
    if not numbers:
        return {}
    found = db.session.scalars(
        sa.select(AgendaVersion).where(AgendaVersion.meeting_id == meeting.id, AgendaVersion.number.in_(numbers))
    )
    return {v.number: v for v in found}


def latest_version(meeting: Meeting) -> AgendaVersion | None:
    return db.session.scalar(
        sa.select(AgendaVersion)
        .where(AgendaVersion.meeting_id == meeting.id)
        .order_by(AgendaVersion.number.desc())
        .limit(1)
    )


def get_version(meeting: Meeting, number: int) -> AgendaVersion | None:
    return db.session.scalar(
        sa.select(AgendaVersion).where(AgendaVersion.meeting_id == meeting.id, AgendaVersion.number == number)
    )


def revisions(meeting: Meeting) -> list[AgendaRevision]:
    """Every save of the agenda, for the history: without their snapshots (one per save, tens of KB each)."""
    return list(
        db.session.scalars(
            sa.select(AgendaRevision)
            .where(AgendaRevision.meeting_id == meeting.id)
            .order_by(AgendaRevision.number.desc())
            .options(defer(AgendaRevision.snapshot))
        )
    )


def revision_as_of(meeting: Meeting, moment) -> AgendaRevision | None:
    return db.session.scalar(
        sa.select(AgendaRevision)
        .where(AgendaRevision.meeting_id == meeting.id, AgendaRevision.created_at <= moment)
        .order_by(AgendaRevision.number.desc())
        .limit(1)
    )


def version_as_of(meeting: Meeting, moment) -> AgendaVersion | None:
    return db.session.scalar(
        sa.select(AgendaVersion)
        .where(AgendaVersion.meeting_id == meeting.id, AgendaVersion.frozen_at <= moment)
        .order_by(AgendaVersion.number.desc())
        .limit(1)
    )
