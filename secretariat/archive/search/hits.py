"""A page of hits: the families of documents found, one hit each, with their snippets.

A meeting's agenda versions make one family (ranking.family): the page shows the latest version
the query found and names the others as its earlier versions. What the reader may not see is
never found (engine.full_query), so it is neither counted nor named.

Translations are the files of one record in different languages: one document, so one hit, shown
in the reader's preferred language with the others listed (``translations``).
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
    #: the language the hit is shown in, and its files' languages as (language, file id), that
    #: language's first: set only for a record whose files are in more than one language
    language: str = ""
    translations: list[tuple[str, int]] = field(default_factory=list)
    #: the snippet's language where it is that translation's text (the page marks it, for screen readers)
    snippet_language: str = ""


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


#: more families than an archive holds (a meeting's agenda versions make one): all are counted
MAX_FAMILIES = 100_000
#: what ``counted`` adds to an aggregation: the documents of each family, 0 being the documents in
#: none; exact (a terms count, where a cardinality estimate would be off by a percent beyond a few
#: thousand families, and slower)
FAMILY_SPEC = {"families": {"terms": {"field": "family", "size": MAX_FAMILIES}}}


def counted(raw: dict) -> tuple[int, int]:
    """(documents found, hits they make: each family's documents count once) from an aggregation
    that held FAMILY_SPEC. Read in the same pass over the documents found as the facet counts."""
    buckets = raw.get("families", {}).get("buckets", [])  # none when the index is empty or nothing is found
    alone = sum(int(b["doc_count"]) for b in buckets if int(b["key"]) == 0)
    members = sum(int(b["doc_count"]) for b in buckets if int(b["key"]) != 0)
    return alone + members, alone + sum(1 for b in buckets if int(b["key"]) != 0)


def page(searcher, families: list[list[tuple]], plan: Plan, text, preferred: tuple[str, ...] = ()) -> list[Hit]:
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
        body, shown, translations = in_language(doc.get_first("body") or "", preferred)
        kind, _, key = (doc.get_first("doc_key") or "record:0").partition(":")
        pieces, in_shown = _snippet(body, shown, terms, prefixes) if text is not None else (plain(shown or body), shown)
        hits.append(
            Hit(
                kind=kind,
                record_id=int(key),
                score=float(score) if text is not None else 0.0,
                title=doc.get_first("title") or "",
                snippet=pieces,
                earlier=[_earlier(searcher, members[n][1]) for n in order[1:]],
                language=translations[0][0] if translations else "",
                translations=translations,
                snippet_language=translations[0][0] if in_shown else "",
            )
        )
    return hits


# --- translations -----------------------------------------------------------------------------------

#: what the stored body of a record puts before each file's text: its language and id
#: (indexing.record_fields); control characters that no text search or snippet takes for a word
_PART = re.compile("\x1e([a-z]{2,8}):([0-9]+)\x1f")


def part_mark(language: str, file_id: int) -> str:
    """The mark a file's text starts with in a record's stored body."""
    return f"\x1e{language}:{file_id}\x1f"


def unmarked(text: str) -> str:
    """A file's text without the separators of the marks, so that no text can pass for one."""
    return text.replace("\x1e", " ").replace("\x1f", " ") if "\x1e" in text or "\x1f" in text else text


def in_language(body: str, preferred: tuple[str, ...]) -> tuple[str, str, list[tuple[str, int]]]:
    """A record's stored body without its marks; the text of its file in the first of ``preferred``
    languages it holds (else its first file's), when its files are in several; and its files'
    languages as (language, file id), the one shown first, each language once."""
    pieces = _PART.split(body)
    if len(pieces) == 1:
        return body, "", []
    texts: dict[str, list[str]] = {}
    ids: dict[str, int] = {}
    for n in range(1, len(pieces), 3):
        language, file_id, text = pieces[n], int(pieces[n + 1]), pieces[n + 2]
        texts.setdefault(language, []).append(text)
        ids.setdefault(language, file_id)
    plain_body = "".join(pieces[::3])
    if len(ids) < 2:
        return plain_body, "", []
    shown = next((code for code in preferred if code in ids), next(iter(ids)))
    translations = [(shown, ids[shown])] + [(code, n) for code, n in ids.items() if code != shown]
    return plain_body, "".join(texts[shown]), translations


def _snippet(body: str, shown: str, terms: list[str], prefixes: list[str]) -> tuple[Pieces, bool]:
    """The snippet from the text in the reader's language where the query's words are marked in it
    (and True), else from wherever they are (a word of another language found the document)."""
    if not shown:
        return snippet(body, terms, prefixes), False
    pieces = snippet(shown, terms, prefixes)
    if any(marked for _, marked in pieces):
        return pieces, True
    found = snippet(body, terms, prefixes)
    # nothing marked anywhere (a run of Chinese or Thai is marked nowhere): the reader's language
    return (found, False) if any(marked for _, marked in found) else (pieces, True)


def _earlier(searcher, address) -> Hit:
    """An earlier version of a family, as the page lists it: its title and date, from the index
    (a family's documents are agenda versions, short texts), not from the database."""
    doc = searcher.doc(address)
    _, _, key = (doc.get_first("doc_key") or "record:0").partition(":")
    return Hit("record", int(key), 0.0, doc.get_first("title") or "", [], date=doc.get_first("date"))
