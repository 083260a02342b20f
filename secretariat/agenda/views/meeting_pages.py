"""The meeting list, its CSV export, a meeting's page, and creating and editing meetings."""

from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat import csv_safe
from secretariat.agenda import confirmations, minutes, proposals, queries, services, visibility
from secretariat.agenda.forms import MeetingForm, TransitionForm
from secretariat.agenda.models import MeetingKind, MeetingStatus
from secretariat.agenda.views import agenda_cache
from secretariat.agenda.views.blueprint import bp, meeting_or_404
from secretariat.archive import queries as archive_queries
from secretariat.archive.models import RecordType
from secretariat.auth.choices import partner_choices, partner_names
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.programme import services as programme_services
from secretariat.timeutil import utcnow
from secretariat.web import confirm, merge


@bp.get("/")
@requires(Permission.READ)
def meetings():
    filters = services.MeetingFilter.from_args(request.args)
    page = queries.meeting_list(filters, utcnow().date(), current_user, request.args.get("page", 1, type=int))
    return render_template(
        "agenda/meetings.html",
        page=page,
        filters=filters,
        kinds=[(k.value, k.label) for k in MeetingKind],
        years=[(year, year) for year in queries.meeting_years()],
        hosts=partner_names(),
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


#: what the meeting page's document list says for each record type
RECORD_TYPE_LABELS = {record_type.value: record_type.label for record_type in RecordType}


@bp.get("/<int:meeting_id>")
@requires(Permission.READ)
def meeting(meeting_id: int):
    m = visibility.require_meeting(current_user, queries.meeting_with_minutes(meeting_id, current_user.id))
    # The user itself rather than the proxy: the checks below read it once per document and proposal.
    user = current_user._get_current_object()
    coordinator = visibility.is_coordinator(user)
    # Coordinators see the working draft: the latest version's snapshot is of no use to them.
    latest = queries.latest_version(m, with_snapshot=not coordinator)
    readable_minutes = m.minutes if minutes.can_read_minutes(user, m.minutes) else None
    outcomes = minutes.outcomes_by_item(readable_minutes)
    names = dict(partner_names())
    agenda = None
    editable = coordinator and visibility.agenda_editable(m)
    if coordinator:
        agenda = agenda_cache.draft(m, editable=editable, partner_names=names, outcomes=outcomes)
    elif visibility.partners_may_see_agenda(m) and latest is not None:
        agenda = agenda_cache.version(m, latest, partner_names=names, outcomes=outcomes if readable_minutes else None)
    may_read_action_points = minutes.can_read_action_points(user, m.minutes)
    transitions = services.available_transitions(m) if coordinator else []
    return render_template(
        "agenda/meeting.html",
        meeting=m,
        coordinator=coordinator,
        editable=editable,
        agenda=agenda,
        latest=latest,
        transitions=transitions,
        confirmations=_confirmations(m, transitions, latest.number if latest else 0),
        proposals=proposals.visible_proposals(m, user),
        proposals_open=visibility.proposals_open(m),
        minutes=readable_minutes,
        outcomes=outcomes,
        action_points=minutes.action_points(m) if may_read_action_points else [],
        may_close=lambda point: minutes.may_close(user, point),
        mandated=programme_services.mandated_by(m),
        documents=archive_queries.records_of_meeting(m.id, user),
        record_type_labels=RECORD_TYPE_LABELS,
    )


def _confirmations(m, transitions, latest: int) -> dict:
    """The dialogs of the transitions that ask first, by target (one count of the audience for all)."""
    asking = [
        t for t, _label in transitions if t.value in (MeetingStatus.CIRCULATED.value, MeetingStatus.ADOPTED.value)
    ]
    if not asking:
        return {}
    who = confirmations.audience(m)
    return {t.value: confirmations.status_change(m, t.value, who=who, latest=latest) for t in asking}


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


def _saved_meeting_form(m) -> MeetingForm:
    """The meeting form as it opens: the meeting's saved values."""
    initial = {name: getattr(m, name) for name in services.MEETING_FIELDS if name != "host"}
    form = MeetingForm(formdata=None, data={**initial, "host": m.host.code if m.host else "", "version": m.version})
    form.host.choices = partner_choices("No host / not decided")
    return form


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_meeting(meeting_id: int):
    m = meeting_or_404(meeting_id)
    if request.method == "GET":
        form = _saved_meeting_form(m)
    else:
        form = MeetingForm()
        form.host.choices = partner_choices("No host / not decided")
    key, labels = merge.object_key(m), {name: form[name].label.text for name in services.MEETING_FIELDS}
    if form.validate_on_submit():
        changes: list[dict] = []

        def save() -> None:
            data = _meeting_form_data(form)
            changes.append(
                services.update_meeting(m, data, expected_version=int(form.version.data or 0), actor=current_user)
            )

        def remerge() -> merge.Merge:
            nonlocal m
            db.session.rollback()
            m = meeting_or_404(meeting_id)
            form.version.data = str(m.version)
            return merge.merge_form(key, form, _saved_meeting_form(m), labels, audit_of=(m, ("meeting.update",)))

        done = merge.save_or_merge(key, save=save, remerge=remerge, conflict=services.MeetingConflict)
        if not done.saved:
            return render_template(
                "agenda/meeting_form.html", form=form, meeting=m, merge=done.merge, edit_base=done.merge.token()
            ), 409
        db.session.commit()
        if done.merge and done.merge.taken:
            flash(done.merge.summary(), "success")
        else:
            flash("Meeting saved." if changes and changes[-1] else "Nothing was changed.", "success")
        return redirect(url_for("agenda.meeting", meeting_id=meeting_id))
    edit_base = merge.carried(key, {name: form[name].data for name in labels})
    return render_template("agenda/meeting_form.html", form=form, meeting=m, edit_base=edit_base), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:meeting_id>/status", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def change_status(meeting_id: int):
    """Move the meeting on; circulating and adopting ask first (GET ?target=… shows that page)."""
    m = meeting_or_404(meeting_id)
    if request.method == "GET":
        available = {target.value for target, _label in services.available_transitions(m)}
        target = request.args.get("target", "")
        confirmation = confirmations.status_change(m, target) if target in available else None
        if confirmation is None:
            return redirect(url_for("agenda.meeting", meeting_id=m.id))
        return render_template("confirm.html", confirmation=confirmation)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    # Circulating and adopting tell every partner and freeze a version: they ask first.
    available = {target.value for target, _label in services.available_transitions(m)}
    asking = form.target.data in available and not confirm.confirmed()
    confirmation = confirmations.status_change(m, form.target.data, form.note.data or "") if asking else None
    if confirmation is not None:
        return render_template("confirm.html", confirmation=confirmation)
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
