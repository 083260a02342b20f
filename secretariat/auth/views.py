"""Sign-in, sign-out, setting a password from a link, and one's own account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from secretariat.auth import devices, mfa, services, sessions, throttle
from secretariat.auth.access import is_safe_next
from secretariat.auth.forms import ChangePasswordForm, CodeForm, LoginForm, PasswordConfirmForm, SetPasswordForm
from secretariat.auth.permissions import Permission, public, requires
from secretariat.extensions import db, limiter
from secretariat.notify import preferences as notify_preferences
from secretariat.notify.forms import preferences_form
from secretariat.notify.models import ALWAYS_IMMEDIATE

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "The email address or password is not correct."
THROTTLED_LOGIN_ERROR = (
    "Too many failed attempts. Try again in {wait}, sign in from a device you have used before, "
    "or ask an administrator."
)


def _device_cookie() -> str | None:
    return request.cookies.get(devices.COOKIE_NAME)


def _with_device_cookie(response, value: str | None):
    """After a complete sign-in: hand over the device cookie (None: the second factor is still due)."""
    if value is not None:
        devices.set_cookie(response, value)
    return response


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
    result = services.authenticate(form.email.data, form.password.data, request.remote_addr or "", _device_cookie())
    if result.user is None:
        db.session.commit()  # keep the failure count and the audit entry
        form.password.data = ""
        if result.throttled:
            wait = result.throttled.retry_after
            error = THROTTLED_LOGIN_ERROR.format(wait=throttle.wait_in_words(wait))
            return render_template("auth/login.html", form=form, error=error), 429, {"Retry-After": str(wait)}
        return render_template("auth/login.html", form=form, error=GENERIC_LOGIN_ERROR), 200
    second_factor = services.sign_in(result.user)
    # The device is known once the whole sign-in succeeds: here, or after the second factor.
    cookie = None if second_factor else devices.trust(result.user, result.device)
    db.session.commit()
    target = form.next.data if is_safe_next(form.next.data) else url_for("core.home")
    if second_factor:
        session["mfa_next"] = target
        return redirect(url_for("auth.mfa_code" if mfa.enrolled(result.user) else "auth.mfa_setup"))
    return _with_device_cookie(redirect(target), cookie)


def _after_second_factor(cookie: str | None):
    target = session.pop("mfa_next", None)
    return _with_device_cookie(redirect(target if is_safe_next(target) else url_for("core.home")), cookie)


@bp.route("/login/code", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
@limiter.limit(_auth_post_limit, methods=["POST"])
def mfa_code():
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    row = sessions.current_session()
    if row is None or row.mfa_verified_at is not None:
        return redirect(url_for("core.home"))
    if not mfa.enrolled(current_user):
        return redirect(url_for("auth.mfa_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        device = devices.find(_device_cookie(), current_user.email)
        try:
            accepted = mfa.verify(current_user, form.code.data, request.remote_addr or "", device)
        except mfa.CodesThrottled as throttled:
            db.session.commit()  # keep the audit entry
            form.code.errors, form.code.data = [str(throttled)], ""
            headers = {"Retry-After": str(throttled.retry_after)}
            return render_template("auth/mfa_code.html", form=form), 429, headers
        if accepted:
            sessions.mark_mfa_verified()
            cookie = devices.trust(current_user, device)
            db.session.commit()
            return _after_second_factor(cookie)
        db.session.commit()  # keep the failure count and the audit entry
        form.code.errors = ["That code is not right or was already used. Type the current code."]
        form.code.data = ""
    status = 400 if request.method == "POST" else 200
    return render_template("auth/mfa_code.html", form=form), status


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def mfa_setup():
    """Enrolment: a QR code and the key, confirmed with a first code; then ten recovery codes, shown once."""
    if mfa.enrolled(current_user):
        return redirect(url_for("auth.account"))
    row = sessions.current_session()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm(current_user, row, form.code.data)
        except mfa.MfaRefused as refused:
            form.code.errors = [str(refused)]
        else:
            sessions.mark_mfa_verified()
            cookie = devices.trust(current_user, devices.find(_device_cookie(), current_user.email))
            db.session.commit()
            page = render_template(
                "auth/recovery_codes.html", codes=codes, next_url=session.pop("mfa_next", None) or url_for("core.home")
            )
            return _with_device_cookie(make_response(page), cookie)
    # The secret waits in this session's row on the server (never in the cookie) until a first
    # code proves the device has it; only that bookkeeping row changes when the page is shown.
    secret = mfa.pending_secret(row)
    db.session.commit()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "auth/mfa_setup.html",
        form=form,
        secret=secret,
        qr=mfa.qr_data_uri(current_user, secret),
        required=mfa.required_for(current_user),
    ), status


@bp.post("/account/two-factor/cancel")
@requires(Permission.SIGNED_IN)
def mfa_cancel():
    """Abandon an enrolment: the key shown stops working at once."""
    mfa.cancel_enrolment(sessions.current_session())
    db.session.commit()
    return redirect(url_for("auth.account"))


@bp.post("/account/two-factor/<action>")
@requires(Permission.SIGNED_IN)
@limiter.limit(_auth_post_limit)
def mfa_manage(action: str):
    """Replace, remove or renew recovery codes: each needs the password again."""
    form = PasswordConfirmForm()
    if action not in {"replace", "remove", "recovery-codes"} or not form.validate_on_submit():
        abort(400)
    try:
        if action == "replace":
            mfa.replace(current_user, form.password.data, request.remote_addr or "")
            db.session.commit()
            return redirect(url_for("auth.mfa_setup"))
        if action == "remove":
            mfa.remove(current_user, form.password.data, request.remote_addr or "")
            db.session.commit()
            flash("The second factor is switched off.", "success")
            return redirect(url_for("auth.account"))
        codes = mfa.regenerate_recovery_codes(current_user, form.password.data, request.remote_addr or "")
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    except mfa.MfaRefused as refused:
        db.session.commit()  # a wrong password is audited
        if not current_user.is_authenticated:
            return _signed_out_after_wrong_passwords()
        flash(str(refused), "error")
        return redirect(url_for("auth.account"))


def _signed_out_after_wrong_passwords():
    flash("Your password was typed wrong too many times: you have been signed out.", "error")
    return redirect(url_for("auth.login"))


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
    return _account_page(ChangePasswordForm(), 200)


def _account_page(form: ChangePasswordForm, status: int):
    return render_template(
        "auth/account.html",
        form=form,
        mfa_form=PasswordConfirmForm(formdata=None),
        mfa_enrolled=mfa.enrolled(current_user),
        mfa_required=mfa.required_for(current_user),
        recovery_left=mfa.remaining_recovery_codes(current_user),
        notification_form=preferences_form(notify_preferences.of_user(current_user), formdata=None),
        always_immediate=sorted(ALWAYS_IMMEDIATE),
    ), status


@bp.post("/account/password")
@requires(Permission.SIGNED_IN)
@limiter.limit(_auth_post_limit)
def change_password():
    """Change one's own password (the current one is required); other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                form.confirm.data,
                ip_address=request.remote_addr or "",
            )
        except services.ValidationFailed as failed:
            db.session.commit()  # a wrong current password is audited
            if not current_user.is_authenticated:
                return _signed_out_after_wrong_passwords()
            for field, messages in failed.errors.items():
                getattr(form, field).errors = list(messages)
        else:
            db.session.commit()
            flash("Your password has been changed. Your other sessions have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(form, 400)
