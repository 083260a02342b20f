"""Meeting pages: the list with filters and one meeting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from secretariat.agenda import services
from secretariat.agenda.models import MeetingKind
from secretariat.auth.models import Partner
from secretariat.auth.permissions import Permission, requires
from secretariat.extensions import db
from secretariat.pagination import paginate
from secretariat.timeutil import utcnow

bp = Blueprint("agenda", __name__)


@bp.get("/")
@requires(Permission.READ)
def meetings():
    filters = services.MeetingFilter.from_args(request.args)
    query = services.meeting_query(filters, utcnow().date())
    page = paginate(query, request.args.get("page", 1, type=int), per_page=25)
    hosts = db.session.scalars(sa.select(Partner).order_by(Partner.name)).all()
    return render_template(
        "agenda/meetings.html",
        page=page,
        filters=filters,
        kinds=list(MeetingKind),
        years=services.meeting_years(),
        hosts=hosts,
    )


@bp.get("/<int:meeting_id>")
@requires(Permission.READ)
def meeting(meeting_id: int):
    return render_template("agenda/meeting.html", meeting=services.get_meeting(meeting_id))
