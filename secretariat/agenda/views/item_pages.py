"""Agenda items: adding, editing (with the conflict page), removing and moving them."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat.agenda import compare, items, tree
from secretariat.agenda.forms import ItemForm, MoveForm
from secretariat.agenda.models import Meeting
from secretariat.agenda.views.blueprint import bp, meeting_or_404, refusal
from secretariat.auth.choices import partner_choices_by_side
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.web.forms import ConfirmForm


def _item_form(meeting: Meeting, formdata=True, **data) -> ItemForm:
    form = ItemForm(**({"formdata": None} if not formdata else {}), data=data or None)
    form.lead_partners.choices = partner_choices_by_side()
    return form


@bp.route("/<int:meeting_id>/items/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def add_item(meeting_id: int):
    m = meeting_or_404(meeting_id)
    form = _item_form(m)
    parent_id = request.values.get("parent_id", type=int)
    if parent_id is not None:
        items.get_item(m, parent_id)
        form.parent_id.data = str(parent_id)
    if form.validate_on_submit():
        try:
            item = items.add_item(m, form.item_data(), actor=current_user, parent_id=parent_id)
        except (items.AgendaLocked, items.MoveRefused) as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
        else:
            added, title = item.id, item.title  # read before the commit, which expires them (reading after reloads)
            db.session.commit()
            flash(f"Item “{title}” added.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{added}")
    return render_template("agenda/item_form.html", form=form, meeting=m, item=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_item(meeting_id: int, item_id: int):
    m = meeting_or_404(meeting_id)
    item = items.get_item(m, item_id)
    if request.method == "GET":
        state = items.item_state(item)
        state["fixed_start"] = item.fixed_start
        form = _item_form(m, formdata=False, **state, version=item.version)
    else:
        form = _item_form(m)
    if form.validate_on_submit():
        try:
            items.update_item(
                m, item, form.item_data(), expected_version=int(form.version.data or 0), actor=current_user
            )
        except items.EditConflict as conflict:
            db.session.rollback()
            item = items.get_item(m, item_id)
            form.version.data = str(item.version)
            return render_template(
                "agenda/item_form.html",
                form=form,
                meeting=m,
                item=item,
                conflict=conflict,
                changes=_conflict_changes(conflict),
            ), 409
        except items.AgendaLocked as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
            return redirect(url_for("agenda.meeting", meeting_id=m.id))
        db.session.commit()
        flash("Item saved.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{item_id}")
    return render_template("agenda/item_form.html", form=form, meeting=m, item=item), (
        400 if request.method == "POST" else 200
    )


FIELD_LABELS = {
    "title": "Title",
    "item_type": "Type",
    "description_source": "Description",
    "presenter": "Presenter",
    "lead_partners": "Lead partners",
    "duration_minutes": "Duration (minutes)",
    "fixed_start": "Fixed start",
    "coordinator_notes": "Notes for coordinators",
}


def _conflict_changes(conflict: items.EditConflict) -> list[dict]:
    """What the other person changed (base → current), and what this person typed, field by field."""
    base, current = conflict.base or {}, conflict.current
    rows = []
    for key, label in FIELD_LABELS.items():
        theirs = current.get(key)
        before = base.get(key, theirs)
        mine = conflict.submitted.get(key)
        if isinstance(mine, datetime):
            mine = mine.isoformat(timespec="minutes")
        if before == theirs and mine == theirs:
            continue
        text = lambda v: ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v))  # noqa: E731
        rows.append(
            {
                "label": label,
                "other_changed": before != theirs,
                "diff": compare.word_diff(text(before), text(theirs)),
                "theirs": text(theirs),
                "mine": text(mine),
            }
        )
    return rows


@bp.route("/<int:meeting_id>/items/<int:item_id>/delete", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def delete_item(meeting_id: int, item_id: int):
    m = meeting_or_404(meeting_id)
    item = items.get_item(m, item_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            items.delete_item(m, item, actor=current_user)
        except items.AgendaLocked as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
        else:
            db.session.commit()
            flash("Item removed. Frozen versions and the revision history still hold it.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
    node = next(n for n in tree.agenda_nodes(m.id) if n.item.id == item.id)
    return render_template("agenda/item_delete.html", meeting=m, node=node)


@bp.post("/<int:meeting_id>/items/<int:item_id>/move")
@requires(Permission.COORDINATE)
def move_item(meeting_id: int, item_id: int):
    m = meeting_or_404(meeting_id)
    item = items.get_item(m, item_id)
    form = MoveForm()
    if not form.validate_on_submit() or form.action.data not in {"up", "down", "indent", "outdent", "position"}:
        abort(400)
    try:
        label = items.move_item(m, item, form.action.data, actor=current_user, target=form.target.data or "")
    except (items.MoveRefused, items.AgendaLocked) as refused:
        db.session.rollback()
        flash(refusal(refused), "error")
    else:
        db.session.commit()
        flash(f"Item “{item.title}” is now number {label}.", "success")
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{item_id}")
