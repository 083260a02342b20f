"""The user rows that decide what a person sees (role, partner, active), checked against the chain.

Users are created and changed only through audited services (user.create with the new account's
role, partner and status; user.update and user.role_change with a diff), so replaying those
entries gives each account's state; a row that differs was changed outside the application.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.audit.services import details_of
from secretariat.auth.models import User
from secretariat.extensions import db

FIELDS = ("role", "partner", "active")


def _recorded_states() -> dict[str, dict]:
    states: dict[str, dict] = {}
    query = (
        sa.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.details)
        .where(
            AuditEntry.object_type == "users",
            AuditEntry.action.in_(("user.create", "user.update", "user.role_change")),
        )
        .order_by(AuditEntry.seq)
    )
    for action, object_id, details in db.session.execute(query):
        facts = details_of(details)
        if action == "user.create":
            states[object_id] = {"active": True} | {k: facts[k] for k in FIELDS if k in facts}
        elif object_id in states:
            states[object_id].update({k: change[1] for k, change in (facts.get("diff") or {}).items() if k in FIELDS})
    return states


def check(problem: Callable[[str], None]) -> int:
    """Report every account whose role, partner or status differs from the chain, and every account
    the chain never saw created (every way the application creates one records it); returns
    accounts checked."""
    states = _recorded_states()
    checked = 0
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        checked += 1
        recorded = states.get(str(user.id))
        if recorded is None:
            # An account added with SQL would otherwise see whatever role its row names, unjudged.
            problem(f"user {user.id} is not in the audit trail (inserted outside the application)")
            continue
        actual = {
            "role": user.role,
            "partner": user.partner.code if user.partner else None,
            "active": user.is_active_account,
        }
        for name in FIELDS:
            if name in recorded and recorded[name] != actual[name]:
                problem(f"user {user.id}: {name} is {actual[name]!r}, recorded as {recorded[name]!r} (field {name})")
    return checked
