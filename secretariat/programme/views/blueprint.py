"""The work programme's blueprint and what its views share."""

from __future__ import annotations

from flask import Blueprint
from wtforms.fields.choices import SelectChoice

from secretariat.core.filters import day
from secretariat.programme import queries

bp = Blueprint("programme", __name__)


def meeting_choices(user, blank: str, *, recent: bool = False) -> list[SelectChoice]:
    """A select's choices: ``blank``, then the meetings ``user`` may see, newest first."""
    return [SelectChoice("", blank)] + [
        SelectChoice(str(m.id), " ".join(part for part in (day(m.start_date), m.code, m.title) if part))
        for m in queries.meeting_choices(user, recent=recent)
    ]
