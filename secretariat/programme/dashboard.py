"""The work-programme part of the home page: the partner's initiatives, reports due, reviews, silence.

The home page prints a few columns of each: they are read as rows of columns, not as ORM objects
(building objects was most of this part's time). The rows keep the attribute names the template
uses (``m.initiative.code``, ``r.partner.name``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.programme import services, silence
from secretariat.programme.models import Initiative, InitiativeStatus, Milestone, ProgressReport
from secretariat.timeutil import utcnow

#: an active initiative without a report for this long is shown as "report due"
REPORT_INTERVAL = timedelta(days=180)

_ACTIVE = (InitiativeStatus.ENDORSED.value, InitiativeStatus.ONGOING.value)


class InitiativeCode(NamedTuple):
    code: str


class PartnerName(NamedTuple):
    name: str


class OverdueMilestone(NamedTuple):
    title: str
    due_date: date
    initiative: InitiativeCode


class ReportToReview(NamedTuple):
    id: int
    initiative_id: int
    initiative: InitiativeCode
    partner: PartnerName


# Built once, at import, with bound parameters: building a statement cost as much as running it.
_OVERDUE = (
    sa.select(Milestone.title, Milestone.due_date, Initiative.code)
    .outerjoin(Initiative, Initiative.id == Milestone.initiative_id)
    .where(
        Milestone.due_date < sa.bindparam("today"),
        Milestone.done_at.is_(None),
        Milestone.initiative_id.in_(sa.bindparam("initiative_ids", expanding=True)),
    )
    .order_by(Milestone.due_date, Milestone.id)
)
_UNREVIEWED = (
    sa.select(ProgressReport.id, ProgressReport.initiative_id, Initiative.code, Partner.name)
    .outerjoin(Initiative, Initiative.id == ProgressReport.initiative_id)
    .outerjoin(Partner, Partner.id == ProgressReport.partner_id)
    .where(ProgressReport.reviewed_at.is_(None))
    .order_by(ProgressReport.submitted_at)
    .limit(sa.bindparam("limit"))
)
# With each initiative, whether a report came in since the date given (one query, not a second one
# over the active initiatives' ids).
_MINE = (
    sa.select(
        Initiative.id,
        Initiative.code,
        Initiative.title,
        Initiative.status,
        sa.exists()
        .where(ProgressReport.initiative_id == Initiative.id, ProgressReport.submitted_at >= sa.bindparam("since"))
        .label("reported"),
    )
    .where(services.sponsored_by(sa.bindparam("partner_id")))
    .order_by(Initiative.code)
)


def _rows(statement: sa.Select, params: dict) -> sa.Result:
    """Rows of a statement of columns on the session's connection (Core rows: no ORM step, no autoflush;
    the home page changes nothing these read before it reads them)."""
    return db.session.connection().execute(statement, params)


def overdue_milestones(today: date, initiative_ids: list[int]) -> list[OverdueMilestone]:
    """As services.overdue_milestones(), with the initiative's code: earliest due first (then as recorded)."""
    rows = _rows(_OVERDUE, {"today": today, "initiative_ids": initiative_ids})
    return [OverdueMilestone(title, due, InitiativeCode(code)) for title, due, code in rows]


def unreviewed_reports(limit: int = 20) -> list[ReportToReview]:
    """The oldest reports no coordinator has reviewed, with their initiative's code and partner's name."""
    return [
        ReportToReview(report_id, initiative_id, InitiativeCode(code), PartnerName(name))
        for report_id, initiative_id, code, name in _rows(_UNREVIEWED, {"limit": limit})
    ]


def for_user(user, *, coordinator: bool) -> dict:
    today = utcnow().date()
    # Counted, and named by code and title: no summaries, sponsors or contacts.
    mine = _rows(_MINE, {"partner_id": user.partner_id, "since": utcnow() - REPORT_INTERVAL}).all()
    return {
        "initiatives": mine,
        # active, and no report for REPORT_INTERVAL
        "reports_due": [i for i in mine if i.status in _ACTIVE and not i.reported],
        # none to look for when the partner sponsors nothing
        "overdue": overdue_milestones(today, [i.id for i in mine]) if mine else [],
        "to_review": unreviewed_reports() if coordinator else [],
        "silence_awaiting": silence.awaiting_partner(user.partner_id),
        "silence_open": silence.open_procedures(),
    }
