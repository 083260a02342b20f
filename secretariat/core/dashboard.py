"""What the home page shows each user."""

from __future__ import annotations

from flask_login import current_user

from secretariat.agenda import minutes
from secretariat.agenda import services as agenda
from secretariat.agenda.visibility import is_coordinator
from secretariat.programme import dashboard as programme
from secretariat.timeutil import utcnow


def build() -> dict:
    return {
        "user": current_user,
        "upcoming_meetings": agenda.upcoming(utcnow().date(), current_user),
        # Action points belong to the partner: a successor sees their predecessor's open ones.
        "action_points": minutes.open_action_points_for(current_user.partner_id),
        "programme": programme.for_user(current_user, coordinator=is_coordinator(current_user)),
    }
