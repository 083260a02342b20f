"""Officials propose agenda items; coordinators accept (the proposal becomes an item) or decline with a reason."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from secretariat import audit
from secretariat.agenda import items
from secretariat.agenda.models import ItemProposal, ItemType, Meeting, ProposalStatus
from secretariat.agenda.visibility import proposals_open
from secretariat.auth.permissions import acts_for_partner, is_coordinator
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.notify import proposal_events
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow


class ProposalRefused(Exception):
    """A proposal that cannot be made or decided now; the message says why."""


def propose(meeting: Meeting, data: dict[str, Any], *, actor) -> ItemProposal:
    """Record a proposal on behalf of the official's partner."""
    if not proposals_open(meeting):
        raise ProposalRefused("Items can be proposed only while the agenda is in drafting or circulated.")
    proposal = ItemProposal(
        meeting_id=meeting.id,
        partner_id=actor.partner_id,
        proposer_id=actor.id,
        title=data["title"].strip(),
        item_type=ItemType(data["item_type"]).value,
        description_source=data.get("description_source") or "",
        description_html=str(rich_text(data.get("description_source") or "")),
        duration_minutes=data.get("duration_minutes"),
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(actor, "agenda.proposal.create", proposal, meeting_id=meeting.id, title=proposal.title)
    proposal_events.submitted(meeting, proposal)
    return proposal


def get_proposal(meeting: Meeting, proposal_id: int, user) -> ItemProposal:
    """The proposal if it belongs to the meeting and the user may see it (coordinators, or its partner)."""
    proposal = db.session.get(ItemProposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        raise NotFound("proposal")
    if not (is_coordinator(user) or acts_for_partner(user, proposal.partner_id)):
        raise NotFound("proposal")
    return proposal


def visible_proposals(meeting: Meeting, user) -> list[ItemProposal]:
    """The meeting's proposals ``user`` may see: all for coordinators, their own partner's for anyone else."""
    query = sa.select(ItemProposal).where(ItemProposal.meeting_id == meeting.id).order_by(ItemProposal.created_at)
    if not is_coordinator(user):
        query = query.where(ItemProposal.partner_id == user.partner_id)
    return list(db.session.scalars(query))


def _decidable(proposal: ItemProposal) -> None:
    if proposal.status != ProposalStatus.PENDING.value:
        raise ProposalRefused(f"This proposal was already {proposal.status}.")


def accept(
    meeting: Meeting, proposal: ItemProposal, *, actor, parent_id: int | None = None, after_id: int | None = None
):
    """Turn the proposal into an item, with the proposing partner as lead: at the end of the agenda, as the
    last sub-item of ``parent_id``, or right after ``after_id``."""
    _decidable(proposal)
    item = items.add_item(
        meeting,
        {
            "title": proposal.title,
            "item_type": proposal.item_type,
            "description_source": proposal.description_source,
            "presenter": "",
            "lead_partners": [proposal.partner.code],
            "duration_minutes": proposal.duration_minutes,
            "fixed_start": None,
            "coordinator_notes": f"Proposed by {proposal.partner.name}.",
        },
        actor=actor,
        parent_id=parent_id,
        after_id=after_id,
    )
    proposal.status = ProposalStatus.ACCEPTED.value
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.item_id = item.id
    db.session.flush()
    audit.record(actor, "agenda.proposal.accept", proposal, meeting_id=meeting.id, item_id=item.id)
    proposal_events.decided(meeting, proposal)
    return item


def decline(meeting: Meeting, proposal: ItemProposal, reason: str, *, actor) -> None:
    _decidable(proposal)
    if not reason.strip():
        raise ProposalRefused("Give the proposer a reason.")
    proposal.status = ProposalStatus.DECLINED.value
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    proposal.decline_reason = reason.strip()
    db.session.flush()
    audit.record(actor, "agenda.proposal.decline", proposal, meeting_id=meeting.id, reason=proposal.decline_reason)
    proposal_events.decided(meeting, proposal)
