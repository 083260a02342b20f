"""Minutes and action points: writing, adopting and printing minutes, recording and closing action points."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.agenda import minutes, tree, visibility
from secretariat.agenda.forms import ActionPointForm
from secretariat.agenda.views.blueprint import bp, meeting_or_404
from secretariat.auth.choices import partner_choices
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.web.forms import ConfirmForm


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_minutes(meeting_id: int):
    m = meeting_or_404(meeting_id)
    current = minutes.get_minutes(m)
    nodes = tree.agenda_nodes(m.id)
    outcomes = minutes.outcomes_by_item(current)
    ap_form = ActionPointForm(formdata=None)
    ap_form.partner.choices = partner_choices("Choose a partner")
    ap_form.item_id.choices = [SelectChoice("", "The meeting as a whole")] + [
        SelectChoice(str(n.item.id), f"{n.number} {n.item.title}") for n in nodes
    ]
    if request.method == "POST":
        summary = request.form.get("summary", "")
        decisions = {
            int(key.removeprefix("decision-")): value
            for key, value in request.form.items()
            if key.startswith("decision-") and key.removeprefix("decision-").isdigit()
        }
        try:
            minutes.save_minutes(
                m,
                summary=summary,
                decisions=decisions,
                expected_version=request.form.get("version", type=int) or 0,
                actor=current_user,
            )
        except minutes.MinutesConflict as conflict:
            db.session.rollback()
            current = minutes.get_minutes(m)
            return render_template(
                "agenda/minutes_form.html",
                meeting=m,
                minutes=current,
                nodes=nodes,
                outcomes=minutes.outcomes_by_item(current),
                submitted=conflict.submitted,
                conflict=True,
                ap_form=ap_form,
                action_points=minutes.action_points(m),
            ), 409
        except minutes.MinutesRefused as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return redirect(url_for("agenda.meeting", meeting_id=m.id))
        db.session.commit()
        flash("Minutes saved.", "success")
        return redirect(url_for("agenda.edit_minutes", meeting_id=meeting_id))
    return render_template(
        "agenda/minutes_form.html",
        meeting=m,
        minutes=current,
        nodes=nodes,
        outcomes=outcomes,
        submitted=None,
        conflict=False,
        ap_form=ap_form,
        action_points=minutes.action_points(m),
    )


@bp.post("/<int:meeting_id>/minutes/adopt")
@requires(Permission.COORDINATE)
def adopt_minutes(meeting_id: int):
    m = meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        minutes.adopt(m, actor=current_user)
    except minutes.MinutesRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("agenda.edit_minutes", meeting_id=m.id))
    db.session.commit()
    flash("Minutes adopted and frozen.", "success")
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + "#minutes")


@bp.get("/<int:meeting_id>/minutes/print")
@requires(Permission.READ)
def print_minutes(meeting_id: int):
    m = meeting_or_404(meeting_id)
    current = minutes.get_minutes(m)
    if not minutes.can_read_minutes(current_user, current):
        abort(404)
    return render_template(
        "agenda/minutes_print.html",
        meeting=m,
        minutes=current,
        nodes=tree.agenda_nodes(m.id),
        outcomes=minutes.outcomes_by_item(current),
        action_points=minutes.action_points(m),
    )


@bp.post("/<int:meeting_id>/action-points")
@requires(Permission.COORDINATE)
def add_action_point(meeting_id: int):
    m = meeting_or_404(meeting_id)
    form = ActionPointForm()
    form.partner.choices = partner_choices("Choose a partner")
    form.item_id.choices = [SelectChoice("", "")] + [
        SelectChoice(str(n.item.id), n.number) for n in tree.agenda_nodes(m.id)
    ]
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {errors[0]}", "error")
        return redirect(url_for("agenda.edit_minutes", meeting_id=m.id) + "#action-points")
    try:
        minutes.add_action_point(
            m,
            text=form.text.data,
            partner_code=form.partner.data,
            due=form.due_date.data,
            item_id=int(form.item_id.data) if form.item_id.data else None,
            actor=current_user,
        )
    except minutes.MinutesRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Action point added.", "success")
    return redirect(url_for("agenda.edit_minutes", meeting_id=meeting_id) + "#action-points")


@bp.post("/action-points/<int:point_id>/done")
@requires(Permission.CONTRIBUTE)
def action_point_done(point_id: int):
    point = minutes.get_action_point(point_id, current_user)
    visibility.require_meeting(current_user, point.meeting)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    minutes.mark_done(point, actor=current_user)
    db.session.commit()
    flash("Action point marked as done.", "success")
    target = request.form.get("back", "")
    return redirect(
        url_for("core.home") if target == "home" else url_for("agenda.meeting", meeting_id=point.meeting_id)
    )
