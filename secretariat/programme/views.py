"""Work programme pages: initiatives, reports, comments, the SOM summary and silence procedures."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from secretariat.agenda.links import UrlPattern, kept_options
from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import HIDDEN_MEETING, can_see_meeting_kind, visible_meetings
from secretariat.archive import files as archive_files
from secretariat.archive import services as archive
from secretariat.auth.choices import partner_choices, partner_names
from secretariat.auth.models import Partner, User
from secretariat.auth.permissions import Permission, is_coordinator, requires
from secretariat.extensions import db
from secretariat.programme import csv_io, initiative_list, initiative_page, reports, services, silence, summary
from secretariat.programme.forms import (
    CommentForm,
    ImportForm,
    InitiativeForm,
    MilestoneForm,
    PositionForm,
    ProgrammeForm,
    ReportForm,
    SilenceForm,
    StatusForm,
)
from secretariat.programme.models import (
    STATUS_TRANSITIONS,
    Initiative,
    InitiativeStatus,
    Milestone,
    Pillar,
    SilenceOutcome,
)
from secretariat.timeutil import utcnow
from secretariat.web.forms import ConfirmForm

bp = Blueprint("programme", __name__)


@bp.before_request
def settle_deadlines():
    """Deadlines that passed while nobody looked are decided before any programme page is shown."""
    # asked first with a cheap Core query: settle_due() reads whole procedures (and none is due nearly always)
    if current_user.is_authenticated and silence.any_due() and silence.settle_due():
        db.session.commit()


#: a status change is decided at a meeting near its date: the status form offers these years only
STATUS_MEETING_YEARS_BACK = 3


# Newest first, ordered here: visible_meetings() adds its condition (if any) to the built statement.
_MEETING_OPTIONS = sa.select(Meeting.id, Meeting.start_date, Meeting.code, Meeting.title).order_by(
    Meeting.start_date.desc()
)
_RECENT_MEETING_OPTIONS = _MEETING_OPTIONS.where(
    Meeting.start_date >= sa.bindparam("from_date", type_=sa.Date),
    Meeting.start_date <= sa.bindparam("to_date", type_=sa.Date),
)


def _meeting_rows(recent: bool) -> sa.Result:
    """Id, start date, code and title of the meetings the user may see, newest first."""
    # Only the four columns the option shows: every meeting is listed (thousands), so no full objects.
    params = {}
    if recent:  # 2,000 options made the coordinator's initiative page cost 150 ms (bench/pages.py)
        today = utcnow().date()
        params = {
            "from_date": today.replace(year=today.year - STATUS_MEETING_YEARS_BACK, day=1),
            "to_date": today.replace(year=today.year + 1, day=1),
        }
    query = visible_meetings(_RECENT_MEETING_OPTIONS if recent else _MEETING_OPTIONS, current_user)
    # Core rows on the session's connection: no ORM step for four plain columns.
    return db.session.connection().execute(query, params)


def _meeting_label(start, code, title) -> str:
    # isoformat() is the %Y-%m-%d of strftime for every year from 1000 on, at a fraction of the cost.
    return f"{start.isoformat()} {code or ''} {title}".replace("  ", " ")


def _meeting_choices(blank: str, recent: bool = False) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [
        SelectChoice(str(meeting_id), _meeting_label(start, code, title))
        for meeting_id, start, code, title in _meeting_rows(recent)
    ]


def _meeting_options(blank: str) -> Markup:
    """The <option>s of the status form's meeting list (recent meetings), as PlainOptionsSelect prints them.

    None selected, as in an unbound form. The rows are read on every request; the HTML made of them
    is kept in the process, keyed by those rows themselves (and the blank choice): any change to a
    listed meeting, or to which meetings are listed, makes a new key, so the list is never stale.
    Nothing about the viewer is in it but which meetings they may see, and that is in the key too.
    One entry per application (every coordinator sees the same list): a new key replaces it.
    """
    # Plain tuples: hashing and comparing them is C work (comparing Rows cost 0.4 ms for 250).
    key = (blank, tuple(map(tuple, _meeting_rows(recent=True).all())))
    cached = current_app.extensions.get(_OPTIONS_CACHE)
    if cached is not None and cached[0] == key:
        return cached[1]
    html = _options_html(blank, key[1])
    current_app.extensions[_OPTIONS_CACHE] = (key, html)  # one assignment: a reader sees the old pair or the new
    return html


#: where the application keeps the last meeting options made (key, HTML)
_OPTIONS_CACHE = "programme_meeting_options"


def _options_html(blank: str, rows: tuple[tuple, ...]) -> Markup:
    """The options of ``blank`` and (id, start date, code, title) rows.

    The ids are integers: only the labels need escaping, and they are escaped in one call, joined by
    two control characters that no label holds (checked: otherwise each label is escaped alone),
    which then become the markup between them.
    """
    head = f'<option value="">{escape(blank)}</option>'
    if not rows:
        return Markup(head)  # noqa: S704  # nosec B704 (escaped)
    raw = "\x00".join(
        [f"{meeting_id}\x01{start.isoformat()} {code or ''} {title}" for meeting_id, start, code, title in rows]
    )
    if raw.count("\x00") == len(rows) - 1 and raw.count("\x01") == len(rows):
        # double spaces collapsed as _meeting_label() does: a label lies between control characters, so none spans two
        escaped = str.replace(escape(raw.replace("  ", " ")), "\x01", '">')
        options = '<option value="' + escaped.replace("\x00", '</option><option value="') + "</option>"
    else:
        options = "".join(
            [
                f'<option value="{int(meeting_id)}">{escape(_meeting_label(start, code, title))}</option>'
                for meeting_id, start, code, title in rows
            ]
        )
    return Markup(head + options)  # noqa: S704  # nosec B704 (labels escaped, ids integers)


# --- lists ---------------------------------------------------------------------------------------


_OUTCOME_LABELS = {o.value: o.label for o in SilenceOutcome}


@bp.get("/")
@requires(Permission.READ)
def initiatives():
    filters = services.InitiativeFilter.from_args(request.args)
    page = initiative_list.read_page(filters, utcnow().date(), request.args.get("page", 1, type=int))
    return render_template(
        "programme/initiatives.html",
        page=page,
        rows=initiative_list.table_rows(page.items, UrlPattern("programme.initiative", "initiative_id")),
        filters=filters,
        pillars=list(Pillar),
        statuses=list(InitiativeStatus),
        partner_options=kept_options(partner_names(), filters.partner),
        programmes=services.programme_titles(),
    )


@bp.get("/export.csv")
@requires(Permission.READ)
def export_csv():
    filters = services.InitiativeFilter.from_args(request.args)
    rows = db.session.scalars(services.initiative_query(filters), filters.values(utcnow().date())).all()
    return Response(
        csv_io.export(list(rows), current_user),
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
        abort(404)
    today = utcnow().date()
    items = db.session.scalars(
        sa.select(Initiative).where(services.sponsored_by(partner.id)).order_by(Initiative.code)
    ).all()
    return render_template(
        "programme/partner.html",
        partner=partner,
        initiatives=items,
        overdue=services.overdue_milestones(today, [i.id for i in items]),
        upcoming=[
            m
            for m in db.session.scalars(
                sa.select(Milestone)
                .where(
                    Milestone.initiative_id.in_([i.id for i in items]),
                    Milestone.done_at.is_(None),
                    Milestone.due_date >= today,
                )
                .order_by(Milestone.due_date)
                .limit(20)
            )
        ],
        partners=db.session.scalars(sa.select(Partner).order_by(Partner.name)).all(),
    )


# --- one initiative ----------------------------------------------------------------------------


def _initiative_form(formdata=True, **data) -> InitiativeForm:
    form = InitiativeForm(**({"formdata": None} if not formdata else {}), data=data or None)
    form.lead_partner.choices = partner_choices("Choose the lead partner")
    form.co_sponsors.choices = partner_choices()
    form.programme_id.choices = [SelectChoice("", "None")] + [
        SelectChoice(str(p.id), p.title) for p in services.programme_titles()
    ]
    form.mandate_meeting_id.choices = _meeting_choices("Not recorded")
    users = db.session.scalars(sa.select(User).where(User.is_active_account.is_(True)).order_by(User.display_name))
    form.contacts.choices = [SelectChoice(str(u.id), f"{u.display_name} ({u.partner.code})") for u in users]
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
            form.code.errors = [str(refused)]
        else:
            created = initiative.id  # read before the commit, which expires it (reading after reloads it)
            db.session.commit()
            flash("Initiative recorded as proposed.", "success")
            return redirect(url_for("programme.initiative", initiative_id=created))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/initiative_form.html", form=form, initiative=None), status


@bp.get("/initiatives/<int:initiative_id>")
@requires(Permission.READ)
def initiative(initiative_id: int):
    # The initiative without its relationships, and what the page prints of them as rows.
    user = current_user._get_current_object()
    may_see_kind = functools.partial(can_see_meeting_kind, user)  # meetings named on the page
    facts = initiative_page.facts(initiative_id, may_see_kind)
    item = facts.initiative
    coordinator = is_coordinator(current_user)
    # The status and milestone forms are shown to coordinators only, written out in the template (the
    # same HTML as StatusForm and MilestoneForm unbound): only their changing parts are made here.
    status_choices = meeting_options = None
    if coordinator:
        # In the life cycle's order: a set's order changes from one process to the next.
        goals = sorted(STATUS_TRANSITIONS[InitiativeStatus(item.status)], key=list(InitiativeStatus).index)
        status_choices = [SelectChoice(s.value, s.label) for s in goals]
        # The status form is shown only while a change is possible.
        meeting_options = _meeting_options("No meeting") if status_choices else None
    # The lists are rows of the columns the page prints (initiative_page), not ORM objects.
    item_reports = initiative_page.reports(item.id)
    meeting_url = UrlPattern("agenda.meeting", "meeting_id")
    report_lines = initiative_page.report_lines(
        item_reports,
        record_url=UrlPattern("archive.record", "record_id"),
        review_url=UrlPattern("programme.review_report", "report_id", initiative_id=item.id),
    )
    return render_template(
        "programme/initiative.html",
        initiative=item,
        facts=facts,
        hidden_meeting=HIDDEN_MEETING,
        coordinator=coordinator,
        may_report=reports.may_report(current_user, item, sponsor_ids=facts.sponsor_ids()),
        milestones=initiative_page.milestone_lines(
            initiative_page.milestones(item.id), UrlPattern("programme.toggle_milestone", "milestone_id")
        ),
        history=initiative_page.step_lines(initiative_page.history(item.id), meeting_url, may_see_kind),
        reports=report_lines,
        comments=initiative_page.comment_lines(initiative_page.comments(item.id)),
        status_choices=status_choices,
        meeting_options=meeting_options,
        today=utcnow().date(),
        procedures=initiative_page.procedures(item.id),
        outcome_labels=_OUTCOME_LABELS,
        # one url_for() per kind of link rather than one per row
        meeting_url=meeting_url,
        silence_url=UrlPattern("programme.silence_detail", "procedure_id"),
    )


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def edit_initiative(initiative_id: int):
    item = services.get_initiative(initiative_id)
    if request.method == "GET":
        state = services.initiative_state(item)
        # One dict: the state already names lead_partner and contacts (repeating them as keywords was a TypeError).
        form = _initiative_form(
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
    else:
        form = _initiative_form()
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_initiative(
                item, form.initiative_data(), expected_version=int(form.version.data or 0), actor=current_user
            )
        except services.InitiativeConflict as exc:
            db.session.rollback()
            conflict = exc
            form.version.data = str(services.get_initiative(initiative_id).version)
            return render_template("programme/initiative_form.html", form=form, initiative=item, conflict=conflict), 409
        except services.ProgrammeRefused as refused:
            db.session.rollback()
            form.code.errors = [str(refused)]
        else:
            db.session.commit()
            flash("Initiative saved.", "success")
            return redirect(url_for("programme.initiative", initiative_id=initiative_id))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/initiative_form.html", form=form, initiative=item), status


@bp.post("/initiatives/<int:initiative_id>/status")
@requires(Permission.COORDINATE)
def change_status(initiative_id: int):
    item = services.get_initiative(initiative_id)
    form = StatusForm()
    form.meeting_id.choices = _meeting_choices("No meeting", recent=True)
    if not form.validate_on_submit():
        flash("Give the new status and the date of the change.", "error")
        return redirect(url_for("programme.initiative", initiative_id=item.id))
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
        flash(str(refused), "error")
    else:
        status = item.status  # read before the commit, which expires the initiative (and would reload it)
        db.session.commit()
        flash(f"The initiative is now {status}.", "success")
    return redirect(url_for("programme.initiative", initiative_id=initiative_id))


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
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_milestone_done(milestone, not milestone.done, actor=current_user)
    db.session.commit()
    return redirect(url_for("programme.initiative", initiative_id=milestone.initiative_id) + "#milestones")


# --- reports and comments ------------------------------------------------------------------------


@bp.route("/initiatives/<int:initiative_id>/reports/new", methods=["GET", "POST"])
@requires(Permission.CONTRIBUTE)
def submit_report(initiative_id: int):
    item = services.get_initiative(initiative_id)
    form = ReportForm()
    own = services.milestones(item)
    form.milestones_done.choices = [SelectChoice(str(m.id), m.title) for m in own]
    if request.method == "GET":
        form.milestones_done.data = [str(m.id) for m in own if m.done]
    if not reports.may_report(current_user, item):
        # Forged or mistaken: the partner does not sponsor this initiative. Refuse and record it.
        reports.audit_refusal(reports.ReportForbidden(item), actor=current_user)
        db.session.commit()
        abort(403)
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


# --- work programmes and the SOM summary -----------------------------------------------------------


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
    meetings = summary.soms()
    chosen = request.args.get("meeting", type=int)
    meeting = next((m for m in meetings if m.id == chosen), meetings[0] if meetings else None)
    return render_template(
        "programme/som_summary.html",
        meetings=meetings,
        result=summary.build(meeting, current_user) if meeting else None,
    )


# --- silence procedures --------------------------------------------------------------------------


@bp.get("/silence")
@requires(Permission.READ)
def silence_list():
    return render_template(
        "programme/silence_list.html",
        procedures=silence.all_procedures(),
        awaiting={p.id for p in silence.awaiting_partner(current_user.partner_id)},
    )


@bp.route("/silence/new", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def start_silence():
    form = SilenceForm()
    form.initiative_id.choices = [SelectChoice("", "None (a text without a status change)")] + [
        SelectChoice(str(i.id), f"{i.code} {i.title} ({i.status})")
        for i in db.session.scalars(sa.select(Initiative).order_by(Initiative.code))
    ]
    form.proposed_status.choices = [SelectChoice("", "No status change")] + [
        SelectChoice(s.value, s.label) for s in InitiativeStatus
    ]
    if request.method == "GET" and request.args.get("initiative", "").isdigit():
        form.initiative_id.data = request.args["initiative"]
    if form.validate_on_submit():
        initiative_obj = services.get_initiative(int(form.initiative_id.data)) if form.initiative_id.data else None
        try:
            procedure = silence.start(
                subject=form.subject.data,
                text=form.text.data,
                deadline_local=form.deadline.data,
                zone=form.zone.data.strip(),
                initiative=initiative_obj,
                proposed_status=form.proposed_status.data or None,
                actor=current_user,
            )
        except silence.SilenceRefused as refused:
            db.session.rollback()
            form.deadline.errors = [str(refused)]
        else:
            started = procedure.id  # read before the commit, which expires it (reading after reloads it)
            db.session.commit()
            flash("The text is under silence procedure; partners see it now.", "success")
            return redirect(url_for("programme.silence_detail", procedure_id=started))
    status = 400 if request.method == "POST" else 200
    return render_template("programme/silence_form.html", form=form), status


@bp.get("/silence/<int:procedure_id>")
@requires(Permission.READ)
def silence_detail(procedure_id: int):
    procedure = silence.get_procedure(procedure_id)
    table = silence.partner_table(procedure)
    own = next((pos for partner, pos in table if partner.id == current_user.partner_id), None)
    return render_template(
        "programme/silence.html",
        procedure=procedure,
        table=table,
        own=own,
        form=PositionForm(formdata=None),
        coordinator=is_coordinator(current_user),
        now=utcnow(),
    )


@bp.post("/silence/<int:procedure_id>/position")
@requires(Permission.CONTRIBUTE)
def silence_position(procedure_id: int):
    procedure = silence.get_procedure(procedure_id)
    form = PositionForm()
    if not form.validate_on_submit() or form.position.data not in {"broke_silence", "agreed"}:
        abort(400)
    try:
        silence.take_position(procedure, form.position.data, form.reason.data or "", actor=current_user)
    except silence.SilenceRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Your partner's position is recorded.", "success")
    return redirect(url_for("programme.silence_detail", procedure_id=procedure_id))
