"""The work-programme part of the home page: the partner's initiatives, reports due, reviews, silence."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import defer, lazyload

from secretariat.extensions import db
from secretariat.programme import reports, services, silence
from secretariat.programme.models import Initiative, InitiativeStatus, ProgressReport
from secretariat.timeutil import utcnow

#: an active initiative without a report for this long is shown as "report due"
REPORT_INTERVAL = timedelta(days=180)


def for_user(user, *, coordinator: bool) -> dict:
    today = utcnow().date()
    # The home page counts these and names some by code and title: no summaries, sponsors or contacts.
    mine = list(
        db.session.scalars(
            sa.select(Initiative)
            .where(services.sponsored_by(user.partner_id))
            .order_by(Initiative.code)
            .options(lazyload("*"), defer(Initiative.summary_source), defer(Initiative.summary_html))
        )
    )
    active = [i for i in mine if i.status in (InitiativeStatus.ENDORSED.value, InitiativeStatus.ONGOING.value)]
    recent = set(
        db.session.scalars(
            sa.select(ProgressReport.initiative_id).where(
                ProgressReport.initiative_id.in_([i.id for i in active]),
                ProgressReport.submitted_at >= utcnow() - REPORT_INTERVAL,
            )
        )
    )
    return {
        "initiatives": mine,
        "reports_due": [i for i in active if i.id not in recent],
        "overdue": services.overdue_milestones(today, [i.id for i in mine]),
        "to_review": reports.unreviewed_reports() if coordinator else [],
        "silence_awaiting": silence.awaiting_partner(user.partner_id),
        "silence_open": silence.open_procedures(),
    }
