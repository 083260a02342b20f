"""Asking a signed-in user for their password again, without making a stolen session an oracle.

Changing the password or the second factor asks for the current password. Someone who copied a
session cookie could otherwise guess it there at leisure, from any address: wrong answers count
with the sign-in failures, and the MAX_FAILURES_PER_SESSION-th ends the session.
"""

from __future__ import annotations

from secretariat import audit
from secretariat.auth import passwords, sessions, throttle
from secretariat.auth.models import User

MAX_FAILURES_PER_SESSION = 5


def password_again(user: User, password: str, ip_address: str) -> bool:
    """True if ``password`` is the user's; a wrong one is counted, and too many sign the session out."""
    if passwords.verify_password(user.password_hash, password):
        return True
    throttle.record_failure(throttle.CREDENTIALS, user.email, ip_address)
    row = sessions.current_session()
    if row is not None:
        row.password_failures = (row.password_failures or 0) + 1
        if row.password_failures >= MAX_FAILURES_PER_SESSION:
            audit.record(user, "auth.session_ended_after_wrong_passwords", user, failures=row.password_failures)
            sessions.end_current_session("wrong-passwords")
    return False
