"""Progress reports, reviews and comments; work programme periods; the changes since the last SOM."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.agenda.visibility import HIDDEN_MEETING, can_see_meeting
from secretariat.archive import files as archive_files
from secretariat.archive import services as archive
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.programme import queries, reports, services
from secretariat.programme.forms import CommentForm, ProgrammeForm, ReportForm
from secretariat.programme.views.blueprint import bp
from secretariat.web.forms import ConfirmForm


@bp.route("/initiatives/<int:initiative_id>/reports/new", methods=["GET", "POST"])
@requires(Permission.CONTRIBUTE)
def submit_report(initiative_id: int):
    item = services.get_initiative(initiative_id)
    if not reports.may_report(current_user, item):
        if request.method == "POST":
            # Forged or mistaken: the partner does not sponsor this initiative. Refuse and record it.
            reports.audit_refusal(reports.ReportForbidden(item), actor=current_user)
            db.session.commit()
        raise reports.ReportForbidden(item)
    form = ReportForm()
    own = services.milestones(item)
    form.milestones_done.choices = [SelectChoice(str(m.id), m.title) for m in own]
    if request.method == "GET":
        form.milestones_done.data = [str(m.id) for m in own if m.done]
    if form.validate_on_submit():
        try:
            attachments = [
                archive.prepare_upload(upload.filename, upload.read())
                for upload in form.attachments.data or []
                if getattr(upload, "filename", "")
            ]
            reports.submit_report(
                item,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                text=form.text.data,
                milestones_done={int(x) for x in form.milestones_done.data or []},
                actor=current_user,
                attachments=attachments,
            )
        except archive_files.FileRefused as refused:
            db.session.rollback()
            form.attachments.errors = [str(refused)]
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form.period_end.errors = [str(refused)]
        else:
            db.session.commit()
            flash("Progress report submitted.", "success")
            return redirect(url_for("programme.initiative", initiative_id=initiative_id) + "#reports")
    status = 400 if request.method == "POST" else 200
    return render_template("programme/report_form.html", form=form, initiative=item), status


@bp.post("/initiatives/<int:initiative_id>/reports/<int:report_id>/review")
@requires(Permission.COORDINATE)
def review_report(initiative_id: int, report_id: int):
    item = services.get_initiative(initiative_id)
    report = reports.get_report(item, report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reports.mark_reviewed(report, actor=current_user)
    except services.ProgrammeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Report marked as reviewed.", "success")
    return redirect(url_for("programme.initiative", initiative_id=initiative_id) + f"#report-{report_id}")


@bp.post("/initiatives/<int:initiative_id>/comments")
@requires(Permission.CONTRIBUTE)
def comment(initiative_id: int):
    item = services.initiative_alone(initiative_id)
    # Made before the commit, which expires the initiative: reading its id afterwards would load it again.
    back = url_for("programme.initiative", initiative_id=item.id) + "#comments"
    form = CommentForm()
    if not form.validate_on_submit():
        flash("Write a comment first.", "error")
        return redirect(back)
    report = reports.get_report(item, int(form.report_id.data)) if (form.report_id.data or "").isdigit() else None
    reports.add_comment(item, form.text.data, actor=current_user, report=report)
    db.session.commit()
    flash("Comment added.", "success")
    return redirect(back)


@bp.route("/programmes/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def create_programme():
    form = ProgrammeForm()
    if form.validate_on_submit():
        try:
            services.create_programme(form.title.data, form.start_year.data, form.end_year.data, actor=current_user)
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form.end_year.errors = [str(refused)]
        else:
            db.session.commit()
            flash("Work programme created.", "success")
            return redirect(url_for("programme.initiatives"))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/programme_form.html", form=form), status


@bp.get("/som-summary")
@requires(Permission.READ)
def som_summary():
    meetings = queries.soms()
    chosen = request.args.get("meeting", type=int)
    meeting = next((m for m in meetings if m.id == chosen), meetings[0] if meetings else None)
    result = queries.som_summary(meeting) if meeting else None
    return render_template(
        "programme/som_summary.html",
        meetings=meetings,
        result=result,
        can_see_meeting=can_see_meeting,
        hidden_meeting=HIDDEN_MEETING,
    )
