"""Sign-in throttling from recorded failures, shared by every worker through the database.

Three windows, all sliding over LOGIN_FAILURE_WINDOW: an account from one address (tight),
one address over all accounts (spraying), one account from all addresses (distributed
guessing, looser). Nothing is permanent: the block lifts as old failures leave the window,
and an attacker at one address cannot lock the real user out from theirs.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from secretariat.auth.models import LoginAttempt
from secretariat.extensions import db
from secretariat.timeutil import utcnow


def _failures(*conditions) -> int:
    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    return (
        db.session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.created_at >= since, *conditions)
        )
        or 0
    )


def is_throttled(email: str, ip_address: str) -> bool:
    """True if another attempt for this account from this address must be refused now."""
    cfg = current_app.config
    return (
        _failures(LoginAttempt.email == email, LoginAttempt.ip_address == ip_address)
        >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
        or _failures(LoginAttempt.ip_address == ip_address) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
        or _failures(LoginAttempt.email == email) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    )


def record_failure(email: str, ip_address: str) -> None:
    db.session.add(LoginAttempt(email=email[:254], ip_address=ip_address))


def clear_failures(email: str, ip_address: str) -> None:
    """A successful sign-in forgives that address's failures for the account."""
    db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.ip_address == ip_address)
    )


def purge_old() -> int:
    """Delete failures older than the window (run from the maintenance command)."""
    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    return db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < since)).rowcount or 0
