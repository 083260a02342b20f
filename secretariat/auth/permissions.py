"""Who may do what: permissions per role, and the declaration every endpoint must carry.

Deny by default: ``enforce_access`` (run before every request) refuses any endpoint that
declares nothing. Endpoints declare their rule with ``@public`` or ``@requires(Permission.X)``.
Object-level rules (a partner's own reports, a record's confidentiality) live in each area's
services and are checked on the object itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from secretariat.auth.models import Role


class Permission(enum.StrEnum):
    #: any signed-in, active user: the dashboard, their own account
    SIGNED_IN = "signed_in"
    #: read meetings, circulated agendas, the work programme and restricted records
    READ = "read"
    #: propose agenda items, comment, report progress for one's own partner
    CONTRIBUTE = "contribute"
    #: create and edit meetings, agendas, the work programme and the archive
    COORDINATE = "coordinate"
    #: create and change users, reset their sessions
    MANAGE_USERS = "manage_users"
    #: read the audit trail
    VIEW_AUDIT = "view_audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OBSERVER: frozenset({Permission.SIGNED_IN, Permission.READ}),
    Role.OFFICIAL: frozenset({Permission.SIGNED_IN, Permission.READ, Permission.CONTRIBUTE}),
    Role.COORDINATOR: frozenset({Permission.SIGNED_IN, Permission.READ, Permission.CONTRIBUTE, Permission.COORDINATE}),
    Role.ADMIN: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.READ,
            Permission.MANAGE_USERS,
            Permission.VIEW_AUDIT,
        }
    ),
}


def role_has(role: str | Role, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def is_coordinator(user) -> bool:
    """Whether ``user`` is signed in with a role that coordinates (drafts, notes, proposals of all partners)."""
    return bool(user and user.is_authenticated and role_has(user.role, Permission.COORDINATE))


@dataclass(frozen=True)
class Access:
    """The rule an endpoint declared: public, or a permission a signed-in user must hold."""

    public: bool = False
    permission: Permission | None = None


def public(view: Callable) -> Callable:
    """Mark an endpoint as reachable without signing in (keep this list short)."""
    view.access = Access(public=True)
    return view


def requires(permission: Permission) -> Callable[[Callable], Callable]:
    """Mark an endpoint as needing a signed-in user holding ``permission``."""

    def decorate(view: Callable) -> Callable:
        view.access = Access(permission=permission)
        return view

    return decorate


def access_of(view: Callable | None) -> Access | None:
    return getattr(view, "access", None)


def acts_for_partner(user, partner_id: int | None) -> bool:
    """May ``user`` act on an object owned by ``partner_id``?

    Ownership is by partner, never by person: when an official leaves and a successor from the
    same partner is added, the successor can do everything the partner could.
    """
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and partner_id is not None
        and user.partner_id == partner_id
    )
