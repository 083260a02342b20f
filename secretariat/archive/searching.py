"""One search box: the query language, facet filters from the page, access rules, and the hits' records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.archive import services
from secretariat.archive.access import cleared, search_access
from secretariat.archive.models import Record, RecordType
from secretariat.archive.search import engine
from secretariat.archive.search.query import Plan, parse
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.programme.models import Initiative, InitiativeStatus, Pillar

PER_PAGE = 20
MAX_PAGE = 500
FACET_PARAMS = {
    "type": "type",
    "year": "year",
    "meeting_kind": "meeting_kind",
    "partner": "partners",
    "language": "language",
}


class RecordHit(NamedTuple):
    """What a record's hit shows (templates/archive/search.html)."""

    id: int
    title: str
    type_label: str
    record_date: date
    meeting_title: str | None
    confidentiality: str
    withdrawn_at: datetime | None


class InitiativeHit(NamedTuple):
    """What an initiative's hit shows."""

    id: int
    code: str
    title: str
    pillar_label: str
    status_label: str
    lead_name: str | None


#: Only the columns a hit shows, as rows: twenty ORM objects with everything else deferred cost
#: more to build than to read (0.46 -> 0.12 ms on SQLite, 1.04 -> 0.52 ms on PostgreSQL, p50).
HIT_ROWS = {
    "record": sa.select(
        Record.id,
        Record.title,
        Record.record_type,
        Record.record_date,
        Meeting.title,
        Record.confidentiality,
        Record.withdrawn_at,
        Meeting.kind,
    )
    .outerjoin(Meeting, Meeting.id == Record.meeting_id)
    .where(Record.id.in_(sa.bindparam("ids", expanding=True))),
    "initiative": sa.select(
        Initiative.id, Initiative.code, Initiative.title, Initiative.pillar, Initiative.status, Partner.name
    )
    .outerjoin(Partner, Partner.id == Initiative.lead_partner_id)
    .where(Initiative.id.in_(sa.bindparam("ids", expanding=True))),
}


def _record_hit(row, names_coordinators_meetings: bool) -> RecordHit:
    record_id, title, record_type, record_date, meeting_title, confidentiality, withdrawn_at, meeting_kind = row
    if meeting_kind == MeetingKind.COORDINATORS.value and not names_coordinators_meetings:
        meeting_title = None  # a record a partner may open does not tell them of a coordinators' meeting
    return RecordHit(
        record_id, title, RecordType(record_type).label, record_date, meeting_title, confidentiality, withdrawn_at
    )


def _initiative_hit(row, names_coordinators_meetings: bool) -> InitiativeHit:
    initiative_id, code, title, pillar, status, lead_name = row
    return InitiativeHit(initiative_id, code, title, Pillar(pillar).label, InitiativeStatus(status).label, lead_name)


_MAKE_HIT = {"record": _record_hit, "initiative": _initiative_hit}


@dataclass
class SearchPage:
    q: str
    plan: Plan
    sort: str
    page: int
    total: int = 0
    hits: list[tuple[engine.Hit, RecordHit | InitiativeHit]] = field(default_factory=list)
    chosen: dict[str, list[str]] = field(default_factory=dict)
    #: the index is being rebuilt from the database: results are incomplete until it finishes
    rebuilding: bool = False
    #: the engine's results, whose facet counts may still be being taken on the second thread
    found: engine.Results | None = field(default=None, repr=False)

    @property
    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """name -> [(value, count)]; waits for the counting the first time it is asked for.

        The page asks for it last: the filters come after the hits in the template (and in reading
        order), so the header and the twenty hits are rendered while the second thread counts.
        """
        return self.found.facets if self.found is not None else {}

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // PER_PAGE)))


def _type_values(values: list[str]) -> list[str]:
    known = {t.value for t in RecordType} | {"initiative"}
    out = []
    for value in values:
        slug = re.sub(r"[^a-z]+", "_", value.lower()).strip("_")
        matches = [t.value for t in RecordType if t.value == slug or t.label.lower().startswith(value.lower())]
        if "initiative".startswith(slug) and slug:
            matches.append("initiative")
        out.extend(matches or ([slug] if slug in known else []))
    return out or ["-none-"]


def _is_year(value: str) -> bool:
    return value.isdigit() and len(value) <= 4


def _without_coordinators_meetings(codes: list[str]) -> list[str]:
    """``meeting:`` values, each naming a coordinators' meeting (by code, or by id when it has none)
    replaced by one that matches nothing: a partner cannot probe which records belong to one."""
    ids = [int(code) for code in codes if code.isdigit() and len(code) < 10]
    hidden = db.session.execute(
        sa.select(Meeting.id, Meeting.code).where(
            Meeting.kind == MeetingKind.COORDINATORS.value, sa.or_(Meeting.code.in_(codes), Meeting.id.in_(ids))
        )
    ).all()
    names = {code for _, code in hidden if code} | {str(meeting_id) for meeting_id, _ in hidden}
    return [code if code not in names else "-none-" for code in codes]


def _filters(plan: Plan, chosen: dict[str, list[str]], names_coordinators_meetings: bool) -> dict[str, list]:
    filters: dict[str, list] = {}
    typed = plan.filters
    types = chosen.get("type", []) + (_type_values(typed["type"]) if "type" in typed else [])
    if types:
        filters["type"] = types
    years = [v for v in chosen.get("year", []) if _is_year(v)]
    for value in typed.get("year", []):
        low, sep, high = value.partition("..")
        if sep and _is_year(low) and _is_year(high):
            filters["year_range"] = [int(low), int(high)]
        elif _is_year(value):
            years.append(value)
        else:
            years.append("0")  # not a year: matches nothing, says so honestly
    if years:
        filters["year"] = [int(y) for y in years][:50]
    kinds = [k for k in chosen.get("meeting_kind", []) if k in {m.value for m in MeetingKind} | {"none"}]
    if kinds and not names_coordinators_meetings:
        # A partner asking for coordinators' meetings gets nothing: not which records have one.
        kinds = [k if k != MeetingKind.COORDINATORS.value else "-none-" for k in kinds]
    if kinds:
        filters["meeting_kind"] = kinds
    partners = [p.upper() for p in chosen.get("partner", []) + typed.get("partner", [])]
    if partners:
        filters["partners"] = partners
    languages = [lang.lower() for lang in chosen.get("language", []) + typed.get("language", [])]
    if languages:
        filters["language"] = languages
    if typed.get("meeting"):
        codes = typed["meeting"]
        filters["meeting_code"] = codes if names_coordinators_meetings else _without_coordinators_meetings(codes)
    if typed.get("tag"):
        filters["tags"] = [t.lower() for t in typed["tag"]]
    return filters


def run(args, user) -> SearchPage:
    """Search as ``user`` with the request's arguments; never raises for odd input."""
    q = (args.get("q") or "")[:2000]
    sort = "date" if args.get("sort") == "date" else "relevance"
    page = max(1, min(MAX_PAGE, args.get("page", 1, type=int) or 1))
    chosen = {name: [v[:40] for v in args.getlist(name)][:20] for name in FACET_PARAMS if args.getlist(name)}
    result = SearchPage(q=q, plan=parse(q), sort=sort, page=page, chosen=chosen)
    if services.pending():
        try:
            services.sync()
        except Exception:  # the index will catch up at the next sync; search what is there
            db.session.rollback()
            current_app.logger.exception("search index sync failed")
    found = engine.search(
        result.plan,
        search_access(user),
        _filters(result.plan, chosen, cleared(user)),
        sort=sort,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    if not found.indexed or engine.is_new(engine.get_index()):  # a file's presence: see ensure_index
        result.rebuilding = services.ensure_index()
    wanted = {kind: [h.record_id for h in found.hits if h.kind == kind] for kind in ("record", "initiative")}
    objects = {}
    for kind, statement in HIT_ROWS.items():
        if wanted[kind]:
            # Core rows on the session's connection: no ORM step, no autoflush (a search changes nothing)
            rows = db.session.connection().execute(statement, {"ids": wanted[kind]})
            objects |= {(kind, row[0]): _MAKE_HIT[kind](row, cleared(user)) for row in rows}
    result.total = found.total
    result.hits = [
        (hit, objects[(hit.kind, hit.record_id)]) for hit in found.hits if (hit.kind, hit.record_id) in objects
    ]
    result.found = found  # the counts are read when the page renders its filters (see SearchPage.facets)
    return result
