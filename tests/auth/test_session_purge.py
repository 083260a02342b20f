"""Ended sessions do not pile up: the worker's purge deletes their rows after SESSION_RETENTION_DAYS,
and never touches a session still open."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from secretariat.auth import sessions
from secretariat.auth.models import UserSession
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.factories import make_user


def test_ended_sessions_are_purged_after_the_retention(app, client):
    user = make_user()
    client.login(user.email)  # a real, open session: kept
    now = utcnow()
    days = timedelta(days=app.config["SESSION_RETENTION_DAYS"])
    rows = {
        "revoked long ago": dict(revoked_at=now - days - timedelta(hours=1), last_seen_at=now - days),
        "revoked yesterday": dict(revoked_at=now - timedelta(days=1), last_seen_at=now - timedelta(days=1)),
        "abandoned long ago": dict(last_seen_at=now - days - timedelta(hours=1)),
    }
    for n, (name, values) in enumerate(rows.items()):
        db.session.add(
            UserSession(token_hash=f"{n:064x}", user_id=user.id, user_agent=name, created_at=now - days * 2, **values)
        )
    db.session.commit()
    assert sessions.purge_ended(now) == 2
    db.session.commit()
    kept = sorted(db.session.scalars(sa.select(UserSession.user_agent)))
    assert len(kept) == 2 and "revoked yesterday" in kept
    assert client.get("/").status_code == 200  # still signed in
