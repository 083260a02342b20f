"""Account events, to the person alone and always at once: the password link of a new account or a
reset, a second factor removed by an administrator, the person's own password or second factor
changed, a sign-in from a browser not seen before.

The password link is the one secret an outbox row carries: the worker forgets it once the mail has
left (delivery.SECRET_KINDS), and it stops working after its first use or its hours anyway.
"""

from __future__ import annotations

import sqlalchemy as sa

from secretariat.auth.models import TrustedDevice, User
from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.models import Category
from secretariat.timeutil import utcnow


def password_link(user: User, token: str, hours: int) -> None:
    """The one-time link to set a password, through the outbox: a mail server that is down never
    breaks the administrator's request, and the mail leaves once it is back."""
    outbox.queue(
        [user],
        category=Category.ACCOUNT,
        kind="password_link",
        subject="Set your password for the ASEM Virtual Secretariat",
        link_path=outbox.path("auth.set_password", token=token),
        details={
            "intro": "An account was created or reset for you. Set your password with the link below.",
            "lines": [f"The link works once, within {hours} hours."],
            "link_label": "Set your password",
        },
    )


def second_factor_reset(user: User) -> None:
    """An administrator removed the person's second factor: they set up a new one at next sign-in."""
    outbox.queue(
        [user],
        category=Category.ACCOUNT,
        kind="second_factor_reset",
        subject="Your second factor was removed",
        link_path=outbox.path("auth.login"),
        details={
            "intro": "An administrator removed the second factor (authenticator app) of your account; "
            "you were signed out everywhere and will set up a new one when you next sign in.",
            "lines": ["If you did not ask for this, tell the secretariat's administrator at once."],
            "link_label": "Sign in",
        },
    )


#: what the person changed in how they sign in (auth/services.py, auth/mfa.py): the mail's subject
SIGN_IN_CHANGES = {
    "credential": "Your password was changed",
    "second_factor_removed": "Your second factor was switched off",
    "second_factor_replaced": "Your second factor is being replaced",
    "recovery_codes": "New recovery codes were made for your account",
}


def sign_in_changed(user: User, change: str) -> None:
    """The person changed their own password, second factor or recovery codes: told by mail (OWASP ASVS 2.2.3), so
    that someone who took over a signed-in session cannot change them unnoticed."""
    outbox.queue(
        [user],
        category=Category.ACCOUNT,
        kind="sign_in_changed",
        subject=SIGN_IN_CHANGES[change],
        link_path=outbox.path("auth.account"),
        details={
            "intro": f"{SIGN_IN_CHANGES[change]} at {utcnow().strftime('%Y-%m-%d %H:%M')} UTC, from a signed-in "
            "session of your account.",
            "lines": [
                "If this was you, there is nothing to do. If not, tell the secretariat's administrator at once: "
                "they can end every session of the account and reset it."
            ],
            "link_label": "Your account",
        },
    )


def new_device(user: User) -> None:
    """A complete sign-in from a browser this account had not used, while it has others: the first
    browser of an account, or the first after a password change (which forgets them all), is its
    owner's own doing and tells nobody anything."""
    known = db.session.scalar(sa.select(sa.func.count(TrustedDevice.id)).where(TrustedDevice.user_id == user.id))
    if (known or 0) <= 1:  # only the one just remembered
        return
    outbox.queue(
        [user],
        category=Category.ACCOUNT,
        kind="new_device",
        subject="New sign-in to your account",
        link_path=outbox.path("auth.account"),
        details={
            "intro": f"Your account was signed in to from a new browser or device at "
            f"{utcnow().strftime('%Y-%m-%d %H:%M')} UTC.",
            "lines": [
                "If this was you, there is nothing to do. If not, change your password at once and tell the "
                "secretariat's administrator."
            ],
            "link_label": "Your account",
        },
    )
