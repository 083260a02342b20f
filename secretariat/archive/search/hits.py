"""A page of hits: the families of documents found, one hit each, with their snippets.

A meeting's agenda versions make one family (ranking.family): the page shows the latest version
the query found and names the others as its earlier versions. What the reader may not see is
never found (engine.full_query), so it is neither counted nor named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from secretariat.archive.search import languages, stems
from secretariat.archive.search.query import Plan
from secretariat.archive.search.snippets import Pieces, plain, snippet


@dataclass
class Hit:
    kind: str  # "record" or "initiative"
    record_id: int
    score: float
    title: str
    #: (text, marked) pieces of the hit's text (see snippets.py)
    snippet: Pieces
    #: the other versions of the hit's family that the query found, latest first (no snippet)
    earlier: list[Hit] = field(default_factory=list)
    #: the document's date (read for the earlier versions, which the page lists from the index)
    date: datetime | None = None


#: the most hits looked at to fill a page of families (the last page a search offers, and more)
MAX_WINDOW = 50_000
_PLAIN_WORD = re.compile(r"\w+")  # what a snippet can mark (snippets.py)


def families(searcher, query, wanted: int, ranked: bool, count: int) -> list[list[tuple]]:
    """The first ``wanted`` families found, each a list of (score, address) in rank order. The top
    hits are read in a window that grows until it holds them; ``count`` (how many documents the
    query finds, from ``counted``) says when there are no more."""
    size = 2 * wanted + 20
    while True:
        if ranked:  # the words' score, times the weight of the document's type (ranking.py)
            result = searcher.search(query, size, count=False, weight_by_field="authority")
        else:
            result = searcher.search(query, size, count=False, order_by_field="date")
        keys = searcher.fast_field_values("family", [address for _, address in result.hits]) if result.hits else []
        groups: dict[int, list[tuple]] = {}
        for n, (hit, key) in enumerate(zip(result.hits, keys, strict=True)):
            groups.setdefault(key or -n - 1, []).append(hit)  # 0 (or none): a family of its own
        if len(groups) >= wanted or len(result.hits) >= count or size >= MAX_WINDOW:
            return list(groups.values())
        size = min(MAX_WINDOW, size * 4)


#: what ``counted`` adds to an aggregation: the documents in no family (0) and in one, and how many
#: families there are (tantivy's cardinality: exact for a few thousand values, within a percent beyond)
FAMILY_SPEC = {
    "family_members": {"range": {"field": "family", "ranges": [{"to": 1}, {"from": 1}]}},
    "family_count": {"cardinality": {"field": "family"}},
}


def counted(raw: dict) -> tuple[int, int]:
    """(documents found, hits they make: each family's documents count once) from an aggregation
    that held FAMILY_SPEC. Read in the same pass over the documents found as the facet counts."""
    buckets = raw.get("family_members", {}).get("buckets", [])  # none when the index is empty
    alone = sum(int(b["doc_count"]) for b in buckets if "to" in b)
    members = sum(int(b["doc_count"]) for b in buckets if "from" in b)
    if not members:
        return alone, alone
    families = int(round(raw["family_count"]["value"])) - (1 if alone else 0)  # 0 is no family
    return alone + members, alone + min(members, max(1, families))


def page(searcher, families: list[list[tuple]], plan: Plan, text) -> list[Hit]:
    # What to mark in the snippets: the stems of the query's words and its prefixes (not the
    # excluded words, which no hit holds).
    terms: list[str] = []
    prefixes: list[str] = []
    for group in plan.groups:
        for clause in group:
            if clause.kind == "prefix":
                prefixes.append(clause.tokens[0])
            elif clause.kind != "meeting":
                # Words of the spaced scripts only: a run of Chinese or Thai is marked nowhere.
                words = [w for w in languages.query_parts(clause.tokens)[0] if _PLAIN_WORD.fullmatch(w)]
                terms.extend(term for token in words for term in stems.stems_of(token) if term not in terms)
    hits = []
    for members in families:
        order, ids = [0], [None]
        if len(members) > 1:  # the latest version first: a family's versions are filed in order
            ids = searcher.fast_field_values("record_id", [address for _, address in members])
            order = sorted(range(len(members)), key=lambda n: -(ids[n] or 0))
        score, address = members[order[0]]
        doc = searcher.doc(address)
        body = doc.get_first("body") or ""
        kind, _, key = (doc.get_first("doc_key") or "record:0").partition(":")
        hits.append(
            Hit(
                kind=kind,
                record_id=int(key),
                score=float(score) if text is not None else 0.0,
                title=doc.get_first("title") or "",
                snippet=snippet(body, terms, prefixes) if text is not None else plain(body),
                earlier=[_earlier(searcher, members[n][1]) for n in order[1:]],
            )
        )
    return hits


def _earlier(searcher, address) -> Hit:
    """An earlier version of a family, as the page lists it: its title and date, from the index
    (a family's documents are agenda versions, short texts), not from the database."""
    doc = searcher.doc(address)
    _, _, key = (doc.get_first("doc_key") or "record:0").partition(":")
    return Hit("record", int(key), 0.0, doc.get_first("title") or "", [], date=doc.get_first("date"))
