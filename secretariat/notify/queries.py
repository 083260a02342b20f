"""What the administrator's mail queue page reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from secretariat.extensions import db
from secretariat.notify.models import Notification, NotificationState
from secretariat.timeutil import utcnow

#: states of mails not (yet) delivered
WAITING = (NotificationState.QUEUED.value, NotificationState.SENDING.value)


@dataclass(frozen=True)
class QueueState:
    waiting: int
    #: mails waiting for their reader's digest hour, never tried yet: not a delivery problem
    held_for_digest: int
    failed: int
    oldest_waiting: datetime | None
    sent: int


def queue_state() -> QueueState:
    """Counts by state and the creation time of the oldest mail still waiting, in one statement."""
    held = sa.and_(
        Notification.for_digest.is_(True), Notification.attempts == 0, Notification.next_attempt_at > utcnow()
    )
    waiting = sa.and_(Notification.state.in_(WAITING), sa.not_(held))
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(waiting),
            sa.func.count().filter(Notification.state.in_(WAITING), held),
            sa.func.count().filter(Notification.state == NotificationState.FAILED.value),
            sa.func.min(Notification.created_at).filter(waiting),
            sa.func.count().filter(Notification.state == NotificationState.SENT.value),
        )
    ).one()
    return QueueState(waiting=row[0], held_for_digest=row[1], failed=row[2], oldest_waiting=row[3], sent=row[4])


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
