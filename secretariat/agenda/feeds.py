"""Personal calendar feeds: a secret URL per user, revocable, listing only meetings they may see."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from secretariat import audit
from secretariat.agenda.models import CalendarFeed
from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.timeutil import utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
    )


def revoke(user: User, *, actor) -> bool:
    count = db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    if count:
        audit.record(actor, "calendar.feed_revoke", user)
    return bool(count)


def create(user: User, *, actor) -> str:
    """A new secret token (any earlier one stops working); shown once, stored hashed."""
    revoke(user, actor=actor)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    db.session.flush()
    audit.record(actor, "calendar.feed_create", user)
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning this token, or None (revoked, unknown, or the user deactivated)."""
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None))
    )
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.is_active else None
