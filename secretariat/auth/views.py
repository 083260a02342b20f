"""Sign-in, sign-out, setting a password from a link, and one's own account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat.auth import services, sessions
from secretariat.auth.access import is_safe_next
from secretariat.auth.forms import ChangePasswordForm, LoginForm, SetPasswordForm
from secretariat.auth.permissions import Permission, public, requires
from secretariat.extensions import db, limiter

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "The email address or password is not correct."
THROTTLED_LOGIN_ERROR = "Too many failed attempts. Wait 15 minutes and try again, or ask an administrator."


def _auth_post_limit() -> str:
    return current_app.config["AUTH_POST_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_auth_post_limit, methods=["POST"])
def login():
    """Sign in with email and password; the answer never says which of the two was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    result = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
    if result.user is None:
        db.session.commit()  # keep the failure count and the audit entry
        form.password.data = ""
        if result.throttled:
            return render_template("auth/login.html", form=form, error=THROTTLED_LOGIN_ERROR), 429
        return render_template("auth/login.html", form=form, error=GENERIC_LOGIN_ERROR), 200
    services.sign_in(result.user)
    db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("core.home"))


@bp.post("/logout")
@requires(Permission.SIGNED_IN)
def logout():
    services.sign_out(current_user)
    db.session.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_auth_post_limit, methods=["POST"])
def set_password(token: str):
    """A new or reset user chooses their password through a one-time, expiring link."""
    row = services.find_valid_token(token)
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.set_password_with_token(row, form.password.data, form.confirm.data)
        except services.ValidationFailed as failed:
            form.password.errors = list(failed.errors["password"])
        else:
            if current_user.is_authenticated:
                sessions.end_current_session("password-change")
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login", email=user.email))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/set_password.html", form=form, user=row.user), status


@bp.get("/account")
@requires(Permission.SIGNED_IN)
def account():
    return render_template("auth/account.html", form=ChangePasswordForm())


@bp.post("/account/password")
@requires(Permission.SIGNED_IN)
@limiter.limit(_auth_post_limit)
def change_password():
    """Change one's own password (the current one is required); other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data, form.confirm.data)
        except services.ValidationFailed as failed:
            db.session.commit()  # a wrong current password is audited
            for field, messages in failed.errors.items():
                getattr(form, field).errors = list(messages)
        else:
            db.session.commit()
            flash("Your password has been changed. Your other sessions have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form), 400
