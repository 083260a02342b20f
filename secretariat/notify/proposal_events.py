"""Agenda item proposals: a new one to the coordinators; its acceptance or refusal, with the reason,
to the officials of the partner that proposed it (the only partner that sees it)."""

from __future__ import annotations

from secretariat.agenda.models import ItemProposal, Meeting, ProposalStatus
from secretariat.agenda.visibility import can_see_meeting
from secretariat.notify import outbox
from secretariat.notify.models import Category


def submitted(meeting: Meeting, proposal: ItemProposal) -> None:
    """Tell the coordinators that a partner proposed an item."""
    outbox.queue(
        outbox.active_users(outbox.COORDINATORS),
        category=Category.PROPOSALS,
        kind="proposal_submitted",
        subject=f"Item proposed by {proposal.partner.name}: {proposal.title}",
        link_path=outbox.path("agenda.meeting", meeting_id=meeting.id, _anchor="proposals"),
        details={
            "intro": f"{proposal.partner.name} proposes an item for the agenda of {meeting.title}.",
            "title": proposal.title,
            "link_label": "Accept or decline it",
        },
    )


def decided(meeting: Meeting, proposal: ItemProposal) -> None:
    """Tell the proposing partner's officials the coordinators' answer (and the reason of a refusal)."""
    accepted = proposal.status == ProposalStatus.ACCEPTED.value
    readers = [
        user for user in outbox.active_users(outbox.OFFICIALS, [proposal.partner_id]) if can_see_meeting(user, meeting)
    ]
    outbox.queue(
        readers,
        category=Category.PROPOSALS,
        kind="proposal_accepted" if accepted else "proposal_declined",
        subject=f"Proposal {'accepted' if accepted else 'declined'}: {proposal.title}",
        link_path=outbox.path("agenda.meeting", meeting_id=meeting.id, _anchor="proposals"),
        details={
            "intro": (
                f"The coordinators put your partner's proposal on the agenda of {meeting.title}."
                if accepted
                else f"The coordinators declined your partner's proposal for {meeting.title}."
            ),
            "title": proposal.title,
            "lines": [] if accepted else [f"Reason: {proposal.decline_reason}"],
            "link_label": "See the meeting",
        },
    )
