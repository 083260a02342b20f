"""Operations on users: sign-in, creation, password links, password changes, role changes.

Each function checks, mutates, flushes and audits; the caller (a view or a command) commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from secretariat import audit
from secretariat.auth import devices, mfa, passwords, reauth, sessions, throttle
from secretariat.auth.models import Partner, PasswordToken, Role, TrustedDevice, User
from secretariat.extensions import db
from secretariat.external_links import external_url
from secretariat.mail import mail_configured
from secretariat.notify import account_events
from secretariat.timeutil import as_utc, utcnow


class ValidationFailed(Exception):
    """Input that breaks a rule; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


# --- sign-in -----------------------------------------------------------------------------


@dataclass
class SignIn:
    user: User | None
    #: the throttling rule that refused the attempt before the password was checked
    throttled: throttle.Verdict | None = None
    #: the known device the attempt came from (its cookie named this account)
    device: TrustedDevice | None = None


def authenticate(email: str, password: str, ip_address: str, device_cookie: str | None = None) -> SignIn:
    """Check credentials with throttling; every outcome is audited. Does not start a session."""
    email = User.normalize_email(email)
    device = devices.find(device_cookie, email)
    verdict = throttle.check(throttle.CREDENTIALS, email, ip_address, device)
    if verdict.refused:
        passwords.verify_password(None, password)  # same cost as a real check
        audit.record(
            None,
            "auth.login_throttled",
            object_type="users",
            email=email,
            rule=verdict.rule,
            retry_after=verdict.retry_after,
        )
        return SignIn(None, throttled=verdict)
    if verdict.passed_by_device:
        audit.record(None, "auth.throttle_passed_by_device", device, email=email, rule=verdict.passed_by_device)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        throttle.record_failure(throttle.CREDENTIALS, email, ip_address, device)
        reason = "unknown-email" if user is None else ("inactive" if valid else "wrong-password")
        audit.record(None, "auth.login_failed", user, object_type="users", email=email, reason=reason)
        if device is not None:
            devices.lock_if_failing(device)
        return SignIn(None)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    throttle.clear_failures(throttle.CREDENTIALS, email, ip_address, device)
    user.last_login_at = utcnow()
    return SignIn(user, device=device)


def sign_in(user: User) -> bool:
    """Start a fresh session after the password; returns True if a second factor must follow."""
    second_factor = mfa.enrolled(user) or mfa.required_for(user)
    # The dashboard's "new since your last visit" counts from the end of the previous visit.
    previous_visit = sessions.last_activity(user)
    if previous_visit is not None and (user.news_read_at is None or as_utc(user.news_read_at) < previous_visit):
        user.news_read_at = previous_visit
    row = sessions.start_session(user, mfa_done=not second_factor)
    audit.record(user, "auth.login", user, session_id=row.id, second_factor_pending=second_factor)
    return second_factor


def sign_out(user: User) -> None:
    audit.record(user, "auth.logout", user)
    sessions.end_current_session("logout")


# --- users -------------------------------------------------------------------------------


def user_snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "partner": user.partner.code if user.partner else None,
        "role": user.role,
        "active": user.is_active_account,
    }


def partner_by_code(code: str) -> Partner | None:
    return db.session.scalar(sa.select(Partner).where(Partner.code == (code or "").strip().upper()))


def create_user(*, email: str, display_name: str, partner: Partner, role: str, actor) -> User:
    """Create an account without a password; the user sets it through a one-time link."""
    email = User.normalize_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed({"email": ["A user with this email address already exists."]})
    Role(role)  # raises ValueError for an unknown role
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        partner=partner,
        role=role,
        is_active_account=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user, **user_snapshot(user))
    return user


def update_user(user: User, *, display_name: str, partner: Partner, role: str, active: bool, actor) -> dict:
    """Change a user's profile, role or status. A role change or deactivation ends their sessions."""
    Role(role)
    before = user_snapshot(user)
    user.display_name = display_name.strip() or user.display_name
    user.partner = partner
    user.role = role
    user.is_active_account = active
    db.session.flush()
    changes = audit.diff(before, user_snapshot(user))
    if not changes:
        return changes
    if "role" in changes or "partner" in changes:
        sessions.revoke_user_sessions(user, "role-change")
    if "active" in changes and not active:
        sessions.revoke_user_sessions(user, "deactivated")
    action = "user.role_change" if "role" in changes else "user.update"
    audit.record(actor, action, user, diff=changes)
    return changes


def reset_sessions(user: User, *, actor) -> int:
    count = sessions.revoke_user_sessions(user, "admin-reset")
    audit.record(actor, "user.sessions_reset", user, sessions_ended=count)
    return count


# --- password links ----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue_password_link(user: User, *, actor) -> str:
    """Create a one-time link (older unused links stop working) and queue its mail.

    Returns the URL. Without a mail server it is also written to the log for the admin to pass on.
    """
    now = utcnow()
    db.session.execute(
        sa.update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_TOKEN_HOURS"]
    db.session.add(
        PasswordToken(token_hash=_token_hash(token), user_id=user.id, expires_at=now + timedelta(hours=hours))
    )
    db.session.flush()
    url = password_link_url(token)
    account_events.password_link(user, token, hours)  # mailed by the worker: a server down breaks nothing here
    delivered = "outbox"
    if not mail_configured():
        delivered = "log"
        current_app.logger.warning("Password link for %s (valid %sh): %s", user.email, hours, url)
    audit.record(actor, "user.password_link_issued", user, delivered=delivered, valid_hours=hours)
    return url


def password_link_url(token: str) -> str:
    """The full link, on EXTERNAL_BASE_URL: never on the host the current request names."""
    return external_url("auth.set_password", token=token)


def find_valid_token(token: str) -> PasswordToken | None:
    row = db.session.scalar(sa.select(PasswordToken).where(PasswordToken.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        return None
    if not row.user.is_active:
        return None
    return row


def check_new_password(user: User, password: str, confirm: str) -> None:
    errors = passwords.policy_errors(password, email=user.email, name=user.display_name)
    if password != confirm:
        errors.append("The two passwords do not match.")
    if errors:
        raise ValidationFailed({"password": errors})


def set_password_with_token(row: PasswordToken, password: str, confirm: str) -> User:
    """Use a link: set the password, burn the link, end any sessions the account had."""
    user = row.user
    check_new_password(user, password, confirm)
    _store_password(user, password)
    row.used_at = utcnow()
    sessions.revoke_user_sessions(user, "password-change")
    devices.forget_all(user)
    audit.record(user, "auth.password_set", user, via="link")
    return user


def change_password(user: User, current: str, password: str, confirm: str, *, ip_address: str = "") -> None:
    """Change one's own password; needs the current one. Other sessions end, this one continues.

    Wrong current passwords are counted (reauth.py): too many end this session too.
    """
    if not reauth.password_again(user, current, ip_address):
        audit.record(user, "auth.password_change_failed", user, reason="wrong-current-password")
        raise ValidationFailed({"current_password": ["The current password is not correct."]})
    check_new_password(user, password, confirm)
    _store_password(user, password)
    ended = sessions.revoke_user_sessions(user, "password-change", keep=sessions.current_session())
    devices.forget_all(user)
    audit.record(user, "auth.password_change", user, other_sessions_ended=ended)
    account_events.sign_in_changed(user, "credential")


def set_password(user: User, password: str, *, actor, via: str) -> None:
    """Set a password chosen outside the web forms (command line, demo seed), after the policy check."""
    errors = passwords.policy_errors(password, email=user.email, name=user.display_name)
    if errors:
        raise ValidationFailed({"password": errors})
    _store_password(user, password)
    sessions.revoke_user_sessions(user, "password-change")
    devices.forget_all(user)
    audit.record(actor, "auth.password_set", user, via=via)


def _store_password(user: User, password: str) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    db.session.flush()
