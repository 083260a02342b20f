"""Administration: users (create, edit, password links, session resets), the audit trail and the mail queue."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat.admin.forms import AuditFilterForm, EditUserForm, UserForm
from secretariat.audit import presentation
from secretariat.audit import services as audit_services
from secretariat.audit.models import AuditEntry
from secretariat.auth import mfa, services
from secretariat.auth.choices import partner_choices
from secretariat.auth.models import User, UserSession
from secretariat.auth.permissions import Permission, requires
from secretariat.core.filters import plural
from secretariat.extensions import db
from secretariat.notify import account_events
from secretariat.notify import queries as notify_queries
from secretariat.timeutil import UTC
from secretariat.web.forms import ConfirmForm
from secretariat.web.paging import requested_page

bp = Blueprint("admin", __name__)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@requires(Permission.MANAGE_USERS)
def users():
    query = sa.select(User).join(User.partner).order_by(User.display_name)
    text = request.args.get("q", "").strip()
    if text:
        like = f"%{text.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.display_name).like(like), User.email.like(like)))
    role = request.args.get("role", "")
    if role:
        query = query.where(User.role == role)
    page = db.paginate(query, page=requested_page(), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, q=text, role=role)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def create_user():
    form = UserForm()
    form.partner.choices = partner_choices("Choose a partner", with_code=True)
    valid = form.validate_on_submit()
    if form.is_submitted() and not valid and not form.email.errors and _email_taken(form.email.data):
        # the other mistakes are shown now: say this one at the same time, not after the next try
        form.email.errors = ["A user with this email address already exists."]
    if valid:
        try:
            user = services.create_user(
                email=form.email.data,
                display_name=form.display_name.data,
                partner=services.partner_by_code(form.partner.data),
                role=form.role.data,
                actor=current_user,
            )
        except services.ValidationFailed as failed:
            form.email.errors = list(failed.errors["email"])
        else:
            link = services.issue_password_link(user, actor=current_user)
            db.session.commit()
            return render_template("admin/password_link.html", user=user, link=link, created=True)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


def _email_taken(email: str | None) -> bool:
    if not email:
        return False
    return db.session.scalar(sa.select(User.id).where(User.email == User.normalize_email(email))) is not None


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = _get_user(user_id)
    form = EditUserForm(data=_form_data(user) if request.method == "GET" else None)
    form.partner.choices = partner_choices("Choose a partner", with_code=True)
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != user.role or not form.active.data):
            flash("You cannot change your own role or deactivate yourself; ask another administrator.", "error")
        else:
            changes = services.update_user(
                user,
                display_name=form.display_name.data,
                partner=services.partner_by_code(form.partner.data),
                role=form.role.data,
                active=form.active.data,
                actor=current_user,
            )
            db.session.commit()
            flash("Changes saved." if changes else "Nothing was changed.", "success")
            return redirect(url_for("admin.edit_user", user_id=user_id))
    sessions = db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user, sessions=sessions), status


def _form_data(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "partner": user.partner.code,
        "role": user.role,
        "active": user.is_active_account,
    }


@bp.post("/users/<int:user_id>/password-link")
@requires(Permission.MANAGE_USERS)
def password_link(user_id: int):
    user = _get_user(user_id)
    if not user.is_active:
        flash("Activate the account before sending a password link.", "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    link = services.issue_password_link(user, actor=current_user)
    db.session.commit()
    return render_template("admin/password_link.html", user=user, link=link, created=False)


@bp.post("/users/<int:user_id>/reset-sessions")
@requires(Permission.MANAGE_USERS)
def reset_sessions(user_id: int):
    user = _get_user(user_id)
    count = services.reset_sessions(user, actor=current_user)
    db.session.commit()
    flash(f"{plural(count, 'session')} of {user.display_name} ended.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/reset-two-factor")
@requires(Permission.MANAGE_USERS)
def reset_mfa(user_id: int):
    """A user lost their device: remove their second factor; they set up a new one at next sign-in."""
    user = _get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mfa.admin_reset(user, actor=current_user)
    account_events.second_factor_reset(user)
    db.session.commit()
    flash(
        f"The second factor of {user.display_name} was removed; they are signed out and will set up a new one.",
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def settings():
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        mfa.set_required_for_all(request.form.get("mfa_required_for_all") == "1", actor=current_user)
        db.session.commit()
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", mfa_required_for_all=mfa.required_for_all())


@bp.get("/mail")
@requires(Permission.MANAGE_USERS)
def mail_queue():
    """Mails waiting or given up: a mail server that fails shows here, never as an error page."""
    return render_template(
        "admin/mail_queue.html",
        state=notify_queries.queue_state(),
        problems=notify_queries.undelivered_with_errors(),
    )


@bp.get("/audit")
@requires(Permission.VIEW_AUDIT)
def audit_trail():
    form = AuditFilterForm(request.args)
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if form.validate():
        if form.action.data:
            query = query.where(AuditEntry.action.startswith(form.action.data.strip(), autoescape=True))
        if form.actor.data:
            query = query.where(AuditEntry.actor_label.contains(form.actor.data.strip().lower(), autoescape=True))
        if form.object_type.data:
            query = query.where(AuditEntry.object_type == form.object_type.data.strip())
        if form.object_id.data:
            query = query.where(AuditEntry.object_id == form.object_id.data.strip())
        if form.date_from.data:
            query = query.where(AuditEntry.created_at >= datetime.combine(form.date_from.data, time.min, UTC))
        if form.date_to.data:
            end = datetime.combine(form.date_to.data + timedelta(days=1), time.min, UTC)
            query = query.where(AuditEntry.created_at < end)
    page = db.paginate(query, page=requested_page(), per_page=50, error_out=False)
    entries = [presentation.describe(entry) for entry in page.items]
    return render_template("admin/audit.html", form=form, page=page, entries=entries)


@bp.post("/audit/verify")
@requires(Permission.VIEW_AUDIT)
def verify_audit_trail():
    """The same check as `flask audit verify`, from the trail page; the result is flashed and recorded."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = audit_services.verify_and_record(actor=current_user)
    db.session.commit()
    if result.ok:
        flash(f"The audit chain is intact: {plural(result.checked, 'entry', 'entries')} verified.", "success")
    else:
        flash(
            f"The audit chain is broken at entry {result.broken_seq}: {result.reason} "
            f"({plural(result.checked, 'entry', 'entries')} before it verified).",
            "error",
        )
    return redirect(url_for("admin.audit_trail"))
