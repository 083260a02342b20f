"""Silence procedures: the list, circulating a text, a procedure's page and a partner's position."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from secretariat.auth.permissions import Permission, is_coordinator, requires
from secretariat.extensions import db
from secretariat.programme import queries, services, silence
from secretariat.programme.forms import PositionForm, SilenceForm
from secretariat.programme.models import Initiative, InitiativeStatus, SilenceOutcome
from secretariat.programme.views.blueprint import bp
from secretariat.timeutil import utcnow
from secretariat.web import confirm


@bp.get("/silence")
@requires(Permission.READ)
def silence_list():
    return render_template(
        "programme/silence_list.html",
        procedures=queries.silence_procedures(),
        awaiting={p.id for p in silence.awaiting_partner(current_user.partner_id)},
        now=utcnow(),
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
        initiative = services.get_initiative(int(form.initiative_id.data)) if form.initiative_id.data else None
        try:
            procedure = silence.start(
                subject=form.subject.data,
                text=form.text.data,
                deadline_local=form.deadline.data,
                zone=form.zone.data.strip(),
                initiative=initiative,
                proposed_status=form.proposed_status.data or None,
                actor=current_user,
            )
        except silence.SilenceRefused as refused:
            db.session.rollback()
            form[refused.field or "deadline"].errors = [str(refused)]
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
    procedure = queries.silence_procedure(procedure_id)
    table = silence.partner_table(procedure)
    own = next((pos for partner, pos in table if partner.id == current_user.partner_id), None)
    return render_template(
        "programme/silence.html",
        procedure=procedure,
        outcome=procedure.current_outcome,
        open_outcome=SilenceOutcome.OPEN,
        table=table,
        own=own,
        form=PositionForm(formdata=None),
        coordinator=is_coordinator(current_user),
        break_confirmation=_break_confirmation(procedure, "", partners=len(table)) if own is None else None,
    )


def _may_still_answer(procedure) -> bool:
    """Open, and the user's partner silent so far: otherwise the service's refusal says why, without asking."""
    if procedure.current_outcome != SilenceOutcome.OPEN:
        return False
    return all(
        pos is None for partner, pos in silence.partner_table(procedure) if partner.id == current_user.partner_id
    )


def _break_confirmation(procedure, reason: str, partners: int | None = None) -> confirm.Confirmation:
    """Breaking silence cannot be undone and decides the procedure: it asks first, saying so."""
    partners = partners if partners is not None else len(silence.partner_table(procedure))
    name = current_user.partner.name
    consequences = [
        "The text is not adopted at the deadline: one partner breaking silence is enough.",
        f"{name}'s position and reason are shown to all {partners} partners"
        + (f": “{reason.strip()}”." if reason.strip() else "."),
        f"{name}'s position cannot be changed afterwards.",
    ]
    return confirm.Confirmation(
        id="confirm-break-silence",
        title=f"Break silence on behalf of {name}?",
        consequences=consequences,
        button=f"Break silence for {name}",
        action=url_for("programme.silence_position", procedure_id=procedure.id),
        cancel=url_for("programme.silence_detail", procedure_id=procedure.id),
        fields={"position": "broke_silence", "reason": reason},
        danger=True,
    )


@bp.post("/silence/<int:procedure_id>/position")
@requires(Permission.CONTRIBUTE)
def silence_position(procedure_id: int):
    procedure = silence.get_procedure(procedure_id)
    form = PositionForm()
    if not form.validate_on_submit() or form.position.data not in {"broke_silence", "agreed"}:
        abort(400)
    if form.position.data == "broke_silence" and not confirm.confirmed() and _may_still_answer(procedure):
        if not (form.reason.data or "").strip():
            flash("Breaking silence needs a reason for the other partners.", "error")
            return redirect(url_for("programme.silence_detail", procedure_id=procedure_id))
        return render_template("confirm.html", confirmation=_break_confirmation(procedure, form.reason.data))
    try:
        silence.take_position(procedure, form.position.data, form.reason.data or "", actor=current_user)
    except silence.SilenceRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Your partner's position is recorded.", "success")
    return redirect(url_for("programme.silence_detail", procedure_id=procedure_id))
