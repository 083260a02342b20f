"""Minutes adopted, action points assigned to a partner, and the reminders of their due dates.

The minutes and their action points reach partners once adopted (agenda.minutes.can_read_minutes),
so the action points are announced with the adoption, to the officials of each responsible partner.
A coordinators' meeting tells coordinators only: its action points reach no official.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from secretariat import events
from secretariat.agenda.models import ActionPoint, Meeting, MeetingKind, Minutes, MinutesStatus
from secretariat.agenda.visibility import can_see_meeting
from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.agenda_events import COORDINATOR_READERS, PARTNER_READERS
from secretariat.notify.models import Category
from secretariat.timeutil import utcnow

#: an action point due in this many days gets its reminder
DUE_SOON = timedelta(days=7)
#: an action point overdue for longer than this is not announced any more (nor when the feature arrives)
OVERDUE_WINDOW = timedelta(days=30)


def _meeting_readers(meeting: Meeting):
    coordinators_only = meeting.kind == MeetingKind.COORDINATORS.value
    readers = outbox.active_users(COORDINATOR_READERS if coordinators_only else PARTNER_READERS)
    return [user for user in readers if can_see_meeting(user, meeting)]


def _officials_of(partner_id: int, meeting: Meeting):
    return [user for user in outbox.active_users(outbox.OFFICIALS, [partner_id]) if can_see_meeting(user, meeting)]


def on_minutes_adopted(meeting: Meeting, *, minutes: Minutes, **_) -> None:
    """The adoption to everyone who may read the meeting; each partner's action points to its officials."""
    outbox.queue(
        _meeting_readers(meeting),
        category=Category.MINUTES,
        kind="minutes_adopted",
        subject=f"Minutes adopted: {meeting.title}",
        link_path=outbox.path("agenda.meeting", meeting_id=meeting.id, _anchor="minutes"),
        details={
            "intro": "The minutes of this meeting have been adopted.",
            "title": meeting.title,
            "link_label": "Read the minutes",
        },
    )
    by_partner: dict[int, list[ActionPoint]] = defaultdict(list)
    for point in db.session.scalars(sa.select(ActionPoint).where(ActionPoint.meeting_id == meeting.id)):
        by_partner[point.responsible_partner_id].append(point)
    for partner_id, points in by_partner.items():
        partner = points[0].responsible_partner
        dates = sorted(p.due_date for p in points if p.due_date)
        outbox.queue(
            _officials_of(partner_id, meeting),
            category=Category.ACTION_POINTS,
            kind="action_points_assigned",
            subject=f"{len(points)} action point(s) for {partner.name}: {meeting.title}",
            link_path=outbox.path("agenda.meeting", meeting_id=meeting.id, _anchor="actions"),
            details={
                "intro": f"The adopted minutes give {partner.name} {len(points)} action point(s).",
                "title": meeting.title,
                "lines": [f"The first is due on {dates[0].isoformat()}."] if dates else [],
                "link_label": "Read the action points",
            },
        )


def _remind(point: ActionPoint, *, overdue: bool) -> None:
    meeting = point.meeting
    when = "was due" if overdue else "is due"
    outbox.queue(
        _officials_of(point.responsible_partner_id, meeting),
        category=Category.ACTION_POINTS,
        kind="action_point_overdue" if overdue else "action_point_due",
        subject=(
            f"Action point overdue since {point.due_date.isoformat()}: {meeting.title}"
            if overdue
            else f"Action point due on {point.due_date.isoformat()}: {meeting.title}"
        ),
        link_path=outbox.path("agenda.meeting", meeting_id=meeting.id, _anchor="actions"),
        details={
            "intro": f"An action point of {point.responsible_partner.name} {when} on {point.due_date.isoformat()} "
            "and is not marked done.",
            "title": meeting.title,
            "link_label": "Read the action points",
        },
    )


def remind_due(today: date | None = None) -> int:
    """Queue each reminder once: an open action point due within DUE_SOON, and one overdue. Returns
    how many reminders were made; the caller commits."""
    today = today or utcnow().date()
    open_points = (
        sa.select(ActionPoint)
        .join(Minutes, Minutes.meeting_id == ActionPoint.meeting_id)
        .where(
            Minutes.status == MinutesStatus.ADOPTED.value,
            ActionPoint.done_at.is_(None),
            ActionPoint.due_date.is_not(None),
            ActionPoint.due_date >= today - OVERDUE_WINDOW,
            ActionPoint.due_date <= today + DUE_SOON,
        )
        .order_by(ActionPoint.id)
    )
    made = 0
    for point in db.session.scalars(open_points):
        overdue = point.due_date < today
        if overdue and outbox.once(f"action-point-overdue:{point.id}"):
            _remind(point, overdue=True)
            made += 1
        elif not overdue and outbox.once(f"action-point-due:{point.id}"):
            _remind(point, overdue=False)
            made += 1
    return made


def connect() -> None:
    events.minutes_adopted.connect(on_minutes_adopted)
