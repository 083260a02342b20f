"""What circulating or adopting an agenda, and adopting minutes, will do and to whom: the words of
their confirmation step (secretariat/web/confirm.py)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from secretariat.agenda import services, visibility
from secretariat.agenda.models import Meeting, MeetingKind, MeetingStatus
from secretariat.notify import agenda_events, outbox
from secretariat.web.confirm import Confirmation


@dataclass
class Audience:
    people: int
    partners: int

    def __str__(self) -> str:
        return f"{self.partners} partner{'s' if self.partners != 1 else ''} ({self.people} people)"


def audience(meeting: Meeting) -> Audience:
    """Who reads the meeting's agenda and is told of a new version (the mail's own rule: notify/agenda_events)."""
    coordinators_only = meeting.kind == MeetingKind.COORDINATORS.value
    roles = agenda_events.COORDINATOR_READERS if coordinators_only else agenda_events.PARTNER_READERS
    readers = [u for u in outbox.active_users(roles) if visibility.can_see_meeting(u, meeting)]
    return Audience(len(readers), len({u.partner_id for u in readers if u.partner_id is not None}))


def status_change(
    meeting: Meeting, target: str, note: str = "", *, who: Audience | None = None, latest: int | None = None
) -> Confirmation | None:
    """The confirmation of a circulation or an adoption of the agenda; None for other status changes.

    ``who`` and ``latest`` (the number of the latest version, 0 for none) spare their queries to a
    page that has them already.
    """
    if target not in (MeetingStatus.CIRCULATED.value, MeetingStatus.ADOPTED.value):
        return None
    who = who or audience(meeting)
    if latest is None:
        numbers = services.version_numbers(meeting)
        latest = numbers[-1] if numbers else 0
    number = latest + 1
    adopting = target == MeetingStatus.ADOPTED.value
    consequences = [
        f"The agenda as it stands now is frozen as version v{number}: it can never change afterwards.",
        f"It is mailed to everyone who reads this meeting: {who}.",
    ]
    if adopting:
        consequences.append("The agenda is adopted: items can no longer be added, changed or removed.")
    elif latest:
        consequences.append(f"Partners see what changed since v{latest}.")
    if note.strip():
        consequences.append(f"Your note goes with it: “{note.strip()}”.")
    verb = "Adopt" if adopting else "Circulate"
    return Confirmation(
        id=f"confirm-{target}",
        title=f"{verb} agenda v{number} to {who.partners} partners?",
        consequences=consequences,
        button=f"{verb} v{number}, tell {who.partners} partners",
        action=url_for("agenda.change_status", meeting_id=meeting.id),
        cancel=url_for("agenda.meeting", meeting_id=meeting.id),
        fields={"target": target, "note": note},
    )


def adopt_minutes(meeting: Meeting) -> Confirmation:
    """The confirmation of the adoption of the minutes."""
    who = audience(meeting)
    return Confirmation(
        id="confirm-adopt-minutes",
        title=f"Adopt the minutes and show them to {who.partners} partners?",
        consequences=[
            "The minutes, their outcomes and their action points are frozen: they can never change afterwards.",
            f"Everyone who reads this meeting sees them: {who}.",
            "They are filed in the archive as the meeting's minutes.",
        ],
        button=f"Adopt the minutes for {who.partners} partners",
        action=url_for("agenda.adopt_minutes", meeting_id=meeting.id),
        cancel=url_for("agenda.edit_minutes", meeting_id=meeting.id),
    )
