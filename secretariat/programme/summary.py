"""“Changes since the last SOM”: what moved in the work programme between two Senior Officials' Meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.extensions import db
from secretariat.programme.models import Initiative, Milestone, ProgressReport, StatusChange


@dataclass
class SomSummary:
    meeting: Meeting
    previous: Meeting | None
    since: date | None
    until: date
    new_initiatives: list[Initiative]
    status_changes: list[StatusChange]
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


def build(meeting: Meeting) -> SomSummary:
    """Everything from the day the previous SOM opened up to (not including) the day this one opens."""
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
        status_changes=list(
            db.session.scalars(
                sa.select(StatusChange)
                .where(*day_window(StatusChange.effective_date), StatusChange.from_status.is_not(None))
                .order_by(StatusChange.effective_date, StatusChange.id)
            )
        ),
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
