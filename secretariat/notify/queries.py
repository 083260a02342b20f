"""What the administrator's mail queue page reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from secretariat.extensions import db
from secretariat.notify.models import Notification, NotificationState

#: states of mails not (yet) delivered
WAITING = (NotificationState.QUEUED.value, NotificationState.SENDING.value)


@dataclass(frozen=True)
class QueueState:
    waiting: int
    failed: int
    oldest_waiting: datetime | None
    sent: int


def queue_state() -> QueueState:
    """Counts by state and the creation time of the oldest mail still waiting, in one statement."""
    waiting = Notification.state.in_(WAITING)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(waiting),
            sa.func.count().filter(Notification.state == NotificationState.FAILED.value),
            sa.func.min(Notification.created_at).filter(waiting),
            sa.func.count().filter(Notification.state == NotificationState.SENT.value),
        )
    ).one()
    return QueueState(*row)


def undelivered_with_errors(limit: int = 20) -> list[Notification]:
    """The mails not delivered that failed at least once, the most recent error first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .options(joinedload(Notification.user))
            .where(Notification.state != NotificationState.SENT.value, Notification.last_error.is_not(None))
            .order_by(Notification.next_attempt_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )
