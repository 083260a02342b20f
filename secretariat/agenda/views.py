"""Meeting and agenda pages. Each view parses the request, calls a service, then renders or redirects."""

from __future__ import annotations

import io
import json
from datetime import datetime, time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from secretariat import csv_safe
from secretariat.agenda import (
    calendar_export,
    compare,
    feeds,
    fragments,
    items,
    links,
    meeting_list,
    meeting_page,
    minutes,
    proposals,
    services,
    tree,
    visibility,
)
from secretariat.agenda.forms import (
    ActionPointForm,
    AsOfForm,
    DeclineForm,
    ItemForm,
    MeetingForm,
    MoveForm,
    ProposalForm,
    TransitionForm,
)
from secretariat.agenda.models import ItemType, Meeting, MeetingStatus
from secretariat.archive import queries as archive_queries
from secretariat.archive.models import RecordType
from secretariat.auth.choices import partner_choices, partner_names
from secretariat.auth.models import Partner
from secretariat.auth.permissions import Permission, public, requires
from secretariat.extensions import db
from secretariat.external_links import external_url
from secretariat.programme import services as programme_services
from secretariat.timeutil import UTC, utcnow
from secretariat.web.forms import ConfirmForm

bp = Blueprint("agenda", __name__)


# --- helpers --------------------------------------------------------------------------------


def _meeting(meeting_id: int) -> Meeting:
    return visibility.require_meeting(current_user, db.session.get(Meeting, meeting_id))


# Core statements on the table (no ORM work per execution): these run on most agenda pages.
_PARTNERS = Partner.__table__


_PARTNER_NAMES = sa.select(_PARTNERS.c.code, _PARTNERS.c.name)


def _partner_names() -> dict[str, str]:
    return dict(db.session.connection().execute(_PARTNER_NAMES).all())


_with_slots = fragments.with_slots


def _draft_items(meeting: Meeting) -> list[dict]:
    return _with_slots(meeting, tree.draft_items(meeting.id, include_notes=True))


def _version_items(meeting: Meeting, version) -> list[dict]:
    return fragments.version_items(meeting, version)


def _item_links(meeting: Meeting) -> links.ItemControls:
    """The controls of each item on the meeting page, for any item id (see links.py)."""
    return links.ItemControls(meeting.id)


class _RecordTypeLabels(dict):
    """Label of each record type, by value: what ``record.type_enum.label`` gives, without an enum per row.

    A value that is not a record type raises as type_enum did (ValueError, which Jinja does not swallow).
    """

    def __missing__(self, value: str) -> str:
        return RecordType(value).label


_RECORD_TYPE_LABELS = _RecordTypeLabels({t.value: t.label for t in RecordType})


def _documents(meeting: Meeting, user) -> Markup | None:
    """The list of the meeting's documents the user may open (None when there are none)."""
    documents = archive_queries.records_of_meeting(meeting.id, user)
    if not documents:
        return None
    return fragments.documents_list(documents, links.UrlPattern("archive.record", "record_id"), _RECORD_TYPE_LABELS)


def _require_coordinator() -> None:
    if not visibility.is_coordinator(current_user):
        abort(403)


# --- meeting lists ---------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.READ)
def meetings():
    filters = services.MeetingFilter.from_args(request.args)
    page = meeting_list.read_page(filters, utcnow().date(), current_user.role, request.args.get("page", 1, type=int))
    kinds = meeting_list.KIND_CHOICES
    return render_template(
        "agenda/meetings.html",
        page=page,
        meeting_rows=meeting_list.table_rows(page.items, links.UrlPattern("agenda.meeting", "meeting_id")),
        filters=filters,
        kind_options=links.kept_options(kinds, filters.kind),
        year_options=links.kept_options(tuple((y, y) for y in meeting_list.years()), filters.year),
        host_options=links.kept_options(partner_names(), filters.host),
    )


CSV_FIELDS = ["code", "title", "kind", "sector", "start_date", "end_date", "city", "host", "format", "status", "chair"]


@bp.get("/export.csv")
@requires(Permission.READ)
def export_csv():
    filters = services.MeetingFilter.from_args(request.args)
    rows = db.session.scalars(services.meeting_query(filters, utcnow().date(), current_user)).all()
    out = io.StringIO()
    writer = csv_safe.writer(out)
    writer.writerow(CSV_FIELDS)
    for m in rows:
        values = {name: getattr(m, name, None) for name in CSV_FIELDS}
        values["host"] = m.host.name if m.host else ""
        writer.writerow(values[name] for name in CSV_FIELDS)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="asem-meetings.csv"'},
    )


# --- one meeting ------------------------------------------------------------------------------


@bp.get("/<int:meeting_id>")
@requires(Permission.READ)
def meeting(meeting_id: int):
    row, current_minutes = meeting_page.meeting_with_minutes(meeting_id)
    m = visibility.require_meeting(current_user, row)
    # The user itself rather than the proxy: the checks below read it once per document and proposal.
    user = current_user._get_current_object()
    coordinator = visibility.is_coordinator(user)
    # Rows of the shown columns (see meeting_page.py); the snapshot only for a reader shown the version.
    latest = meeting_page.latest_version(m.id, with_snapshot=not coordinator)
    readable_minutes = current_minutes if minutes.can_read_minutes(user, current_minutes) else None
    outcomes = minutes.outcomes_by_item(readable_minutes)  # none to read: no query
    partner_names = _partner_names()
    editable = coordinator and visibility.agenda_editable(m)
    agenda_items = frozen = draft = None
    if coordinator:
        if editable:
            agenda_items = _draft_items(m)
        else:
            # A draft that can no longer change renders the same for every coordinator: cached.
            rows, leads = tree.draft_rows(m.id)
            draft = fragments.draft_agenda(m, rows, leads, partner_names, outcomes)
            agenda_items = rows  # the page asks only whether there are items
    elif visibility.partners_may_see_agenda(m) and latest is not None:
        # A frozen version renders the same for every partner reader: cached (see fragments.py).
        frozen = fragments.frozen_agenda(m, latest, partner_names, outcomes if readable_minutes else None)
    urls = links.meeting_urls(m.id)
    return render_template(
        "agenda/meeting.html",
        meeting=m,
        urls=urls,
        nav=links.meeting_nav(urls, "agenda.meeting"),
        coordinator=coordinator,
        editable=editable,
        item_links=_item_links(m) if editable else None,
        agenda_items=agenda_items,
        frozen=frozen,
        draft=draft,
        latest=latest,
        transitions=services.available_transitions(m) if coordinator else [],
        proposals=meeting_page.proposals_for(m.id, user),
        proposals_open=visibility.proposals_open(m),
        partner_names=partner_names,
        minutes=readable_minutes,
        outcomes=outcomes,
        action_points=meeting_page.action_points(m.id, user, current_minutes),
        may_close=lambda p: minutes.may_close(user, p),
        mandated=programme_services.mandated_by(m),
        documents=_documents(m, user),
        ItemType=ItemType,
    )


def _meeting_form_data(form: MeetingForm) -> dict:
    data = {name: getattr(form, name).data for name in services.MEETING_FIELDS}
    data["sector"] = data["sector"] or None
    return data


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def create_meeting():
    form = MeetingForm()
    form.host.choices = partner_choices("No host / not decided")
    if form.validate_on_submit():
        m = services.create_meeting(_meeting_form_data(form), actor=current_user)
        created = m.id  # read before the commit, which expires it (reading after reloads it)
        db.session.commit()
        flash("Meeting created. Add its agenda items below.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=created))
    return render_template("agenda/meeting_form.html", form=form, meeting=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_meeting(meeting_id: int):
    m = _meeting(meeting_id)
    if request.method == "GET":
        initial = {name: getattr(m, name) for name in services.MEETING_FIELDS if name != "host"}
        form = MeetingForm(data={**initial, "host": m.host.code if m.host else "", "version": m.version})
    else:
        form = MeetingForm()
    form.host.choices = partner_choices("No host / not decided")
    if form.validate_on_submit():
        try:
            changes = services.update_meeting(
                m, _meeting_form_data(form), expected_version=int(form.version.data or 0), actor=current_user
            )
        except services.MeetingConflict as conflict:
            db.session.rollback()
            form.version.data = str(m.version)
            return render_template("agenda/meeting_form.html", form=form, meeting=m, conflict=conflict), 409
        db.session.commit()
        flash("Meeting saved." if changes else "Nothing was changed.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
    return render_template("agenda/meeting_form.html", form=form, meeting=m), (400 if request.method == "POST" else 200)


@bp.post("/<int:meeting_id>/status")
@requires(Permission.COORDINATE)
def change_status(meeting_id: int):
    m = _meeting(meeting_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = services.change_status(m, form.target.data, actor=current_user, note=form.note.data or "")
    except services.TransitionRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
    db.session.commit()
    message = f"The meeting is now: {MeetingStatus(m.status).label}."
    if version is not None:
        message += f" Version v{version.number} of the agenda is frozen and visible to partners."
    flash(message, "success")
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id))


# --- agenda items -----------------------------------------------------------------------------


def _item_form(meeting: Meeting, formdata=True, **data) -> ItemForm:
    form = ItemForm(**({"formdata": None} if not formdata else {}), data=data or None)
    form.lead_partners.choices = partner_choices()
    return form


@bp.route("/<int:meeting_id>/items/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def add_item(meeting_id: int):
    m = _meeting(meeting_id)
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
            flash(_refusal(refused), "error")
        else:
            added, title = item.id, item.title  # read before the commit, which expires them (reading after reloads)
            db.session.commit()
            flash(f"Item “{title}” added.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{added}")
    return render_template("agenda/item_form.html", form=form, meeting=m, item=None), (
        400 if request.method == "POST" else 200
    )


def _refusal(exc: Exception) -> str:
    if isinstance(exc, items.AgendaLocked):
        return "The agenda can no longer be changed: it has been adopted."
    return str(exc)


@bp.route("/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_item(meeting_id: int, item_id: int):
    m = _meeting(meeting_id)
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
            flash(_refusal(refused), "error")
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
    base = conflict.base or {}
    rows = []
    for key, label in FIELD_LABELS.items():
        theirs = conflict.current.get(key)
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
    m = _meeting(meeting_id)
    item = items.get_item(m, item_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            items.delete_item(m, item, actor=current_user)
        except items.AgendaLocked as refused:
            db.session.rollback()
            flash(_refusal(refused), "error")
        else:
            db.session.commit()
            flash("Item removed. Frozen versions and the revision history still hold it.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
    node = next(n for n in tree.agenda_nodes(m.id) if n.item.id == item.id)
    return render_template("agenda/item_delete.html", meeting=m, node=node)


@bp.post("/<int:meeting_id>/items/<int:item_id>/move")
@requires(Permission.COORDINATE)
def move_item(meeting_id: int, item_id: int):
    m = _meeting(meeting_id)
    item = items.get_item(m, item_id)
    form = MoveForm()
    if not form.validate_on_submit() or form.action.data not in {"up", "down", "indent", "outdent", "position"}:
        abort(400)
    try:
        label = items.move_item(m, item, form.action.data, actor=current_user, target=form.target.data or "")
    except (items.MoveRefused, items.AgendaLocked) as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
    else:
        db.session.commit()
        flash(f"Item “{item.title}” is now number {label}.", "success")
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{item_id}")


# --- versions, comparison, history ----------------------------------------------------------------


@bp.get("/<int:meeting_id>/versions")
@requires(Permission.READ)
def versions(meeting_id: int):
    m = _meeting(meeting_id)
    coordinator = visibility.is_coordinator(current_user)
    visible_versions = services.versions(m) if coordinator or visibility.partners_may_see_agenda(m) else []
    return render_template(
        "agenda/versions.html",
        meeting=m,
        versions=visible_versions,
        revisions=services.revisions(m) if coordinator else [],
        as_of_form=AsOfForm(request.args),
    )


@bp.get("/<int:meeting_id>/versions/<int:number>")
@requires(Permission.READ)
def version(meeting_id: int, number: int):
    m = _meeting(meeting_id)
    v = services.get_version(m, number)
    if v is None or not (visibility.is_coordinator(current_user) or visibility.partners_may_see_agenda(m)):
        abort(404)
    return render_template(
        "agenda/version.html",
        meeting=m,
        version=v,
        agenda_items=_version_items(m, v),
        partner_names=_partner_names(),
        verified=tree.sha256(v.snapshot) == v.snapshot_sha256,
    )


def _version_number(spec: str) -> int | None:
    spec = (spec or "").strip().lower()
    return int(spec[1:]) if spec.startswith("v") and spec[1:].isdigit() else None


def _resolve_side(m: Meeting, spec: str, frozen: dict) -> fragments.Side | None:
    """ "v3" → that frozen version (from ``frozen``); "draft" → the working agenda (coordinators only)."""
    if (spec or "").strip().lower() == "draft" and visibility.is_coordinator(current_user):
        return fragments.Side("Current draft", None, tree.draft_items(m.id, include_notes=False))
    v = frozen.get(_version_number(spec))
    if v is not None:
        return fragments.Side(f"v{v.number} ({v.kind}, {v.frozen_at:%d %b %Y %H:%M} UTC)", v, None)
    return None


@bp.get("/<int:meeting_id>/compare")
@requires(Permission.READ)
def compare_versions(meeting_id: int):
    m = visibility.require_meeting(current_user, meeting_page.meeting(meeting_id))
    may_see_versions = visibility.is_coordinator(current_user) or visibility.partners_may_see_agenda(m)
    numbers = services.version_numbers(m) if may_see_versions else []
    options = [f"v{n}" for n in numbers] + (["draft"] if visibility.is_coordinator(current_user) else [])
    default_to = options[-1] if options else ""
    default_from = options[-2] if len(options) > 1 else default_to
    old_spec = request.args.get("from", default_from)
    new_spec = request.args.get("to", default_to)
    # Both sides in one query, whether or not their comparison is cached: the same queries every time.
    wanted = {n for n in (_version_number(old_spec), _version_number(new_spec)) if n is not None}
    frozen = services.versions_numbered(m, wanted) if may_see_versions else {}
    old, new = _resolve_side(m, old_spec, frozen), _resolve_side(m, new_spec, frozen)
    changes_html = summary = None
    if old and new:
        changes_html, summary = fragments.comparison_html(old, new)
    elif options and request.args:
        flash("Choose two versions that exist.", "error")
    urls = links.meeting_urls(m.id)
    return render_template(
        "agenda/compare.html",
        meeting=m,
        urls=urls,
        nav=links.meeting_nav(urls, "agenda.compare_versions"),
        options=options,
        old_spec=old_spec,
        new_spec=new_spec,
        old_label=old.label if old else "",
        new_label=new.label if new else "",
        changes_html=changes_html,
        summary=summary,
    )


@bp.get("/<int:meeting_id>/as-of")
@requires(Permission.READ)
def as_of(meeting_id: int):
    m = _meeting(meeting_id)
    form = AsOfForm(request.args)
    if not form.validate():
        return render_template("agenda/as_of.html", meeting=m, form=form, agenda_items=None), 400
    moment = datetime.combine(form.date.data, form.time.data or time(23, 59, 59), tzinfo=UTC)
    source = None
    agenda_items = None
    if visibility.is_coordinator(current_user):
        revision = services.revision_as_of(m, moment)
        if revision is not None:
            source = f"revision {revision.number} of {revision.created_at:%d %b %Y %H:%M} UTC ({revision.summary})"
            agenda_items = _with_slots(m, json.loads(revision.snapshot)["items"])
    else:
        v = services.version_as_of(m, moment) if visibility.partners_may_see_agenda(m) else None
        if v is not None:
            source = f"version v{v.number} frozen on {v.frozen_at:%d %b %Y %H:%M} UTC"
            agenda_items = _version_items(m, v)
    return render_template(
        "agenda/as_of.html",
        meeting=m,
        form=form,
        moment=moment,
        source=source,
        agenda_items=agenda_items,
        partner_names=_partner_names(),
    )


@bp.get("/<int:meeting_id>/print")
@requires(Permission.READ)
def print_agenda(meeting_id: int):
    m = _meeting(meeting_id)
    latest = services.latest_version(m)
    if visibility.is_coordinator(current_user) and request.args.get("draft"):
        agenda_items, label = _draft_items(m), "Draft — not circulated"
        for entry in agenda_items:
            entry.pop("coordinator_notes", None)
    elif latest is not None and (visibility.is_coordinator(current_user) or visibility.partners_may_see_agenda(m)):
        agenda_items, label = _version_items(m, latest), f"Version v{latest.number} ({latest.kind})"
    else:
        abort(404)
    return render_template(
        "agenda/print.html", meeting=m, agenda_items=agenda_items, label=label, partner_names=_partner_names()
    )


# --- proposals --------------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/propose", methods=["GET", "POST"])
@requires(Permission.CONTRIBUTE)
def propose(meeting_id: int):
    m = _meeting(meeting_id)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            proposals.propose(m, form.data, actor=current_user)
        except proposals.ProposalRefused as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            db.session.commit()
            flash("Your proposal was sent to the coordinators. Its outcome will show on the meeting page.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + "#proposals")
    if not visibility.proposals_open(m):
        flash("Items can be proposed only while the agenda is in drafting or circulated.", "error")
    return render_template("agenda/propose.html", form=form, meeting=m), (400 if request.method == "POST" else 200)


@bp.post("/<int:meeting_id>/proposals/<int:proposal_id>/accept")
@requires(Permission.COORDINATE)
def accept_proposal(meeting_id: int, proposal_id: int):
    m = _meeting(meeting_id)
    proposal = proposals.get_proposal(m, proposal_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        item = proposals.accept(m, proposal, actor=current_user)
    except (proposals.ProposalRefused, items.AgendaLocked, items.MoveRefused) as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(url_for("agenda.meeting", meeting_id=m.id) + "#proposals")
    added, title = item.id, item.title  # read before the commit, which expires them (reading after reloads)
    db.session.commit()
    flash(f"Proposal accepted: “{title}” is now on the agenda.", "success")
    return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{added}")


@bp.route("/<int:meeting_id>/proposals/<int:proposal_id>/decline", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def decline_proposal(meeting_id: int, proposal_id: int):
    m = _meeting(meeting_id)
    proposal = proposals.get_proposal(m, proposal_id, current_user)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            proposals.decline(m, proposal, form.reason.data, actor=current_user)
        except proposals.ProposalRefused as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            db.session.commit()
            flash("Proposal declined; the proposer sees your reason.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + "#proposals")
    return render_template("agenda/decline.html", form=form, meeting=m, proposal=proposal), (
        400 if request.method == "POST" else 200
    )


# --- minutes and action points -------------------------------------------------------------------


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_minutes(meeting_id: int):
    m = _meeting(meeting_id)
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
    m = _meeting(meeting_id)
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
    m = _meeting(meeting_id)
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
    m = _meeting(meeting_id)
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


# --- calendars --------------------------------------------------------------------------------


@bp.get("/<int:meeting_id>/calendar.ics")
@requires(Permission.READ)
def meeting_ics(meeting_id: int):
    m = _meeting(meeting_id)
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
