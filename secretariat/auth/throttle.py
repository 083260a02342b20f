"""Sign-in throttling from recorded failures, shared by every worker through the database.

Rules, for the password step and the second-factor step alike:
- one account from one address: free attempts, then delays that double after each failure
  (LOGIN_BACKOFF_BASE, capped at LOGIN_BACKOFF_CAP), counted over LOGIN_FAILURE_WINDOW;
- one address over all accounts (password spraying): a ceiling per LOGIN_ADDRESS_WINDOW;
- one account from all addresses (distributed guessing): a ceiling high enough that reaching
  it takes a determined attacker (NIST SP 800-63B allows up to 100), and even then
- a known device (devices.py) is judged by its own failures only, so nobody else's failures,
  from any address, can keep the owner out of the browsers they have signed in from before.
Nothing is permanent: delays lift as failures leave their window. Unknown accounts are counted
like real ones, so the answer does not tell whether an account exists.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from secretariat.auth import devices
from secretariat.auth.models import LoginAttempt, TrustedDevice
from secretariat.extensions import db
from secretariat.timeutil import as_utc, utcnow

#: the step an attempt is for (LoginAttempt.kind): the password, or the second factor
CREDENTIALS = "password"
SECOND_FACTOR = "mfa"


@dataclass(frozen=True)
class Verdict:
    """The decision on one attempt: ``rule`` names what refused it (None: allowed)."""

    rule: str | None = None
    #: seconds until the rule lets an attempt through again (approximate for the ceilings)
    retry_after: int = 0
    #: the rule that would have refused this attempt had it not come from a known device
    passed_by_device: str | None = None

    @property
    def refused(self) -> bool:
        return self.rule is not None


def address_key(ip_address: str) -> str:
    """The address failures are counted under: an IPv6 host counts as its /64, which one
    subscriber holds whole (else each guess could come from a new address of the same network)."""
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def wait_in_words(seconds: int) -> str:
    """A retry delay as people say it."""
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def _window_start(window: timedelta) -> datetime:
    return utcnow() - window


def _failures(window: timedelta, *conditions) -> tuple[int, datetime | None, datetime | None]:
    """How many failures match in the window, the oldest and the latest."""
    count, oldest, latest = db.session.execute(
        sa.select(
            sa.func.count(LoginAttempt.id), sa.func.min(LoginAttempt.created_at), sa.func.max(LoginAttempt.created_at)
        ).where(LoginAttempt.created_at >= _window_start(window), *conditions)
    ).one()
    return count or 0, as_utc(oldest) if oldest else None, as_utc(latest) if latest else None


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` failures: none at first, then doubling up to the cap."""
    cfg = current_app.config
    extra = failures - cfg["LOGIN_BACKOFF_AFTER"]
    if extra < 0:
        return timedelta(0)
    return min(cfg["LOGIN_BACKOFF_BASE"] * 2 ** min(extra, 30), cfg["LOGIN_BACKOFF_CAP"])


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - utcnow()).total_seconds()))


def _delay_verdict(rule: str, *conditions) -> Verdict:
    count, _oldest, latest = _failures(current_app.config["LOGIN_FAILURE_WINDOW"], *conditions)
    if latest is None:
        return Verdict()
    free_at = latest + backoff(count)
    if count >= current_app.config["LOGIN_BACKOFF_AFTER"] and free_at > utcnow():
        return Verdict(rule, _seconds_until(free_at))
    return Verdict()


def _ceiling_verdict(rule: str, window: timedelta, limit: int, *conditions) -> Verdict:
    count, oldest, _latest = _failures(window, *conditions)
    if count >= limit and oldest is not None:
        return Verdict(rule, _seconds_until(oldest + window))
    return Verdict()


def _unknown_device_verdict(kind: str, email: str, ip_address: str) -> Verdict:
    cfg = current_app.config
    of_kind = LoginAttempt.kind == kind
    verdict = _delay_verdict(
        "account-address", of_kind, LoginAttempt.email == email, LoginAttempt.ip_address == ip_address
    )
    if not verdict.refused and kind == CREDENTIALS:
        verdict = _ceiling_verdict(
            "address",
            cfg["LOGIN_ADDRESS_WINDOW"],
            cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            of_kind,
            LoginAttempt.ip_address == ip_address,
        )
    if not verdict.refused:
        limit = cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT" if kind == CREDENTIALS else "MFA_MAX_FAILURES_PER_ACCOUNT"]
        verdict = _ceiling_verdict("account", cfg["LOGIN_FAILURE_WINDOW"], limit, of_kind, LoginAttempt.email == email)
    return verdict


def check(kind: str, email: str, ip_address: str, device: TrustedDevice | None = None) -> Verdict:
    """May this attempt be tried now? The caller audits the verdict (refusals and device passes)."""
    ip_address = address_key(ip_address)
    if device is not None:
        own = _delay_verdict("device", LoginAttempt.device_id == device.id)
        if own.refused:
            return own
        others = _unknown_device_verdict(kind, email, ip_address)
        return Verdict(passed_by_device=others.rule)
    return _unknown_device_verdict(kind, email, ip_address)


def record_failure(kind: str, email: str, ip_address: str, device: TrustedDevice | None = None) -> None:
    ip_address = address_key(ip_address)
    db.session.add(
        LoginAttempt(kind=kind, email=email[:254], ip_address=ip_address, device_id=device.id if device else None)
    )
    db.session.flush()


def clear_failures(kind: str, email: str, ip_address: str, device: TrustedDevice | None = None) -> None:
    """A success forgives this address's (and this device's) failures for the account; others' stay."""
    ip_address = address_key(ip_address)
    mine = sa.and_(LoginAttempt.email == email, LoginAttempt.ip_address == ip_address)
    if device is not None:
        mine = sa.or_(mine, LoginAttempt.device_id == device.id)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.kind == kind, mine))


def purge_old() -> int:
    """Delete failures older than the longest window, and expired devices (the maintenance command)."""
    cfg = current_app.config
    since = _window_start(max(cfg["LOGIN_FAILURE_WINDOW"], cfg["LOGIN_ADDRESS_WINDOW"]))
    devices.purge_expired()
    return db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < since)).rowcount or 0
