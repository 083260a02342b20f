"""Device cookies (OWASP): a browser that once signed in to an account keeps being let in.

After a complete sign-in the browser gets a signed, HttpOnly cookie naming the user and a random
nonce; the server keeps only the nonce's SHA-256. Presented again with that account's email, it
exempts the attempt from the failures of everyone else (throttle.py); failing too often locks
the device itself. The cookie is no credential: the password and the second factor still apply.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer

from secretariat import audit
from secretariat.auth.models import LoginAttempt, TrustedDevice, User
from secretariat.extensions import db
from secretariat.notify import account_events
from secretariat.timeutil import as_utc, utcnow

COOKIE_NAME = "secretariat_device"
#: the cookie is sent only to the sign-in steps (/login and /login/code), nowhere else
COOKIE_PATH = "/login"


def _serializer() -> URLSafeSerializer:
    """Signs with SECRET_KEY, still reads cookies signed with SECRET_KEY_FALLBACKS (the newest key last)."""
    keys = [*reversed(current_app.config["SECRET_KEY_FALLBACKS"]), current_app.secret_key]
    return URLSafeSerializer(keys, salt="secretariat.device-cookie")


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["DEVICE_COOKIE_DAYS"])


def find(cookie: str | None, email: str) -> TrustedDevice | None:
    """The known, unlocked, unexpired device of the account ``email`` this cookie names, or None."""
    if not cookie or len(cookie) > 512:
        return None
    try:
        payload = _serializer().loads(cookie)
        user_id, nonce = int(payload["u"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    device = db.session.scalar(sa.select(TrustedDevice).where(TrustedDevice.nonce_hash == _hash(nonce)))
    if device is None or device.user_id != user_id or device.locked_at is not None:
        return None
    if device.user.email != User.normalize_email(email):
        return None
    if utcnow() - as_utc(device.created_at) > _lifetime():
        return None
    return device


def trust(user: User, device: TrustedDevice | None) -> str:
    """After a complete sign-in: remember this browser, or renew the device it presented.

    Returns the cookie value to set. A known device gets a new nonce each time (as OWASP
    advises), so a copy of an older cookie stops working once the owner signs in again.
    """
    now = utcnow()
    nonce = secrets.token_urlsafe(32)
    if device is not None and device.user_id == user.id:
        device.nonce_hash = _hash(nonce)
        device.last_used_at = now
    else:
        device = TrustedDevice(user_id=user.id, nonce_hash=_hash(nonce), created_at=now, last_used_at=now)
        db.session.add(device)
        db.session.flush()
        audit.record(user, "auth.device_trusted", device, user_id=user.id)
        account_events.new_device(user)
    return _serializer().dumps({"u": user.id, "n": nonce})


def set_cookie(response: Response, value: str) -> None:
    """Hand the browser its device cookie: HttpOnly, SameSite, Secure wherever session cookies are."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=int(_lifetime().total_seconds()),
        path=COOKIE_PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


def lock_if_failing(device: TrustedDevice) -> None:
    """A device that failed DEVICE_MAX_FAILURES times within the window loses its standing."""
    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.device_id == device.id, LoginAttempt.created_at >= since
        )
    )
    if (failures or 0) >= current_app.config["DEVICE_MAX_FAILURES"] and device.locked_at is None:
        device.locked_at = utcnow()
        audit.record(None, "auth.device_locked", device, user_id=device.user_id, failures=failures)


def forget_all(user: User) -> int:
    """The password changed: trust earned with the old one ends (the owner's next sign-in earns it anew)."""
    db.session.execute(
        sa.update(LoginAttempt)
        .where(LoginAttempt.device_id.in_(sa.select(TrustedDevice.id).where(TrustedDevice.user_id == user.id)))
        .values(device_id=None)
    )
    return db.session.execute(sa.delete(TrustedDevice).where(TrustedDevice.user_id == user.id)).rowcount or 0


def purge_expired() -> int:
    """Delete devices older than their lifetime (run from the maintenance command)."""
    cutoff = utcnow() - _lifetime()
    old = sa.select(TrustedDevice.id).where(TrustedDevice.created_at < cutoff)
    db.session.execute(sa.update(LoginAttempt).where(LoginAttempt.device_id.in_(old)).values(device_id=None))
    return db.session.execute(sa.delete(TrustedDevice).where(TrustedDevice.created_at < cutoff)).rowcount or 0
