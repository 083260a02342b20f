"""Minutes and action points: writing, adopting and printing minutes, recording and closing action points."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.agenda import confirmations, minutes, tree, visibility
from secretariat.agenda.forms import ActionPointForm
from secretariat.agenda.views.blueprint import bp, meeting_or_404
from secretariat.auth.choices import partner_choices
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.web import confirm, merge
from secretariat.web.forms import ConfirmForm


def _action_point_form(nodes, formdata=None) -> ActionPointForm:
    form = ActionPointForm(formdata=formdata)
    # Part of the minutes' form: needed only to add an action point, which the server checks.
    form.text.flags.required = False
    form.partner.choices = partner_choices("Choose a partner")
    form.item_id.choices = [SelectChoice("", "The meeting as a whole")] + [
        SelectChoice(str(n.item.id), f"{n.number} {n.item.title}") for n in nodes
    ]
    return form


def _minutes_fields(nodes) -> dict[str, str]:
    """The fields of the minutes form and their labels, in page order (the merge's)."""
    labels = {"summary": "Summary of the meeting"}
    labels.update({f"decision-{n.item.id}": f"Outcome of {n.number} {n.item.title}" for n in nodes})
    return labels


def _saved_values(current, nodes) -> dict[str, str]:
    outcomes = minutes.outcomes_by_item(current)
    values = {"summary": current.summary_source if current else ""}
    for n in nodes:
        values[f"decision-{n.item.id}"] = outcomes[n.item.id].decision_source if n.item.id in outcomes else ""
    return values


def _minutes_key(meeting) -> str:
    return f"minutes-of-meeting:{meeting.id}"


#: what each button of the minutes form does once the minutes are saved
THEN_ACTION_POINT, THEN_ADOPT = "action-point", "adopt"


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_minutes(meeting_id: int):
    """One form for the minutes and their action points: every button saves what was typed first."""
    m = meeting_or_404(meeting_id)
    current = minutes.get_minutes(m)
    nodes = tree.agenda_nodes(m.id)
    labels = _minutes_fields(nodes)
    if request.method == "GET":
        return _minutes_page(m, current, nodes, _action_point_form(nodes), _saved_values(current, nodes), None)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    typed = {name: request.form.get(name, "") for name in labels}
    ap_form = _action_point_form(nodes, request.form)
    then = request.form.get("then", "")
    state = {"values": typed, "version": request.form.get("version", type=int) or 0}

    def save() -> None:
        minutes.save_minutes(
            m,
            summary=state["values"]["summary"],
            decisions={int(n.removeprefix("decision-")): v for n, v in state["values"].items() if n != "summary"},
            expected_version=state["version"],
            actor=current_user,
        )

    def remerge() -> merge.Merge:
        db.session.rollback()
        saved = minutes.get_minutes(m)
        state["version"] = saved.version if saved else 0
        outcome = merge.three_way(
            _minutes_key(m),
            labels=labels,
            theirs=_saved_values(saved, nodes),
            mine=typed,
            audit_of=(saved, ("minutes.update",)) if saved else None,
            aliases={f"decision-{n.item.id}": f"item {n.item.id}" for n in nodes},
        )
        state["values"] = outcome.values
        return outcome

    try:
        done = merge.save_or_merge(_minutes_key(m), save=save, remerge=remerge, conflict=minutes.MinutesConflict)
    except minutes.MinutesRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("agenda.meeting", meeting_id=m.id))
    if not done.saved:
        current = minutes.get_minutes(m)
        return _minutes_page(m, current, nodes, ap_form, state["values"], done.merge, version=state["version"]), 409
    notice = done.merge.summary() if done.merge and done.merge.taken else "Minutes saved."
    # An action point typed is saved too, whichever button was pressed; one with a mistake waits, shown.
    if then == THEN_ACTION_POINT or _action_point_typed(ap_form):
        if not _add_action_point(m, ap_form):
            db.session.commit()  # the minutes are saved; the action point waits for its corrections
            flash(notice, "success")
            return _minutes_page(m, minutes.get_minutes(m), nodes, ap_form, None, None), 400
        notice += " Action point added."
    if then == THEN_ADOPT:
        if confirm.confirmed():  # asked in the dialog (JavaScript): saved and adopted at once
            return _adopt(m)
        db.session.commit()
        flash(notice, "success")
        return redirect(url_for("agenda.adopt_minutes", meeting_id=m.id))
    db.session.commit()
    flash(notice, "success")
    anchor = "#action-points" if then == THEN_ACTION_POINT else ""
    return redirect(url_for("agenda.edit_minutes", meeting_id=meeting_id) + anchor)


def _action_point_typed(form: ActionPointForm) -> bool:
    due = form.due_date.raw_data[0] if form.due_date.raw_data else ""
    return bool((form.text.data or "").strip() or form.partner.data or due.strip())


def _add_action_point(m, form: ActionPointForm) -> bool:
    """Add the action point typed; False, with the form's errors, when it cannot be."""
    if not form.validate():
        return False
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
        form.text.errors = [*form.text.errors, str(refused)]
        return False
    return True


def _minutes_page(m, current, nodes, ap_form, values, outcome, version=None):
    values = values if values is not None else _saved_values(current, nodes)
    return render_template(
        "agenda/minutes_form.html",
        meeting=m,
        minutes=current,
        nodes=nodes,
        values=values,
        version=version if version is not None else (current.version if current else 0),
        merge=outcome,
        edit_base=outcome.token() if outcome else merge.stamp(_minutes_key(m), values),
        ap_form=ap_form,
        action_points=minutes.action_points(m),
        adopt_confirmation=confirmations.adopt_minutes(m),
    )


@bp.route("/<int:meeting_id>/minutes/adopt", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def adopt_minutes(meeting_id: int):
    """Adopting freezes the minutes and shows them to every partner: a confirmation page asks first."""
    m = meeting_or_404(meeting_id)
    current = minutes.get_minutes(m)
    if current is None or current.status != "draft":
        flash("There are no draft minutes to adopt.", "error")
        return redirect(url_for("agenda.edit_minutes", meeting_id=m.id))
    if request.method == "GET" or not confirm.confirmed():
        if request.method == "POST" and not ConfirmForm().validate_on_submit():
            abort(400)
        return render_template("confirm.html", confirmation=confirmations.adopt_minutes(m))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _adopt(m)


def _adopt(m):
    try:
        minutes.adopt(m, actor=current_user)
    except minutes.MinutesRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("agenda.edit_minutes", meeting_id=m.id))
    db.session.commit()
    flash("Minutes adopted and frozen.", "success")
    return redirect(url_for("agenda.meeting", meeting_id=m.id) + "#minutes")


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
