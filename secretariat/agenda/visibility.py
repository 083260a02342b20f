"""Who may see which meetings and which state of an agenda.

Coordinators see and edit everything, including the working draft. Officials and observers
see the latest circulated or adopted version, never a private draft. Coordinators' meetings
are visible to coordinators and administrators only.
"""

from __future__ import annotations

import sqlalchemy as sa

from secretariat.agenda.models import AGENDA_VISIBLE_TO_PARTNERS, Meeting, MeetingKind, MeetingStatus
from secretariat.auth.models import Role
from secretariat.auth.permissions import is_coordinator
from secretariat.errors import NotFound

#: roles that may see coordinators' meetings
COORDINATION_ROLES = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})


#: what a page says instead of the name of a meeting its reader may not see
HIDDEN_MEETING = "a coordinators' meeting"


def can_see_meeting(user, meeting: Meeting) -> bool:
    return can_see_meeting_kind(user, meeting.kind)


def can_see_meeting_kind(user, kind: str) -> bool:
    """can_see_meeting's rule on a meeting's kind alone, for pages that read meetings as rows."""
    return kind != MeetingKind.COORDINATORS.value or user.role in COORDINATION_ROLES


def visible_meetings(query: sa.Select, user) -> sa.Select:
    """Restrict a meeting query to what ``user`` may see (the same rule as can_see_meeting)."""
    if user.role in COORDINATION_ROLES:
        return query
    return query.where(Meeting.kind != MeetingKind.COORDINATORS.value)


def require_meeting(user, meeting: Meeting | None) -> Meeting:
    """The meeting; NotFound if it does not exist or the user may not know about it."""
    if meeting is None or not can_see_meeting(user, meeting):
        raise NotFound("meeting")
    return meeting


def can_see_draft(user) -> bool:
    return is_coordinator(user)


def partners_may_see_agenda(meeting: Meeting) -> bool:
    return MeetingStatus(meeting.status) in AGENDA_VISIBLE_TO_PARTNERS


AGENDA_EDITABLE = frozenset({MeetingStatus.PLANNED, MeetingStatus.DRAFTING, MeetingStatus.CIRCULATED})
PROPOSALS_OPEN = frozenset({MeetingStatus.DRAFTING, MeetingStatus.CIRCULATED})


def agenda_editable(meeting: Meeting) -> bool:
    return MeetingStatus(meeting.status) in AGENDA_EDITABLE


def proposals_open(meeting: Meeting) -> bool:
    return MeetingStatus(meeting.status) in PROPOSALS_OPEN
