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
    MINUTES = "minutes"
    ACTION_POINTS = "action_points"
    PROPOSALS = "proposals"
    SILENCE = "silence"
    REPORTS = "reports"
    RECORDS = "records"
    ACCOUNT = "account"

    @property
    def label(self) -> str:
        return {
            "agenda": "Agendas circulated and adopted",
            "minutes": "Minutes adopted",
            "action_points": "Action points for your partner",
            "proposals": "Agenda item proposals",
            "silence": "Silence procedures",
            "reports": "Initiatives: progress reports and comments",
            "records": "Records filed and released",
            "account": "Your account (password links, second factor, new devices)",
        }[self.value]


class Delivery(enum.StrEnum):
    """How a person wants the mails of a category."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"

    @property
    def label(self) -> str:
        return {"immediate": "At once", "digest": "In a daily digest", "off": "Not by mail"}[self.value]


#: categories that cannot be switched off or delayed: a silence procedure decides in a partner's name
ALWAYS_IMMEDIATE = frozenset({Category.SILENCE, Category.ACCOUNT})
#: what a person who chose nothing gets
DEFAULT_DELIVERY = {
    category: Delivery.IMMEDIATE
    if category in (Category.SILENCE, Category.ACTION_POINTS, Category.ACCOUNT)
    else Delivery.DIGEST
    for category in Category
}
DEFAULT_DIGEST_HOUR = 7


class NotificationPreference(db.Model):
    """A person's choices: a delivery per category that may be switched, and the digest's hour."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    #: local hour (0-23, in the time zone of the person's partner) at which the daily digest leaves
    digest_hour: Mapped[int] = mapped_column(default=DEFAULT_DIGEST_HOUR)
    #: JSON {category: delivery} of the categories the person changed from the default
    choices: Mapped[str] = mapped_column(sa.Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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
    #: held for the person's daily digest: not sent before next_attempt_at, then in one mail with the
    #: person's other digest rows due (delivery.mails)
    for_digest: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class MeetingFollow(db.Model):
    """A person who asked to be told of the records filed for a meeting."""

    __tablename__ = "meeting_follows"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationOnce(db.Model):
    """A scheduled announcement already made (a reminder, a release): the worker makes each once.

    Its key names the event ("silence-48h:12", "action-point-overdue:40"); the row is written in the
    transaction of the announcement's outbox rows, and the unique key refuses a second worker's copy.
    """

    __tablename__ = "notification_once"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
