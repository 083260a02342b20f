"""Initiatives: the list and its CSV, the import, a partner's page, one initiative and its edits."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.agenda.visibility import HIDDEN_MEETING, can_see_meeting
from secretariat.auth.choices import partner_choices, partner_choices_by_side, partner_names
from secretariat.auth.permissions import Permission, is_coordinator, requires
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.programme import csv_io, queries, reports, services
from secretariat.programme.forms import CommentForm, ImportForm, InitiativeForm, MilestoneForm, StatusForm
from secretariat.programme.models import STATUS_TRANSITIONS, InitiativeStatus, Milestone, Pillar
from secretariat.programme.views.blueprint import bp, meeting_choices
from secretariat.timeutil import utcnow
from secretariat.web import merge
from secretariat.web.forms import ConfirmForm

# --- lists ---------------------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.READ)
def initiatives():
    filters = queries.InitiativeFilter.from_args(request.args)
    return render_template(
        "programme/initiatives.html",
        page=queries.initiatives(filters, utcnow().date(), request.args.get("page", 1, type=int)),
        filters=filters,
        pillars=list(Pillar),
        statuses=list(InitiativeStatus),
        partners=partner_names(),
        programmes=queries.programmes(),
    )


@bp.get("/export.csv")
@requires(Permission.READ)
def export_csv():
    filters = queries.InitiativeFilter.from_args(request.args)
    return Response(
        csv_io.export(queries.initiatives_for_export(filters, utcnow().date()), current_user),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="asem-initiatives.csv"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def import_csv():
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        raw = form.file.data.read(5 * 1024 * 1024 + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors = ["The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."]
        else:
            result = csv_io.parse_and_import(text, actor=current_user)
            if result.errors:
                db.session.rollback()
            else:
                db.session.commit()
                flash(f"Imported: {result.created} new, {result.updated} updated.", "success")
                return redirect(url_for("programme.initiatives"))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/import.html", form=form, result=result, columns=csv_io.COLUMNS), status


@bp.get("/partner")
@bp.get("/partner/<code>")
@requires(Permission.READ)
def partner_view(code: str | None = None):
    """What a partner leads or co-sponsors and what is due."""
    partner = services.partner_by_code(code) if code else current_user.partner
    if partner is None:
        raise NotFound(f"partner {code}")
    return render_template(
        "programme/partner.html",
        partner=partner,
        programme=queries.partner_programme(partner, utcnow().date()),
        partners=queries.partners(),
    )


# --- one initiative ----------------------------------------------------------------------------


def _initiative_form(formdata=True, **data) -> InitiativeForm:
    form = InitiativeForm(**({"formdata": None} if not formdata else {}), data=data or None)
    form.lead_partner.choices = partner_choices("Choose the lead partner")
    form.co_sponsors.choices = partner_choices_by_side()
    form.programme_id.choices = [SelectChoice("", "None")] + [
        SelectChoice(str(p.id), p.title) for p in queries.programmes()
    ]
    form.mandate_meeting_id.choices = meeting_choices(current_user, "Not recorded")
    form.contacts.choices = [
        SelectChoice(str(u.id), f"{u.display_name} ({u.partner.code})") for u in queries.active_users()
    ]
    return form


@bp.route("/initiatives/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def create_initiative():
    form = _initiative_form()
    if form.validate_on_submit():
        try:
            initiative = services.create_initiative(form.initiative_data(), actor=current_user)
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form[refused.field or "code"].errors = [str(refused)]
        else:
            created = initiative.id  # read before the commit, which expires it (reading after reloads it)
            db.session.commit()
            flash("Initiative recorded as proposed.", "success")
            return redirect(url_for("programme.initiative", initiative_id=created))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/initiative_form.html", form=form, initiative=None), status


def _status_goals(initiative) -> list[InitiativeStatus]:
    """The statuses the initiative may move to, in the life cycle's order (a set's order varies)."""
    return sorted(STATUS_TRANSITIONS[InitiativeStatus(initiative.status)], key=list(InitiativeStatus).index)


@bp.get("/initiatives/<int:initiative_id>")
@requires(Permission.READ)
def initiative(initiative_id: int):
    item = queries.initiative(initiative_id)
    coordinator = is_coordinator(current_user)
    return render_template(
        "programme/initiative.html",
        initiative=item,
        reports=queries.reports(item),
        coordinator=coordinator,
        may_report=reports.may_report(current_user, item),
        status_goals=_status_goals(item) if coordinator else [],
        milestone_form=MilestoneForm(formdata=None) if coordinator else None,
        comment_form=CommentForm(formdata=None),
        today=utcnow().date(),
        now=utcnow(),
        can_see_meeting=can_see_meeting,
        hidden_meeting=HIDDEN_MEETING,
    )


def _saved_initiative_form(item) -> InitiativeForm:
    """The initiative form as it opens: the initiative's saved values."""
    state = services.initiative_state(item)
    # One dict: the state already names lead_partner and contacts (repeating them as keywords was a TypeError).
    return _initiative_form(
        formdata=False,
        **{
            **state,
            "start_date": item.start_date,
            "end_date": item.end_date,
            "mandate_meeting_id": str(item.mandate_meeting_id or ""),
            "programme_id": str(item.programme_id or ""),
            "contacts": [str(u.id) for u in item.contacts],
            "version": item.version,
        },
    )


#: the fields a conflict merges (web/merge.py), with the labels it shows
MERGED_FIELDS = (
    "code",
    "title",
    "pillar",
    "lead_partner",
    "co_sponsors",
    "programme_id",
    "start_date",
    "end_date",
    "mandate_meeting_id",
    "mandate_reference",
    "mandate_record_id",
    "contacts",
    "summary_source",
)


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_initiative(initiative_id: int):
    item = services.get_initiative(initiative_id)
    form = _saved_initiative_form(item) if request.method == "GET" else _initiative_form()
    key, labels = merge.object_key(item), {name: form[name].label.text for name in MERGED_FIELDS}
    if form.validate_on_submit():

        def save() -> None:
            data = form.initiative_data()
            services.update_initiative(item, data, expected_version=int(form.version.data or 0), actor=current_user)

        def remerge() -> merge.Merge:
            nonlocal item
            db.session.rollback()
            item = services.get_initiative(initiative_id)
            form.version.data = str(item.version)
            return merge.merge_form(
                key, form, _saved_initiative_form(item), labels, audit_of=(item, ("initiative.update",))
            )

        try:
            done = merge.save_or_merge(key, save=save, remerge=remerge, conflict=services.InitiativeConflict)
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form[refused.field or "code"].errors = [str(refused)]
        else:
            if not done.saved:
                return render_template(
                    "programme/initiative_form.html",
                    form=form,
                    initiative=item,
                    merge=done.merge,
                    edit_base=done.merge.token(),
                ), 409
            db.session.commit()
            flash(done.merge.summary() if done.merge and done.merge.taken else "Initiative saved.", "success")
            return redirect(url_for("programme.initiative", initiative_id=initiative_id))
    status = 400 if request.method == "POST" else 200
    edit_base = merge.carried(key, {name: form[name].data for name in labels})
    return render_template("programme/initiative_form.html", form=form, initiative=item, edit_base=edit_base), status


@bp.route("/initiatives/<int:initiative_id>/status", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def change_status(initiative_id: int):
    """Its own page: a status change is rare, and its meeting list (hundreds of meetings) would weigh on
    every reading of the initiative's page."""
    item = services.get_initiative(initiative_id)
    goals = _status_goals(item)
    if not goals:
        flash(f"{item.status_enum.label} is final: the status cannot change.", "error")
        return redirect(url_for("programme.initiative", initiative_id=item.id))
    form = StatusForm() if request.method == "POST" else StatusForm(data={"effective_date": utcnow().date()})
    form.status.choices = [SelectChoice(s.value, s.label) for s in goals]
    form.meeting_id.choices = meeting_choices(current_user, "No meeting", recent=True)
    if form.validate_on_submit():
        try:
            services.change_status(
                item,
                form.status.data,
                effective=form.effective_date.data,
                meeting_id=int(form.meeting_id.data) if form.meeting_id.data else None,
                note=form.note.data or "",
                actor=current_user,
            )
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form.status.errors = [str(refused)]
        else:
            status = item.status  # read before the commit, which expires the initiative (and would reload it)
            db.session.commit()
            flash(f"The initiative is now {status}.", "success")
            return redirect(url_for("programme.initiative", initiative_id=initiative_id))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/status_form.html", form=form, initiative=item), status


@bp.post("/initiatives/<int:initiative_id>/milestones")
@requires(Permission.COORDINATE)
def add_milestone(initiative_id: int):
    item = services.get_initiative(initiative_id)
    form = MilestoneForm()
    if form.validate_on_submit():
        services.add_milestone(
            item, title=form.title.data, kind=form.kind.data, due=form.due_date.data, actor=current_user
        )
        db.session.commit()
        flash("Milestone added.", "success")
    else:
        flash("A milestone needs a title (and a valid date, if any).", "error")
    return redirect(url_for("programme.initiative", initiative_id=initiative_id) + "#milestones")


@bp.post("/milestones/<int:milestone_id>/toggle")
@requires(Permission.COORDINATE)
def toggle_milestone(milestone_id: int):
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound(f"milestone {milestone_id}")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_milestone_done(milestone, not milestone.done, actor=current_user)
    initiative_id = milestone.initiative_id  # read before the commit, which expires it
    db.session.commit()
    return redirect(url_for("programme.initiative", initiative_id=initiative_id) + "#milestones")
