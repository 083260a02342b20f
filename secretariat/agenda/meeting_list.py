"""The meeting list page (/meetings/): its statements built once, its rows and filter options written in Python.

The page showed 25 rows of five cells and about a hundred filter options. In the template each row
cost a dozen attribute look-ups on a Row (through Jinja's getattr) and as many escapes through the
template runtime; the statements were built (ORM, with a cache key computed) twice per request. Here:

- the statements are Core selects on the tables, built once per shape of filter (what is filtered,
  not by which value: the values are bound parameters), so a request only binds values;
- the rows are written by one function, escaped the same way the template escaped them;
- the options of the host and year filters are kept per list of choices and selected value
  (links.kept_options).
"""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from markupsafe import Markup, escape

from secretariat.agenda import links
from secretariat.agenda.models import Meeting, MeetingKind, MeetingStatus
from secretariat.agenda.services import MeetingFilter
from secretariat.agenda.visibility import COORDINATION_ROLES
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.pagination import MAX_PAGE, Page

PER_PAGE = 25

_MEETINGS = Meeting.__table__
_PARTNERS = Partner.__table__
_HOST = _PARTNERS.alias("host")

#: what a row of the list shows (the columns services.MEETING_ROW names, as a Core select)
_ROW_COLUMNS = (
    _MEETINGS.c.id,
    _MEETINGS.c.title,
    _MEETINGS.c.kind,
    _MEETINGS.c.city,
    _MEETINGS.c.start_date,
    _MEETINGS.c.end_date,
    _MEETINGS.c.status,
    _HOST.c.name.label("host_name"),
)

KIND_LABELS = {k.value: k.label for k in MeetingKind}
STATUS_LABELS = {s.value: s.label for s in MeetingStatus}
#: the kind filter's choices
KIND_CHOICES = tuple((k.value, k.label) for k in MeetingKind)


@functools.lru_cache(maxsize=64)  # 3 x 2 x 2 x 2 x 2 shapes at most
def _statements(when: str, kind: bool, year: bool, host: bool, sees_coordinators: bool) -> tuple[sa.Select, sa.Select]:
    """The count and the page of rows for one shape of filter: the same conditions and order as
    services.meeting_query (and visibility.visible_meetings), with the values bound at execution."""
    conditions = []
    if not sees_coordinators:
        conditions.append(_MEETINGS.c.kind != MeetingKind.COORDINATORS.value)
    if when == "upcoming":
        conditions.append(_MEETINGS.c.end_date >= sa.bindparam("today"))
    elif when == "past":
        conditions.append(_MEETINGS.c.end_date < sa.bindparam("today"))
    if kind:
        conditions.append(_MEETINGS.c.kind == sa.bindparam("kind"))
    if year:
        conditions += [
            _MEETINGS.c.start_date >= sa.bindparam("year_first"),
            _MEETINGS.c.start_date <= sa.bindparam("year_last"),
        ]
    order = _MEETINGS.c.start_date if when == "upcoming" else _MEETINGS.c.start_date.desc()

    def matching(select: sa.Select) -> sa.Select:
        if host:
            select = select.join(_PARTNERS, _PARTNERS.c.id == _MEETINGS.c.host_partner_id).where(
                _PARTNERS.c.code == sa.bindparam("host")
            )
        return select.where(*conditions)

    # Counted on the plain query: with the host's name joined in, SQLite would join every meeting to count them.
    counted = matching(sa.select(_MEETINGS.c.id)).subquery()
    count = sa.select(sa.func.count()).select_from(counted)
    rows = matching(sa.select(*_ROW_COLUMNS).outerjoin(_HOST, _HOST.c.id == _MEETINGS.c.host_partner_id))
    if when == "upcoming":
        # The few meetings not over first (end-date index), then sorted: as one query both databases
        # walk the start-date index from 1996 (2.3 ms on SQLite at 2,000 meetings; see
        # services.upcoming_statement for why, and for OFFSET 0).
        not_over = rows.offset(0).subquery("not_over")
        rows = sa.select(not_over).order_by(not_over.c.start_date, not_over.c.id)
    else:
        rows = rows.order_by(order)
    return count, rows.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))


def read_page(filters: MeetingFilter, today: date, role: str, number: int | None) -> Page:
    """The page ``number`` of the meetings a user of ``role`` may see that match ``filters``: rows of _ROW_COLUMNS."""
    number = min(max(1, number or 1), MAX_PAGE)
    count, rows = _statements(
        filters.when, bool(filters.kind), bool(filters.year), bool(filters.host), role in COORDINATION_ROLES
    )
    values: dict = {"today": today, "kind": filters.kind, "host": filters.host}
    if filters.year:
        values["year_first"], values["year_last"] = date(filters.year, 1, 1), date(filters.year, 12, 31)
    total = db.session.execute(count, values).scalar() or 0
    values.update(limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    return Page(items=db.session.execute(rows, values).all(), number=number, per_page=PER_PAGE, total=total)


# Two scalar subqueries, not min() and max() side by side: SQLite answers a lone min() or max()
# from the index on start_date, but both in one SELECT scan the whole table.
_FIRST_AND_LAST = sa.select(
    sa.select(sa.func.min(_MEETINGS.c.start_date)).scalar_subquery(),
    sa.select(sa.func.max(_MEETINGS.c.start_date)).scalar_subquery(),
)


def years() -> list[int]:
    """Every year from the last meeting's back to the first's (what services.meeting_years gives)."""
    first, last = db.session.execute(_FIRST_AND_LAST).one()
    if first is None:
        return []
    return list(range(last.year, first.year - 1, -1))


def table_rows(rows, meeting_url: links.UrlPattern) -> Markup:
    """The <tbody> content the template's loop wrote for ``rows``, escaped the same way (Jinja's
    autoescape is markupsafe.escape); a label of an unknown kind or status is empty, as Jinja's
    Undefined was."""
    if not rows:
        return Markup('\n    <tr><td colspan="5">No meetings match these filters.</td></tr>\n    ')
    parts = []
    for m in rows:
        start, end = m.start_date, m.end_date
        dates = start.isoformat() if end == start else f"{start.isoformat()} – {end.isoformat()}"
        host = "" if m.host_name is None else f" ({escape(m.host_name)})"
        parts.append(
            f"""
    <tr>
      <td data-label="Dates">{escape(dates)}</td>
      <td data-label="Meeting"><a href="{escape(meeting_url(m.id))}">{escape(m.title)}</a></td>
      <td data-label="Kind">{escape(KIND_LABELS.get(m.kind, ""))}</td>
      <td data-label="Venue">{escape(m.city or "")}{host}</td>
      <td data-label="Status">{escape(STATUS_LABELS.get(m.status, ""))}</td>
    </tr>
    """
        )
    # every value is escaped above
    return Markup("".join(parts))  # noqa: S704  # nosec B704
