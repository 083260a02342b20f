"""Calendars: a meeting's .ics file, and each user's personal subscription feed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, render_template, request
from flask_login import current_user

from secretariat.agenda import calendar_export, feeds, visibility
from secretariat.agenda.models import Meeting
from secretariat.agenda.views.blueprint import bp, meeting_or_404
from secretariat.auth.permissions import Permission, public, requires
from secretariat.extensions import db
from secretariat.external_links import external_url
from secretariat.web.forms import ConfirmForm


@bp.get("/<int:meeting_id>/calendar.ics")
@requires(Permission.READ)
def meeting_ics(meeting_id: int):
    m = meeting_or_404(meeting_id)
    return calendar_export.ics_response([m], calendar_name=m.title, filename=f"asem-meeting-{m.id}.ics")


@bp.get("/feed/<token>.ics")
@public
def calendar_feed(token: str):
    """A personal subscription URL: the token is the credential, so only that user's meetings appear."""
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)
    query = visibility.visible_meetings(sa.select(Meeting), user).order_by(Meeting.start_date.desc()).limit(500)
    meetings_list = db.session.scalars(query)
    return calendar_export.ics_response(meetings_list, calendar_name="ASEM meetings", filename="asem-meetings.ics")


@bp.route("/calendar", methods=["GET", "POST"])
@requires(Permission.READ)
def calendar_settings():
    feed_url = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if request.form.get("action") == "revoke":
            feeds.revoke(current_user, actor=current_user)
            flash("Your calendar address no longer works.", "success")
        else:
            token = feeds.create(current_user, actor=current_user)
            feed_url = external_url("agenda.calendar_feed", token=token)
        db.session.commit()
    return render_template("agenda/calendar.html", feed=feeds.active_feed(current_user), feed_url=feed_url)
