"""“Changes since the last SOM”: what moved in the work programme between two Senior Officials' Meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.agenda.visibility import HIDDEN_MEETING, can_see_meeting
from secretariat.extensions import db
from secretariat.programme.models import Initiative, Milestone, ProgressReport, StatusChange


class StatusLine(NamedTuple):
    """A status change as the summary prints it."""

    effective_date: date
    initiative_id: int
    from_status: str | None
    to_status: str
    #: the meeting where it was decided: None for none, HIDDEN_MEETING for one the reader may not see
    meeting_title: str | None
    note: str


def _status_line(change: StatusChange, user) -> StatusLine:
    meeting = change.meeting
    title = None if meeting is None else meeting.title if can_see_meeting(user, meeting) else HIDDEN_MEETING
    return StatusLine(
        change.effective_date, change.initiative_id, change.from_status, change.to_status, title, change.note
    )


@dataclass
class SomSummary:
    meeting: Meeting
    previous: Meeting | None
    since: date | None
    until: date
    new_initiatives: list[Initiative]
    status_changes: list[StatusLine]
    reports: list[ProgressReport]
    overdue: list[Milestone]


def soms() -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.kind == MeetingKind.SOM.value).order_by(Meeting.start_date.desc())
        )
    )


def previous_som(meeting: Meeting) -> Meeting | None:
    return db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.kind == MeetingKind.SOM.value, Meeting.start_date < meeting.start_date)
        .order_by(Meeting.start_date.desc())
        .limit(1)
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def build(meeting: Meeting, user) -> SomSummary:
    """Everything from the day the previous SOM opened up to (not including) the day this one opens,
    as ``user`` may read it (the meetings where statuses changed: can_see_meeting)."""
    previous = previous_som(meeting)
    since = previous.start_date if previous else None
    until = meeting.start_date

    def window(column):
        conditions = [column < _midnight(until)]
        if since is not None:
            conditions.append(column >= _midnight(since))
        return conditions

    def day_window(column):
        conditions = [column < until]
        if since is not None:
            conditions.append(column >= since)
        return conditions

    return SomSummary(
        meeting=meeting,
        previous=previous,
        since=since,
        until=until,
        new_initiatives=list(
            db.session.scalars(sa.select(Initiative).where(*window(Initiative.created_at)).order_by(Initiative.code))
        ),
        status_changes=[
            _status_line(change, user)
            for change in db.session.scalars(
                sa.select(StatusChange)
                .where(*day_window(StatusChange.effective_date), StatusChange.from_status.is_not(None))
                .order_by(StatusChange.effective_date, StatusChange.id)
                .options(selectinload(StatusChange.meeting))
            )
        ],
        reports=list(
            db.session.scalars(
                sa.select(ProgressReport)
                .where(*window(ProgressReport.submitted_at))
                .order_by(ProgressReport.submitted_at)
            )
        ),
        overdue=list(
            db.session.scalars(
                sa.select(Milestone)
                .where(Milestone.due_date < until, Milestone.done_at.is_(None))
                .order_by(Milestone.due_date)
            )
        ),
    )
