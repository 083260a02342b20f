"""The agenda blueprint and what its views share."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from secretariat.agenda import items, visibility
from secretariat.agenda.models import Meeting
from secretariat.extensions import db

bp = Blueprint("agenda", __name__)


def meeting_or_404(meeting_id: int) -> Meeting:
    """The meeting, if the signed-in user may know of it (NotFound otherwise)."""
    return visibility.require_meeting(current_user, db.session.get(Meeting, meeting_id))


def refusal(exc: Exception) -> str:
    """The message that explains a refused change of the agenda."""
    if isinstance(exc, items.AgendaLocked):
        return "The agenda can no longer be changed: it has been adopted."
    return str(exc)
