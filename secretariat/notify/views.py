"""Saving one's notification preferences (shown on the account page), and following a meeting."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import require_meeting
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.notify import preferences, record_events
from secretariat.notify.forms import PreferencesForm
from secretariat.web.forms import ConfirmForm

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


@bp.post("/meetings/<int:meeting_id>/follow")
@requires(Permission.READ)
def follow_meeting(meeting_id: int):
    """Follow a meeting (follow=1: a mail for each record filed for it) or stop following it."""
    meeting = require_meeting(current_user, db.session.get(Meeting, meeting_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    on = request.form.get("follow") == "1"
    record_events.follow(current_user, meeting, on)
    db.session.commit()
    flash(
        "You follow this meeting: you will be told of the records filed for it."
        if on
        else "You no longer follow this meeting.",
        "success",
    )
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id, _anchor="follow"))


@bp.app_template_global("follows_meeting")
def follows_meeting(meeting: Meeting) -> bool:
    """Whether the signed-in person follows ``meeting`` (for notify/_follow.html); the meeting page reads it
    with the meeting (Meeting.followed)."""
    if not current_user.is_authenticated:
        return False
    return meeting.followed if meeting.followed is not None else record_events.follows(current_user, meeting)
