"""Factories and helpers shared by the tests: users with known passwords, a CSRF-aware client."""

from __future__ import annotations

import contextvars
import re

import pyotp
import sqlalchemy as sa
from flask.testing import FlaskClient

from secretariat import audit
from secretariat.auth.models import Partner, Role, User
from secretariat.auth.passwords import hash_password
from secretariat.auth.services import user_snapshot
from secretariat.extensions import db
from secretariat.timeutil import utcnow

DEFAULT_PASSWORD = "a long and perfectly fine passphrase"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """A test client that knows how to fetch a CSRF token and sign in like a browser.

    Each request runs in a fresh context, as in production: its own app context, ``g`` and
    database session, even though the test itself holds an app context for its own queries.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, page: str = "/login") -> str:
        response = self.get(page, follow_redirects=True)
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} (status {response.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from ``page`` (default: the form's own URL)."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(page or url)
        return self.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = DEFAULT_PASSWORD, next_url: str = ""):
        """Sign in like a person: the password, then the authenticator's code when one is asked for."""
        with self.session_transaction() as cookie_session:
            signed_in = "_user_id" in cookie_session
        # The login page sends a signed-in person home, with the same redirect a sign-in gives: a test
        # signing in someone else would go on as the first person without knowing it.
        assert not signed_in, "this client is signed in already: log out first, or use another client"
        response = self.submit("/login", {"email": email, "password": password, "next": next_url})
        if response.status_code == 302 and response.headers["Location"].startswith("/login/code"):
            user = db.session.scalar(sa.select(User).where(User.email == User.normalize_email(email)))
            # Tests sign the same person in many times within one 30-second step; forget the last step
            # so the current code is fresh (replay protection has tests of its own).
            db.session.execute(sa.update(User).where(User.id == user.id).values(totp_last_step=None))
            db.session.commit()
            db.session.refresh(user)
            response = self.submit("/login/code", {"code": pyotp.TOTP(user.totp_secret).now()})
        return response

    def logout(self):
        return self.submit("/logout", page="/account")


# --- factories ---------------------------------------------------------------------------

_counter = iter(range(1, 10**9))


def partner(code: str) -> Partner:
    return db.session.scalar(sa.select(Partner).where(Partner.code == code))


def make_user(
    role: str | Role = Role.OFFICIAL,
    *,
    partner_code: str = "JP",
    email: str | None = None,
    name: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    active: bool = True,
    mfa: bool | None = None,
) -> User:
    """Create and commit a user with a known password (and, by default for the roles that need one,
    a second factor already set up with a known secret)."""
    n = next(_counter)
    role = Role(role)
    user = User(
        email=email or f"{role.value}{n}@example.org",
        display_name=name or f"Test {role.value.title()} {n}",
        partner=partner(partner_code),
        role=role.value,
        is_active_account=active,
        password_hash=hash_password(password) if password else None,
    )
    if mfa if mfa is not None else role in (Role.ADMIN, Role.COORDINATOR):
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    # As the application creates accounts: `archive verify` reports any account the chain never saw created.
    audit.record(None, "user.create", user, **user_snapshot(user))
    db.session.commit()
    return user


def record_accounts() -> None:
    """After a test empties the audit chain (a fresh instance): its accounts' creation, as that
    instance's own chain would hold it."""
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        audit.record(None, "user.create", user, **user_snapshot(user))
    db.session.commit()


def page_text(response) -> str:
    return response.get_data(as_text=True)


def page_without_tokens(response) -> str:
    """The page with its forms' CSRF tokens blanked: they carry the second they were made, so two
    requests either side of a second boundary differ there even when the page is the same."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page_text(response))


def path_of(response) -> str:
    return response.headers.get("Location", "")


def run_worker() -> int:
    """Run the extraction worker once, as `flask worker --once` does: uploads get their text, then the index.

    Uploads are filed with their text "pending"; a test that searches for a file's words runs this first.
    """
    from secretariat.archive import extraction

    return extraction.run_pending()
