"""The initiative list page (/programme/): its statements built once, its rows written in Python.

As the meeting list (agenda/meeting_list.py): the count and the page of rows are Core selects on
the tables, built once per shape of filter (services.filter_conditions; the values are bound at
execution), and each of the fifty rows is one f-string, every value escaped with markupsafe.escape
(what Jinja's autoescape calls), so the HTML is what the template's loop wrote, byte for byte.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date

import sqlalchemy as sa
from markupsafe import Markup, escape

from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.pagination import MAX_PAGE, Page
from secretariat.programme import services
from secretariat.programme.models import Initiative, InitiativeStatus, Milestone, Pillar, initiative_cosponsors

PER_PAGE = 50
PILLAR_LABELS = {p.value: p.label for p in Pillar}
STATUS_LABELS = {s.value: s.label for s in InitiativeStatus}

_INITIATIVES = Initiative.__table__
_MILESTONES = Milestone.__table__
_LEADS = Partner.__table__.alias("lead")

#: a row: id, code, title, pillar, status, the lead's name, the number of co-sponsors, and whether a
#: milestone is past due and not done (today bound at execution)
_ROW_COLUMNS = (
    _INITIATIVES.c.id,
    _INITIATIVES.c.code,
    _INITIATIVES.c.title,
    _INITIATIVES.c.pillar,
    _INITIATIVES.c.status,
    _LEADS.c.name,
    sa.select(sa.func.count())
    .where(initiative_cosponsors.c.initiative_id == _INITIATIVES.c.id)
    .correlate(_INITIATIVES)
    .scalar_subquery(),
    sa.exists()
    .where(
        _MILESTONES.c.initiative_id == _INITIATIVES.c.id,
        _MILESTONES.c.due_date < sa.bindparam("today"),
        _MILESTONES.c.done_at.is_(None),
    )
    .correlate(_INITIATIVES),
)


@functools.lru_cache(maxsize=64)  # as many as services.filter_conditions has shapes
def _statements(shape: tuple[bool, ...]) -> tuple[sa.Select, sa.Select]:
    conditions = services.filter_conditions(*shape)
    count = sa.select(sa.func.count()).select_from(sa.select(_INITIATIVES.c.id).where(*conditions).subquery())
    rows = (
        sa.select(*_ROW_COLUMNS)
        .join(_LEADS, _LEADS.c.id == _INITIATIVES.c.lead_partner_id)
        .where(*conditions)
        .order_by(_INITIATIVES.c.code)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )
    return count, rows


def read_page(filters: services.InitiativeFilter, today: date, number: int | None) -> Page:
    """The page ``number`` of the initiatives matching ``filters``: rows of _ROW_COLUMNS."""
    number = min(max(1, number or 1), MAX_PAGE)
    count, rows = _statements(filters.shape())
    values = filters.values(today)
    total = db.session.execute(count, values).scalar() or 0
    values.update(limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    return Page(items=db.session.execute(rows, values).all(), number=number, per_page=PER_PAGE, total=total)


_LATE = ' <span class="badge badge--warning">milestone overdue</span>'
_NONE = Markup('\n    <tr><td colspan="5">No initiative matches.</td></tr>\n    ')


def table_rows(rows: Iterable, initiative_url: Callable[[int], str]) -> Markup:
    """The <tbody> content for rows of _ROW_COLUMNS."""
    parts = []
    for initiative_id, code, title, pillar, status, lead, co_sponsors, late in rows:
        co = f' <span class="muted">+{co_sponsors}</span>' if co_sponsors else ""
        link = f'<a href="{escape(initiative_url(initiative_id))}">{escape(title)}</a>{_LATE if late else ""}'
        parts.append(
            f"""
    <tr>
      <td data-label="Code">{escape(code)}</td>
      <td data-label="Initiative">{link}</td>
      <td data-label="Pillar">{escape(PILLAR_LABELS[pillar])}</td>
      <td data-label="Lead">{escape(lead)}{co}</td>
      <td data-label="Status">{escape(STATUS_LABELS[status])}</td>
    </tr>
    """
        )
    # every value is escaped above; the rest is our own markup
    return Markup("".join(parts)) if parts else _NONE  # noqa: S704  # nosec B704
