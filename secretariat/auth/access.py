"""Deny by default: every request is checked against the rule its endpoint declared."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user

from secretariat import audit
from secretariat.auth import mfa
from secretariat.auth.permissions import Access, Permission, access_of, role_has
from secretariat.auth.sessions import current_session, load_user_from_session
from secretariat.extensions import db, login_manager

#: endpoints served by Flask itself that need no declaration
BUILTIN_PUBLIC_ENDPOINTS = frozenset({"static"})
#: what a user may reach between the password and the second factor
MFA_PENDING_ENDPOINTS = frozenset({"auth.mfa_code", "auth.mfa_setup", "auth.logout"})


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user_from_session)
    login_manager.session_protection = None  # sessions are checked server-side instead
    login_manager.login_view = "auth.login"
    app.before_request(enforce_access)
    app.jinja_env.globals["can"] = current_user_can


def current_user_can(permission: str) -> bool:
    """For templates: may the signed-in user do this? (Navigation only; views check again.)"""
    return current_user.is_authenticated and role_has(current_user.role, Permission(permission))


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no //host or /\\host tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def enforce_access():
    """Refuse the request unless the endpoint's declared rule allows it."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    if endpoint in BUILTIN_PUBLIC_ENDPOINTS:
        return None
    rule: Access | None = access_of(current_app.view_functions.get(endpoint))
    if rule is None:
        current_app.logger.error("Endpoint %s declares no access rule; refused", endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        if g.get("session_expired"):
            flash("Your session has ended. Please sign in again.", "info")
        target = request.full_path if request.query_string else request.path
        next_param = target if request.method == "GET" and is_safe_next(target) else None
        return redirect(url_for("auth.login", next=next_param))
    row = current_session()
    if row is not None and row.mfa_verified_at is None and endpoint not in MFA_PENDING_ENDPOINTS:
        # Password given, second factor not yet: only the code page, enrolment and sign-out.
        return redirect(url_for("auth.mfa_setup" if not mfa.enrolled(current_user) else "auth.mfa_code"))
    if rule.permission is not None and not role_has(current_user.role, rule.permission):
        audit.record(current_user, "access.denied", object_type="endpoint", object_id=endpoint, path=request.path)
        db.session.commit()
        abort(403)
    return None
