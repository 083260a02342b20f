"""Agenda items: adding, editing (with the conflict page), removing and moving them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat.agenda import bulk, items, tree
from secretariat.agenda.forms import BULK_HINT, BulkItemsForm, ItemForm, MoveForm
from secretariat.agenda.models import MAX_ITEM_DEPTH, Meeting
from secretariat.agenda.views.blueprint import bp, meeting_or_404, refusal
from secretariat.auth.choices import partner_choices_by_side
from secretariat.auth.permissions import Permission, requires
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.web import merge
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
    after_id = request.values.get("after_id", type=int)
    place = None
    if parent_id is not None:
        place = ("under", items.get_item(m, parent_id))
        form.parent_id.data = str(parent_id)
    elif after_id is not None:
        place = ("after", items.get_item(m, after_id))
        form.after_id.data = str(after_id)
    if form.validate_on_submit():
        try:
            item = items.add_item(m, form.item_data(), actor=current_user, parent_id=parent_id, after_id=after_id)
        except (items.AgendaLocked, items.MoveRefused) as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
        else:
            added, title = item.id, item.title  # read before the commit, which expires them (reading after reloads)
            db.session.commit()
            flash(f"Item “{title}” added.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{added}")
    return render_template(
        "agenda/item_form.html", form=form, meeting=m, item=None, place=place, numbers=_numbers(m) if place else {}
    ), (400 if request.method == "POST" else 200)


def _numbers(meeting: Meeting) -> dict[int, str]:
    """Each item's number, by id."""
    return {node.item.id: node.number for node in tree.agenda_nodes(meeting.id)}


def placement_choices(nodes: list[tree.Node], *, levels: int = 1) -> dict[str, list[tuple[str, str]]]:
    """Where new items can go, as a select's groups: the end, right after an item, or under one
    (``levels``: how many levels what goes there takes, so that nothing would end up too deep)."""
    return {
        "At the end": [("end", "At the end of the agenda")],
        "Right after the item": [(f"after:{n.item.id}", f"After {n.number} {n.item.title}") for n in nodes],
        "As the last sub-item of": [
            (f"under:{n.item.id}", f"Under {n.number} {n.item.title}")
            for n in nodes
            if n.depth + levels <= MAX_ITEM_DEPTH
        ],
    }


@bp.route("/<int:meeting_id>/items/bulk", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def add_items(meeting_id: int):
    """Several items typed one per line: "Preview" shows how they will be read, "Add the items" saves them."""
    m = meeting_or_404(meeting_id)
    nodes = tree.agenda_nodes(m.id)
    form = BulkItemsForm()
    form.placement.choices = placement_choices(nodes)
    if request.method == "GET":
        form.placement.data = request.args.get("placement", "end")
    lines = None
    if form.validate_on_submit():
        try:
            parent_id, after_id = items.placement(m, form.placement.data)
        except (items.MoveRefused, NotFound):
            form.placement.errors.append("Choose where the items go from the list.")
        else:
            parent = next((n for n in nodes if n.item.id == (parent_id or after_id)), None)
            levels = MAX_ITEM_DEPTH - ((parent.depth if parent_id else parent.depth - 1) if parent else 0)
            lines = bulk.parse(form.lines.data, max_level=levels)
            form.lines.errors.extend(bulk.problems(lines))
            if not form.lines.errors and "save" in request.form:
                entries = [(line.level, line.item_data()) for line in lines]
                try:
                    added = items.add_items(m, entries, actor=current_user, parent_id=parent_id, after_id=after_id)
                except (items.AgendaLocked, items.MoveRefused) as refused:
                    db.session.rollback()
                    flash(refusal(refused), "error")
                    return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
                first, count = added[0].id, len(added)  # read before the commit, which expires them
                db.session.commit()
                flash(f"{count} item(s) added.", "success")
                return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{first}")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template(
        "agenda/items_bulk.html", form=form, meeting=m, lines=lines, hint=BULK_HINT, has_items=bool(nodes)
    ), status


def _saved_item_form(meeting: Meeting, item) -> ItemForm:
    """The item form as it opens: the item's saved values."""
    state = items.item_state(item)
    state["fixed_start"] = item.fixed_start
    return _item_form(meeting, formdata=False, **state, version=item.version)


@bp.route("/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_item(meeting_id: int, item_id: int):
    m = meeting_or_404(meeting_id)
    item = items.get_item(m, item_id)
    form = _saved_item_form(m, item) if request.method == "GET" else _item_form(m)
    key = merge.object_key(item)
    if form.validate_on_submit():

        def remerge() -> merge.Merge:
            nonlocal item
            db.session.rollback()
            item = items.get_item(m, item_id)
            return _merge_item(m, item, form)

        try:
            done = merge.save_or_merge(
                key, save=lambda: _save_item(m, item, form), remerge=remerge, conflict=items.EditConflict
            )
        except items.AgendaLocked as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
            return redirect(url_for("agenda.meeting", meeting_id=m.id))
        if not done.saved:
            node, siblings = _place(m, item)
            return render_template(
                "agenda/item_form.html",
                form=form,
                meeting=m,
                item=item,
                node=node,
                siblings=siblings,
                merge=done.merge,
                edit_base=done.merge.token(),
            ), 409
        db.session.commit()
        flash(done.merge.summary() if done.merge and done.merge.taken else "Item saved.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{item_id}")
    node, siblings = _place(m, item)
    return render_template(
        "agenda/item_form.html",
        form=form,
        meeting=m,
        item=item,
        node=node,
        siblings=siblings,
        edit_base=merge.carried(key, {name: form[name].data for name in FIELD_LABELS}),
    ), (400 if request.method == "POST" else 200)


def _save_item(meeting: Meeting, item, form: ItemForm) -> None:
    items.update_item(meeting, item, form.item_data(), expected_version=int(form.version.data or 0), actor=current_user)


def _merge_item(meeting: Meeting, item, form: ItemForm) -> merge.Merge:
    """Merge what this person submitted with the item as saved now; the form then holds the merge."""
    form.version.data = str(item.version)
    return merge.merge_form(
        merge.object_key(item),
        form,
        _saved_item_form(meeting, item),
        FIELD_LABELS,
        audit_of=(item, ("agenda.item.update",)),
    )


def _node(meeting: Meeting, item) -> tree.Node:
    """The item's place in the agenda (number, depth, sub-items) for its edit and remove pages."""
    return next(n for n in tree.agenda_nodes(meeting.id) if n.item.id == item.id)


def _place(meeting: Meeting, item) -> tuple[tree.Node, list[tree.Node]]:
    """The item's node and its siblings (itself included), for the moves its edit page offers."""

    def find(level: list[tree.Node]):
        for node in level:
            if node.item.id == item.id:
                return node, level
            found = find(node.children)
            if found:
                return found
        return None

    return find(tree.build_tree(tree.load_items(meeting.id)))


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
    node = _node(m, item)
    return render_template("agenda/item_delete.html", meeting=m, node=node, removed=tree.flatten([node]))


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
