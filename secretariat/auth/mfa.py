"""The second factor: TOTP (RFC 6238) with one-time recovery codes.

Required for administrators and coordinators (and for everybody when an administrator says so).
A session is complete only once the code is checked; until then the user can reach nothing but
the code page, enrolment and sign-out. A code works once: the accepted 30-second step is kept.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import time
from datetime import timedelta

import pyotp
import segno
import sqlalchemy as sa

from secretariat import audit
from secretariat.auth import devices, reauth, throttle
from secretariat.auth.models import RecoveryCode, Role, SiteSetting, TrustedDevice, User, UserSession
from secretariat.auth.sessions import revoke_user_sessions
from secretariat.extensions import db
from secretariat.notify import account_events
from secretariat.timeutil import as_utc, utcnow

ISSUER = "ASEM Virtual Secretariat"
RECOVERY_CODES = 10
REQUIRE_ALL_KEY = "mfa_required_for_all"
#: accepted clock drift: one 30-second step either side
DRIFT_STEPS = 1
#: how long a secret shown for enrolment waits for its first code before a new one replaces it
PENDING_SECRET_LIFETIME = timedelta(minutes=20)


class MfaRefused(Exception):
    """A code or a change that is refused; the message says why."""


class CodesThrottled(MfaRefused):
    """Too many wrong codes: none is checked until ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: int):
        super().__init__(
            f"Too many wrong codes. Try again in {throttle.wait_in_words(retry_after)}, "
            "or from a device you have signed in from before."
        )
        self.retry_after = retry_after


def required_for(user: User) -> bool:
    if user.role in (Role.ADMIN.value, Role.COORDINATOR.value):
        return True
    return required_for_all()


def required_for_all() -> bool:
    setting = db.session.get(SiteSetting, REQUIRE_ALL_KEY)
    return setting is not None and setting.value == "1"


def set_required_for_all(value: bool, *, actor) -> None:
    setting = db.session.get(SiteSetting, REQUIRE_ALL_KEY) or SiteSetting(key=REQUIRE_ALL_KEY, value="0")
    before = setting.value
    setting.value = "1" if value else "0"
    db.session.add(setting)
    db.session.flush()
    audit.record(
        actor,
        "settings.update",
        object_type="site_settings",
        object_id=REQUIRE_ALL_KEY,
        diff={"value": [before, setting.value]},
    )


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None


# --- enrolment ------------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh random secret for enrolment."""
    return pyotp.random_base32()


def _pending_is_fresh(row: UserSession) -> bool:
    return (
        row.pending_totp_secret is not None
        and row.pending_totp_started_at is not None
        and utcnow() - as_utc(row.pending_totp_started_at) <= PENDING_SECRET_LIFETIME
    )


def pending_secret(row: UserSession) -> str:
    """The secret this session is enrolling, made (or renewed once expired) when first shown.

    It waits on the server, in this session's row, until a first code confirms it: the cookie
    holds only the session id, so a copy of the cookie does not carry the second factor.
    """
    if not _pending_is_fresh(row):
        row.pending_totp_secret = new_secret()
        row.pending_totp_started_at = utcnow()
        db.session.flush()
    return row.pending_totp_secret


def cancel_enrolment(row: UserSession) -> None:
    """Forget the secret being enrolled in this session."""
    row.pending_totp_secret = None
    row.pending_totp_started_at = None
    db.session.flush()


def qr_data_uri(user: User, secret: str) -> str:
    """The enrolment QR code as an SVG data URI, drawn on our server (no external service)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def confirm(user: User, row: UserSession, code: str) -> list[str]:
    """Check the first code against this session's pending secret; on success the factor is on and
    ten recovery codes are returned (shown once)."""
    if enrolled(user):
        raise MfaRefused("A second factor is already set up.")
    if row.user_id != user.id or not _pending_is_fresh(row):
        audit.record(user, "mfa.enrol_failed", user, reason="no-pending-secret")
        raise MfaRefused("This set-up has expired. Add the new key shown below to your app and type its code.")
    step = _matching_step(row.pending_totp_secret, code, after=None)
    if step is None:
        audit.record(user, "mfa.enrol_failed", user, reason="wrong-code")
        raise MfaRefused("That code is not right. Check the time on your device and type the current code.")
    user.totp_secret = row.pending_totp_secret
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    cancel_enrolment(row)
    codes = _new_recovery_codes(user)
    audit.record(user, "mfa.enrolled", user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User, password: str, ip_address: str) -> list[str]:
    _check_password(user, password, ip_address)
    codes = _new_recovery_codes(user)
    audit.record(user, "mfa.recovery_codes_regenerated", user)
    account_events.sign_in_changed(user, "recovery_codes")
    return codes


def remaining_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def remove(user: User, password: str, ip_address: str) -> None:
    """Switch the second factor off (password needed); refused where the role requires it."""
    _check_password(user, password, ip_address)
    if required_for(user):
        raise MfaRefused("Your role requires a second factor; to change device, set up the new one instead.")
    _clear(user)
    audit.record(user, "mfa.removed", user)
    account_events.sign_in_changed(user, "second_factor_removed")


def replace(user: User, password: str, ip_address: str) -> None:
    """Start over with a new device (password needed); the old codes stop working now."""
    _check_password(user, password, ip_address)
    _clear(user)
    audit.record(user, "mfa.replaced", user)
    account_events.sign_in_changed(user, "second_factor_replaced")


def admin_reset(user: User, *, actor) -> None:
    """An administrator removes a user's second factor (lost phone); the user enrols again at next sign-in."""
    _clear(user)
    revoke_user_sessions(user, "mfa-reset")
    audit.record(actor, "mfa.admin_reset", user)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def _check_password(user: User, password: str, ip_address: str) -> None:
    if not reauth.password_again(user, password, ip_address):
        audit.record(user, "mfa.password_failed", user)
        raise MfaRefused("Your password is not correct.")


# --- sign-in ----------------------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode("utf-8")).hexdigest()


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            return step
    return None


def verify(user: User, code: str, ip_address: str, device: TrustedDevice | None = None) -> bool:
    """Check a sign-in code or a recovery code, with throttling and replay protection; audited either way.

    Throttled like the password (throttle.py): per account and address with growing delays, per
    account with a ceiling, and a known device only by its own failures. Raises CodesThrottled
    without checking the code when a rule refuses it.
    """
    verdict = throttle.check(throttle.SECOND_FACTOR, user.email, ip_address, device)
    if verdict.refused:
        audit.record(user, "mfa.throttled", user, rule=verdict.rule, retry_after=verdict.retry_after)
        raise CodesThrottled(verdict.retry_after)
    if verdict.passed_by_device:
        audit.record(user, "mfa.throttle_passed_by_device", device, rule=verdict.passed_by_device)
    step = _matching_step(user.totp_secret or "", code, after=user.totp_last_step)
    if step is not None:
        # Compare-and-set on the step: the same code sent twice at once is accepted once.
        claimed = db.session.execute(
            sa.update(User)
            .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
        db.session.expire(user, ["totp_last_step"])
        if claimed == 1:
            throttle.clear_failures(throttle.SECOND_FACTOR, user.email, ip_address, device)
            audit.record(user, "mfa.verified", user, method="totp")
            return True
    elif _use_recovery_code(user, code):
        throttle.clear_failures(throttle.SECOND_FACTOR, user.email, ip_address, device)
        audit.record(user, "mfa.verified", user, method="recovery-code", remaining=remaining_recovery_codes(user))
        return True
    throttle.record_failure(throttle.SECOND_FACTOR, user.email, ip_address, device)
    audit.record(user, "mfa.failed", user)
    if device is not None:
        devices.lock_if_failing(device)
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    if len(code.strip()) != 17:
        return False
    return bool(
        db.session.execute(
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None)
            )
            .values(used_at=utcnow())
        ).rowcount
    )
