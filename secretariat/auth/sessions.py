"""Server-side sessions: the cookie carries a random id, the database decides whether it is valid.

This is what lets logout, a password change, deactivation, a role change or an admin
reset end a session everywhere: a copied old cookie points to a revoked row.

The one write a read makes is here (write_on_read): a GET changes nothing else
(tests/security/test_safe_methods.py), but the session it is made in must keep its own
bookkeeping, as one UPDATE of that session's row, committed at once:
- last_seen_at, moved on at most once per TOUCH_INTERVAL: the idle timeout counts from it;
- the revocation of a session found idle, too old or of a deactivated user, so that it stays
  ended if the timeouts are raised or the user is reactivated.
Committed before the page is read, so a page that fails does not undo it. (The two-factor setup
page keeps its pending secret in the same row: mfa.pending_secret.)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy.orm import joinedload

from secretariat.auth.models import User, UserSession
from secretariat.extensions import db
from secretariat.timeutil import as_utc, utcnow

SESSION_KEY = "sid"
#: how often last_seen_at is written; the idle timeout is precise to this step
TOUCH_INTERVAL = timedelta(seconds=60)


#: built once: constructing the statement anew cost a tenth of a small page's time
_SESSION_WITH_USER = (
    sa.select(UserSession)
    .where(UserSession.token_hash == sa.bindparam("token_hash"))
    .options(joinedload(UserSession.user))
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(user: User, *, mfa_done: bool) -> UserSession:
    """Sign the user in with a brand-new session (the old cookie content is discarded: no fixation).

    ``mfa_done`` is False while a second factor is still to be checked or set up.
    """
    session.clear()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:255],
        mfa_verified_at=utcnow() if mfa_done else None,
    )
    db.session.add(row)
    db.session.flush()
    session[SESSION_KEY] = token
    login_user(user)
    g.user_session = row
    return row


def last_activity(user: User) -> datetime | None:
    """When ``user`` was last seen in any of their sessions (to TOUCH_INTERVAL), None if never signed in."""
    query = sa.select(sa.func.max(UserSession.last_seen_at)).where(UserSession.user_id == user.id)
    return as_utc(db.session.scalar(query))


def current_session() -> UserSession | None:
    return g.get("user_session")


def mark_mfa_verified() -> None:
    row = current_session()
    if row is not None:
        row.mfa_verified_at = utcnow()


def end_current_session(reason: str) -> None:
    row = current_session()
    if row is not None:
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            row.revoked_reason = reason
        row.pending_totp_secret = row.pending_totp_started_at = None  # an enrolment left half-way
    logout_user()
    session.clear()


def revoke_user_sessions(user: User, reason: str, *, keep: UserSession | None = None) -> int:
    """End every open session of ``user`` (except ``keep``); returns how many were ended."""
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    # An enrolment left half-way in an ended session is forgotten with it.
    ended = query.values(
        revoked_at=utcnow(), revoked_reason=reason, pending_totp_secret=None, pending_totp_started_at=None
    )
    result = db.session.execute(ended, execution_options={"synchronize_session": False})
    return result.rowcount or 0


def load_user_from_session(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only if the session row is open, fresh and theirs."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    # The user (and their partner) come with the session row: one query per request, not two.
    row = db.session.scalar(_SESSION_WITH_USER, {"token_hash": _hash(token)})
    if row is None or str(row.user_id) != str(user_id) or row.revoked_at is not None:
        session.clear()
        return None
    now = utcnow()
    cfg = current_app.config
    expired = None
    if now - as_utc(row.last_seen_at) > cfg["SESSION_IDLE_TIMEOUT"]:
        expired = "idle-timeout"
    elif now - as_utc(row.created_at) > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        expired = "absolute-timeout"
    user = row.user
    if expired is None and not user.is_active:
        expired = "deactivated"
    if expired:
        write_on_read(
            row, revoked_at=now, revoked_reason=expired, pending_totp_secret=None, pending_totp_started_at=None
        )
        session.clear()
        g.session_expired = expired
        return None
    if now - as_utc(row.last_seen_at) > TOUCH_INTERVAL:
        write_on_read(row, last_seen_at=now)
    g.user_session = row
    return user


def write_on_read(row: UserSession, **values) -> None:
    """The session's bookkeeping during any request, GETs included: one UPDATE of its row, committed."""
    db.session.execute(sa.update(UserSession).where(UserSession.id == row.id).values(**values))
    db.session.commit()


def purge_ended(now=None) -> int:
    """Delete the rows of sessions ended more than SESSION_RETENTION_DAYS ago (the worker's purge).

    Ended: revoked (sign-out, password change, time-outs found at the next request) or never seen
    again for longer than the idle time-out. The audit trail keeps the sign-ins themselves.
    """
    now = now or utcnow()
    cfg = current_app.config
    retention = timedelta(days=cfg["SESSION_RETENTION_DAYS"])
    unseen_since = now - max(retention, cfg["SESSION_IDLE_TIMEOUT"])
    ended = sa.delete(UserSession).where(
        sa.or_(UserSession.revoked_at < now - retention, UserSession.last_seen_at < unseen_since)
    )
    return db.session.execute(ended, execution_options={"synchronize_session": False}).rowcount or 0
