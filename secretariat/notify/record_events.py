"""Records: one filed for a meeting the reader follows, and an embargo released.

A record is announced only to people who may open it now (archive.access.can_see) and who may see
its meeting: a record still under embargo is not announced when filed, but when its embargo ends,
to the partners' readers who may then open it (the worker's job, once per release).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import can_see_meeting
from secretariat.archive import access
from secretariat.archive.models import Record
from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.agenda_events import PARTNER_READERS
from secretariat.notify.models import Category, MeetingFollow
from secretariat.timeutil import utcnow

#: an embargo that ended longer ago than this is not announced any more (nor when the feature arrives)
RELEASE_WINDOW = timedelta(days=2)


# --- following a meeting -------------------------------------------------------------------


def follows(user: User, meeting: Meeting) -> bool:
    return db.session.get(MeetingFollow, (user.id, meeting.id)) is not None


def follow(user: User, meeting: Meeting, on: bool) -> None:
    """Follow (``on``) or stop following a meeting the user may see; flushed, not committed."""
    row = db.session.get(MeetingFollow, (user.id, meeting.id))
    if on and row is None:
        db.session.add(MeetingFollow(user_id=user.id, meeting_id=meeting.id))
    elif not on and row is not None:
        db.session.delete(row)
    db.session.flush()


def followers(meeting_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(MeetingFollow, MeetingFollow.user_id == User.id)
            .where(MeetingFollow.meeting_id == meeting_id, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


# --- announcements -------------------------------------------------------------------------


def _may_open(user: User, record: Record, now: datetime | None = None) -> bool:
    if record.meeting is not None and not can_see_meeting(user, record.meeting):
        return False
    return access.can_see(user, record, now)


def _queue(readers: list[User], record: Record, *, kind: str, subject: str, intro: str) -> None:
    outbox.queue(
        readers,
        category=Category.RECORDS,
        kind=kind,
        subject=subject,
        link_path=outbox.path("archive.record", record_id=record.id),
        details={"intro": intro, "title": record.title, "link_label": "Open the record"},
    )


def filed(record: Record) -> None:
    """The followers of the record's meeting who may open it now learn that it was filed. A record the
    application filed itself (an agenda version, minutes, a report: source_ref) was announced by the
    event that made it."""
    if record.meeting_id is None or record.source_ref is not None:
        return
    meeting = db.session.get(Meeting, record.meeting_id)
    readers = [user for user in followers(meeting.id) if _may_open(user, record)]
    _queue(
        readers,
        record,
        kind="record_filed",
        subject=f"Filed for {meeting.title}: {record.title}",
        intro=f"A record was filed for {meeting.title}, a meeting you follow.",
    )


def announce_releases(now: datetime | None = None) -> int:
    """Announce each embargo that has ended (once per end), to the partners' readers who may now open
    the record. Returns how many records were announced; the caller commits."""
    now = now or utcnow()
    candidates = sa.select(Record).where(
        Record.withdrawn_at.is_(None),
        Record.confidentiality.in_(access.PARTNER_LEVELS),
        sa.or_(Record.embargo_until.between(now - RELEASE_WINDOW, now), Record.embargo_meeting_id.is_not(None)),
    )
    made = 0
    for record in db.session.scalars(candidates.order_by(Record.id)):
        end = access.embargo_end(record)
        if end is None or not (now - RELEASE_WINDOW <= end <= now):
            continue
        if not outbox.once(f"embargo-released:{record.id}:{end.isoformat()}"):
            continue
        readers = [user for user in outbox.active_users(PARTNER_READERS) if _may_open(user, record, now)]
        _queue(
            readers,
            record,
            kind="embargo_released",
            subject=f"Released: {record.title}",
            intro="A record under embargo has been released to partners.",
        )
        made += 1
    return made
