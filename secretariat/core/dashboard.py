"""What the home page shows each user."""

from __future__ import annotations

from flask_login import current_user

from secretariat.agenda import services as agenda
from secretariat.timeutil import utcnow


def build() -> dict:
    return {
        "user": current_user,
        "upcoming_meetings": agenda.upcoming(utcnow().date()),
    }
