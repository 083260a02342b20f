"""Partners, users, their sessions, password links and sign-in attempts."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from secretariat.extensions import db
from secretariat.timeutil import utcnow
from secretariat.types import UTCDateTime


class Role(enum.StrEnum):
    """What a user does in ASEM; permissions follow from it (see permissions.py)."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    OFFICIAL = "official"
    OBSERVER = "observer"

    @property
    def label(self) -> str:
        return {
            "admin": "Administrator",
            "coordinator": "Coordinator",
            "official": "Senior official",
            "observer": "Observer",
        }[self.value]


class Partner(db.Model):
    """One of the 53 ASEM partners: 51 countries, the European Union, the ASEAN Secretariat."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 3166 alpha-2 code for countries, EU and ASEAN for the institutions
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: "country" or "institution"
    kind: Mapped[str] = mapped_column(sa.String(20), default="country")
    #: "Asia" or "Europe": the group the partner belongs to in ASEM
    side: Mapped[str] = mapped_column(sa.String(10))
    joined_year: Mapped[int]
    #: IANA time zone of the capital, for meeting times hosted by this partner
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")

    users: Mapped[list[User]] = relationship(back_populates="partner")

    def __repr__(self) -> str:
        return f"<Partner {self.code}>"


class User(UserMixin, db.Model):
    """A person who may sign in. Rights that belong to a partner are held by partner_id, not by the person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased and stripped, so uniqueness is case-insensitive
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    #: argon2id hash; empty until the user sets a password through their link
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the dashboard shows the person's notifications made before this as read: moved to the end of
    #: the previous visit at sign-in, and to the moment of "Mark all as read" (both POSTs)
    news_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: base32 TOTP secret (set at enrolment, kept once confirmed with a first code)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last 30-second step a code was accepted for: a code works once
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="users", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("role in ('admin', 'coordinator', 'official', 'observer')", name="role_known"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

    @staticmethod
    def normalize_email(email: str) -> str:
        return (email or "").strip().lower()

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        # Every path that sets an email (forms, CLI, seed) stores it in one canonical form.
        return self.normalize_email(email)


class UserSession(db.Model):
    """A signed-in browser. The cookie holds only the random id; deleting trust means revoking the row."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random session id kept in the cookie (the id itself is never stored)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it ended: logout, password-change, deactivated, role-change, admin-reset
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    #: when the second factor was passed in this session (None: only the password so far)
    mfa_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP secret being enrolled in this session, until a first code confirms it (never in the cookie)
    pending_totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    #: when that enrolment started: the pending secret expires (mfa.PENDING_SECRET_LIFETIME)
    pending_totp_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: wrong current passwords typed in this session (auth/reauth.py ends it at a limit)
    password_failures: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship()


class PasswordToken(db.Model):
    """A one-time, expiring link with which a user sets their password."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class TrustedDevice(db.Model):
    """A browser that completed a sign-in to an account (OWASP "device cookie").

    Its cookie names the user and a random nonce, signed; only the nonce's SHA-256 is stored.
    A known device is throttled by its own failures only, so others' failures cannot lock it out.
    """

    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: SHA-256 of the random nonce kept in the cookie (the nonce itself is never stored)
    nonce_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the device failed too often: its cookie then counts for nothing
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """A failed sign-in or second-factor code, counted for throttling per account, address and device."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the normalized email as typed, whether or not such an account exists
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    ip_address: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: "password" or "mfa": the step that failed
    kind: Mapped[str] = mapped_column(sa.String(10), default="password", server_default="password")
    #: the known device the attempt came from, if it presented a valid device cookie
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusted_devices.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time code to sign in without the authenticator; stored as a SHA-256 (the codes are random)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteSetting(db.Model):
    """An administrator's setting, e.g. requiring the second factor for everybody."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
