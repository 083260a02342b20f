"""Proposed items: officials propose, coordinators accept or decline."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from secretariat.agenda import items, proposals, tree, visibility
from secretariat.agenda.forms import DeclineForm, PlacementForm, ProposalForm
from secretariat.agenda.views.blueprint import bp, meeting_or_404, refusal
from secretariat.agenda.views.item_pages import placement_choices
from secretariat.auth.permissions import Permission, requires
from secretariat.errors import NotFound
from secretariat.extensions import db


@bp.route("/<int:meeting_id>/propose", methods=["GET", "POST"])
@requires(Permission.CONTRIBUTE)
def propose(meeting_id: int):
    m = meeting_or_404(meeting_id)
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


@bp.route("/<int:meeting_id>/proposals/<int:proposal_id>/accept", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def accept_proposal(meeting_id: int, proposal_id: int):
    """Asks where the accepted item goes (after which item, or under which), then adds it there."""
    m = meeting_or_404(meeting_id)
    proposal = proposals.get_proposal(m, proposal_id, current_user)
    nodes = tree.agenda_nodes(m.id)
    form = PlacementForm()
    form.placement.choices = placement_choices(nodes)
    if request.method == "GET":
        form.placement.data = "end"
    if form.validate_on_submit():
        try:
            parent_id, after_id = items.placement(m, form.placement.data or "end")
            item = proposals.accept(m, proposal, actor=current_user, parent_id=parent_id, after_id=after_id)
        except NotFound:
            db.session.rollback()
            form.placement.errors.append("Choose where the item goes from the list.")
        except (proposals.ProposalRefused, items.AgendaLocked, items.MoveRefused) as refused:
            db.session.rollback()
            flash(refusal(refused), "error")
            return redirect(url_for("agenda.meeting", meeting_id=m.id) + "#proposals")
        else:
            added, title = item.id, item.title  # read before the commit, which expires them (reading after reloads)
            db.session.commit()
            flash(f"Proposal accepted: “{title}” is now on the agenda.", "success")
            return redirect(url_for("agenda.meeting", meeting_id=meeting_id) + f"#item-{added}")
    return render_template("agenda/accept.html", form=form, meeting=m, proposal=proposal), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:meeting_id>/proposals/<int:proposal_id>/decline", methods=["GET", "POST"])
@requires(Permission.COORDINATE)
def decline_proposal(meeting_id: int, proposal_id: int):
    m = meeting_or_404(meeting_id)
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
