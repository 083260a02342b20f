"""What the home page changes: the moment up to which a person's news counts as read."""

from __future__ import annotations

from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.timeutil import utcnow


def mark_news_read(user: User) -> None:
    """Every notification of ``user`` made until now is shown as read; flushed, never committed.

    Not audited: it changes what the person's own dashboard marks, nothing anyone else sees."""
    user.news_read_at = utcnow()
    db.session.flush()
