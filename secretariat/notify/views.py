"""Saving one's notification preferences (shown on the account page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.notify import preferences
from secretariat.notify.forms import PreferencesForm

bp = Blueprint("notify", __name__)


@bp.post("/account/notifications")
@requires(Permission.SIGNED_IN)
def save_preferences():
    form = PreferencesForm()
    if form.validate_on_submit():
        preferences.save(current_user, form.chosen(), form.digest_hour.data)
        db.session.commit()
        flash("Your mail preferences are saved.", "success")
    else:
        flash("Your mail preferences were not saved: choose one of the options for each.", "error")
    return redirect(url_for("auth.account", _anchor="notifications"))
