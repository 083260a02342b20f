"""The notification outbox: one row per mail to one person, written in the transaction of the change."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from secretariat.types import UTCDateTime


class NotificationState(enum.StrEnum):
    QUEUED = "queued"
    #: claimed by a worker that is sending it; a claim left behind by a crash is sent again
    SENDING = "sending"
    SENT = "sent"
    #: given up after MAX_ATTEMPTS (still listed for the administrator)
    FAILED = "failed"


class Category(enum.StrEnum):
    """What a notification is about; preferences are chosen per category."""

    AGENDA = "agenda"
    SILENCE = "silence"
    ACTION_POINTS = "action_points"
    ACCOUNT = "account"


class Notification(db.Model):
    """A mail to one person about one object: titles and a link, never confidential body text."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    #: the event, which names the mail templates: notify/mail/<kind>.txt and .html
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(300))
    #: path of the object on this site (joined to EXTERNAL_BASE_URL in the mail)
    link_path: Mapped[str] = mapped_column(sa.String(300))
    #: JSON of what the templates show (titles, counts, the cover note): fixed when the change was made
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    #: the meeting whose iCalendar event is attached, if any
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    #: made at creation and sent on every attempt, so that a mail sent twice is one mail to its reader
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10), default=NotificationState.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
