"""What a search counts over every document found, in one pass: how many there are, the hits they
make (one per family: hits.counted) and the facet counts the page offers as filters."""

from __future__ import annotations

import tantivy

from secretariat.archive.search import hits

FACET_FIELDS = ("type", "year", "meeting_kind", "partners", "language")
#: The partners facet is counted in slots and added up: a record's first four partners, one
#: single-valued column each ("-" for none), and the rest in a multi-valued field counted only over
#: the records that have one (see ``aggregate``): tantivy counts full single-valued columns far
#: faster than a multi-valued one. Exact: a record names a partner once, in one of the fields.
PARTNER_SLOTS = ("partner_1", "partner_2", "partner_3", "partner_4")
PARTNER_REST = "partners_rest"
#: the value of an empty slot (not a partner's code: codes are letters)
EMPTY_SLOT = "-"
#: buckets asked for per partners' field: more than there are partners (53, "none" and "-"), so
#: none is cut off
FACET_BUCKETS = dict.fromkeys((*PARTNER_SLOTS, PARTNER_REST), 100)

#: the fields counted over every record found, one aggregation each (the partners in slots): built once
_FACET_SPEC = {
    counted: {"terms": {"field": counted, "size": FACET_BUCKETS.get(counted, 40)}}
    for name in FACET_FIELDS
    for counted in (PARTNER_SLOTS if name == "partners" else (name,))
}
_REST_SPEC = {PARTNER_REST: {"terms": {"field": PARTNER_REST, "size": FACET_BUCKETS[PARTNER_REST]}}}


def aggregate(searcher: tantivy.Searcher, query: tantivy.Query, schema: tantivy.Schema, facets: bool) -> dict:
    """One pass over every document found: how many, the hits they make (hits.counted) and, when
    asked, the facet counts."""
    counts = searcher.aggregate(query, _FACET_SPEC | hits.FAMILY_SPEC if facets else hits.FAMILY_SPEC)
    # The partners beyond the slots, counted only where a record has them: the intersection with
    # their short posting list, not a multi-valued column read for every record found.
    if facets and searcher.doc_freq("has_partners_rest", 1):
        with_rest = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "has_partners_rest", 1)),
            ]
        )
        counts |= searcher.aggregate(with_rest, _REST_SPEC)
    return counts


def _buckets(raw: dict, counted: str) -> list[tuple[str, int]]:
    return [(str(b["key"]), int(b["doc_count"])) for b in raw.get(counted, {}).get("buckets", [])]


def facet_counts(raw: dict) -> dict[str, list[tuple[str, int]]]:
    """name -> [(value, count)] from the engine's aggregation; the partners' two fields added up."""
    counts = {name: _buckets(raw, name) for name in FACET_FIELDS if name != "partners"}
    partners: dict[str, int] = {}
    for counted in (*PARTNER_SLOTS, PARTNER_REST):
        for key, count in _buckets(raw, counted):
            if key != EMPTY_SLOT:
                partners[key] = partners.get(key, 0) + count
    counts["partners"] = list(partners.items())
    return counts
