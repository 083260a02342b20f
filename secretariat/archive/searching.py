"""One search box: the query language, facet filters from the page, access rules, and the hits' objects.

A search only reads: the index as it is (search/indexing.py keeps it in step), the meetings the
query names (queries.meetings_named) and the hits' records and initiatives (queries.search_hits).

A query that names a meeting ("ASEM1 Bangkok", "Hanoi 2004") shows that meeting first, and the
words that name it also find its documents, whether or not their text repeats them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from secretariat.agenda.models import Meeting, MeetingKind
from secretariat.agenda.visibility import can_see_meeting_kind
from secretariat.archive import queries
from secretariat.archive.access import search_access
from secretariat.archive.models import RecordType
from secretariat.archive.search import engine, indexing
from secretariat.archive.search.query import WORD, Clause, Plan, parse

PER_PAGE = 20
#: the longest query read (the rest is dropped)
MAX_QUERY = 2000
MAX_PAGE = 500
#: the filters the page shows, in order: the engine's facet, the query parameter, the legend
FACETS = (
    ("type", "type", "Type"),
    ("year", "year", "Year"),
    ("meeting_kind", "meeting_kind", "Meeting kind"),
    ("partners", "partner", "Partner"),
    ("language", "language", "Language"),
)


@dataclass
class SearchPage:
    q: str
    plan: Plan
    sort: str
    page: int
    user: Any = field(repr=False)
    total: int = 0
    #: each hit with its Record or Initiative, and the earlier versions of its family (Records)
    hits: list[tuple[engine.Hit, Any, list[Any]]] = field(default_factory=list)
    #: the meetings the query names, which the page shows first
    meetings: list[Meeting] = field(default_factory=list)
    chosen: dict[str, list[str]] = field(default_factory=dict)
    #: the index misses records of the archive (the worker is rebuilding it): results are incomplete
    rebuilding: bool = False
    #: name -> [(value, count)], as the reader may read them (see partner_facets)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // PER_PAGE)))

    def meeting_of(self, record) -> Meeting | None:
        """The hit's meeting, if the reader may know of it (a coordinators' meeting is not named to partners)."""
        meeting = record.meeting
        return meeting if meeting is not None and can_see_meeting_kind(self.user, meeting.kind) else None

    def filters(self) -> list[tuple[str, str, list[tuple[str, int]]]]:
        """(parameter, legend, buckets) of each filter with counts: years newest first, the rest by name."""
        shown = []
        for name, param, legend in FACETS:
            buckets = sorted(self.facets.get(name, []), key=lambda bucket: bucket[0].lower(), reverse=name == "year")
            if name == "partners":
                buckets = [bucket for bucket in buckets if bucket[0] != "none"]
            if buckets:
                shown.append((param, legend, buckets))
        return shown


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


#: the meeting kinds a partner's user may know a record by; a coordinators' meeting is as no meeting to them
PARTNER_MEETING_KINDS = [k.value for k in MeetingKind if k is not MeetingKind.COORDINATORS]
_HIDDEN_KIND = MeetingKind.COORDINATORS.value


def partner_facets(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """The counts as a partner's user may read them: a record or initiative of a coordinators'
    meeting (public or restricted itself) is counted under "No meeting", as its page shows it."""
    kinds = dict(facets.get("meeting_kind", []))
    hidden = kinds.pop(_HIDDEN_KIND, 0)
    if not hidden:
        return facets
    kinds["none"] = kinds.get("none", 0) + hidden
    return {**facets, "meeting_kind": list(kinds.items())}


def _partner_meeting_filters(filters: dict[str, list]) -> None:
    """The meeting filters as a partner's user may use them: "No meeting" takes in coordinators'
    meetings, whose kind and code they may not name (no answer tells them a record is of one)."""
    kinds = filters.get("meeting_kind")
    if kinds is not None:
        kinds = [k for k in kinds if k != _HIDDEN_KIND]
        if "none" in kinds:
            kinds.append(_HIDDEN_KIND)
        filters["meeting_kind"] = kinds or ["-none-"]
    if filters.get("meeting_code"):
        # a code names a meeting: only one of a kind they may see
        allowed = [k for k in filters.get("meeting_kind", PARTNER_MEETING_KINDS) if k != _HIDDEN_KIND]
        filters["meeting_kind"] = allowed or ["-none-"]


def _filters(plan: Plan, chosen: dict[str, list[str]], cleared: bool) -> dict[str, list]:
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
    if kinds:
        filters["meeting_kind"] = kinds
    partners = [p.upper() for p in chosen.get("partner", []) + typed.get("partner", [])]
    if partners:
        filters["partners"] = partners
    languages = [lang.lower() for lang in chosen.get("language", []) + typed.get("language", [])]
    if languages:
        filters["language"] = languages
    if typed.get("meeting"):
        filters["meeting_code"] = typed["meeting"]
    if typed.get("tag"):
        filters["tags"] = [t.lower() for t in typed["tag"]]
    if not cleared:
        _partner_meeting_filters(filters)
    return filters


#: how much naming a meeting by its code, its city and its year counts; a year alone names none
_BY_CODE, _BY_CITY, _BY_YEAR = 3, 2, 1
MAX_MEETINGS = 3


def _meeting_words(plan: Plan) -> set[str]:
    return {t for group in plan.groups for clause in group if clause.kind in ("words", "phrase") for t in clause.tokens}


def _naming(meeting: Meeting, words: set[str]) -> tuple[int, set[str]]:
    """How strongly ``words`` name ``meeting``, and which of them do."""
    code = (meeting.code or "").lower()
    city = [w.lower() for w in WORD.findall(meeting.city or "")]
    year = str(meeting.start_date.year)
    used = ({code} & words) | (set(city) if city and set(city) <= words else set())
    score = _BY_CODE * (code in words) + _BY_CITY * bool(city and set(city) <= words)
    if score and year in words:
        score, used = score + _BY_YEAR, used | {year}
    return score, used


def named_meetings(plan: Plan, user) -> tuple[list[Meeting], set[str]]:
    """The meetings the query names best (by code, city and year; a few if they tie), that ``user``
    may see, and the words that name them.

    A city where several meetings were held, among other words ("Copenhagen terrorism"), names
    none of them: the reader more likely means the place in the text than any one meeting.
    """
    words = _meeting_words(plan)
    scored = [(*_naming(m, words), m) for m in queries.meetings_named(sorted(words), user)] if words else []
    best = max((score for score, _, _ in scored), default=0)
    if best < _BY_CITY:
        return [], set()
    chosen = [(used, m) for score, used, m in scored if score == best]
    naming = set().union(*(used for used, _ in chosen))
    if len(chosen) > 1 and words - naming:
        return [], set()
    return [m for _, m in chosen[:MAX_MEETINGS]], naming


def _find_meetings_too(plan: Plan, meetings: list[Meeting], naming: set[str]) -> None:
    """Each group of the query whose word names the meetings also finds the meetings' documents."""
    codes = [m.code or str(m.id) for m in meetings]  # as the index files them (search/indexing.py)
    for group in plan.groups:
        if any(c.kind in ("words", "phrase") and set(c.tokens) <= naming for c in group):
            group.append(Clause("meeting", codes))


#: the reader's languages looked at (a header may list any number)
MAX_READER_LANGUAGES = 8


def reader_languages(accepted) -> tuple[str, ...]:
    """The languages a reader prefers, best first, as ISO 639-1 codes: the browser's Accept-Language
    (werkzeug's LanguageAccept; users have no language setting of their own), then English."""
    codes = [value.split("-")[0].split("_")[0].lower()[:8] for value, _ in accepted or () if value != "*"]
    return tuple(dict.fromkeys([*codes[:MAX_READER_LANGUAGES], "en"]))


def run(args, user, preferred: tuple[str, ...] = ("en",)) -> SearchPage:
    """Search as ``user`` with the request's arguments; never raises for odd input.

    A record holding translations is shown in the first of the ``preferred`` languages it holds."""
    q = (args.get("q") or "")[:MAX_QUERY]
    sort = "date" if args.get("sort") == "date" else "relevance"
    page = max(1, min(MAX_PAGE, args.get("page", 1, type=int) or 1))
    chosen = {param: [v[:40] for v in args.getlist(param)][:20] for _, param, _ in FACETS if args.getlist(param)}
    access = search_access(user)
    result = SearchPage(q=q, plan=parse(q), sort=sort, page=page, user=user, chosen=chosen)
    # The words that name a meeting find its documents on every page; the page shows it on the first.
    result.meetings, naming = named_meetings(result.plan, user)
    if result.meetings:
        _find_meetings_too(result.plan, result.meetings, naming)
    index = engine.get_index()
    found = engine.search(
        result.plan,
        access,
        _filters(result.plan, chosen, access.cleared),
        sort=sort,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
        index=index,
        preferred=preferred,
    )
    if not found.indexed or engine.is_new(index):  # the archive is counted only then
        result.rebuilding = indexing.incomplete(index)
    objects = {}
    for kind in ("record", "initiative"):
        ids = [hit.record_id for hit in found.hits if hit.kind == kind]
        if ids:
            objects |= {(kind, key): obj for key, obj in queries.search_hits(kind, ids).items()}
    result.total = found.total
    # A hit's earlier versions are listed as the index has them (hits.py): no row read for them.
    result.hits = [
        (hit, objects[(hit.kind, hit.record_id)], hit.earlier)
        for hit in found.hits
        if (hit.kind, hit.record_id) in objects
    ]
    result.facets = found.facets if access.cleared else partner_facets(found.facets)
    return result
