"""The search index (tantivy, a Rust search library), kept next to the database and rebuildable from it.

Why tantivy: ranked top-10 with snippets over 1,000,000 records must answer in tens of
milliseconds on two cores, on SQLite and PostgreSQL deployments alike. Measured here, SQLite
FTS5 needed 376 ms and PostgreSQL's ts_rank 2.7 s at that size; tantivy 8 ms (see bench/search.py).
The database stays the source of truth: every change writes a row to ``search_outbox`` in
its own transaction, and ``sync()`` applies pending rows to the index (idempotently: delete then
add), so a crash between the database commit and the index update is repaired by the next sync.
"""

from __future__ import annotations

import os
import shutil
import threading
import time as time_module
from bisect import bisect_right
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape as escape_text
from pathlib import Path

import tantivy
from flask import current_app
from markupsafe import Markup, escape

from secretariat.archive.search import pairs
from secretariat.archive.search.query import Clause, Plan

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: embargoes "until the meeting closes" are indexed as this far date until the meeting closes
FAR_FUTURE = datetime(2262, 1, 1, tzinfo=UTC)  # tantivy dates end in 2262
#: the levels a partner's user may see; archive/access.py holds the rule, a test checks they agree
PARTNER_LEVELS = ("public", "restricted")
FACET_FIELDS = ("type", "year", "meeting_kind", "partners", "language")
TEXT_FIELDS = ["title", "body"]
WRITER_HEAP = 64_000_000
#: a rebuild's memory budget: tantivy fills it before it writes a segment, so the larger the budget
#: the fewer the segments, and searching and counting facets over 100,000 records in one segment
#: took 60% of the time over seven (bench/search.py, bench/pages.py). A budget, not an allocation.
REBUILD_HEAP = 2_000_000_000

_lock = threading.Lock()
_indexes: dict[str, tantivy.Index] = {}
_paths: dict[int, Path] = {}  # id(index) -> its folder, where the common-word list lives too


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    #: "record:12" or "initiative:5": what a hit points to, and the term to delete it by
    sb.add_text_field("doc_key", stored=True, tokenizer_name="raw")
    sb.add_integer_field("record_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
    #: adjacent pairs of common words as single terms, for fast two-word phrases (see pairs.py)
    sb.add_text_field("pairs", tokenizer_name="whitespace", index_option="freq")
    for name in ("type", "meeting_kind", "partners", "language", "tags", "confidentiality", "meeting_code"):
        sb.add_text_field(name, stored=name in ("type", "meeting_code"), tokenizer_name="raw", fast=True)
    sb.add_integer_field("year", stored=True, indexed=True, fast=True)
    sb.add_integer_field("withdrawn", indexed=True, fast=True)
    # What the partner's users may not see, as two short posting lists (see full_query): 1 for a
    # record of the coordinators' level or withdrawn, and 1 for a record with an embargo date.
    sb.add_integer_field("partner_hidden", indexed=True)
    sb.add_integer_field("embargoed", indexed=True)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    sb.add_date_field("embargo_until", indexed=True, fast=True)
    return sb.build()


SCHEMA = build_schema()


def index_path() -> Path:
    return Path(current_app.config["ARCHIVE_INDEX"])


def get_index(path: Path | None = None) -> tantivy.Index:
    """The index at ``path`` (opened once per process; created if missing).

    An index written with another schema (an older release) is set aside and started afresh;
    ``is_empty_but_should_not_be`` then tells the caller to rebuild it from the database.
    """
    path = path or index_path()
    key = str(path)
    with _lock:
        index = _indexes.get(key)
        if index is None:
            path.mkdir(parents=True, exist_ok=True)
            try:
                index = tantivy.Index(SCHEMA, path=key, reuse=True)
            except ValueError:
                shutil.rmtree(path)
                path.mkdir(parents=True)
                index = tantivy.Index(SCHEMA, path=key, reuse=True)
            _indexes[key] = index
            _paths[id(index)] = path
        return index


def common_words(index: tantivy.Index) -> frozenset[str]:
    """The common-word list kept beside ``index`` (empty for an index opened elsewhere)."""
    path = _paths.get(id(index))
    return pairs.load(path) if path else frozenset()


def learn_common_words(index: tantivy.Index, texts) -> frozenset[str]:
    """Learn the common words from a sample of the archive; call before re-adding every record."""
    return pairs.extend(_paths[id(index)], pairs.choose(texts))


def document_count(index: tantivy.Index) -> int:
    index.reload()
    return index.searcher().num_docs


def writer(index: tantivy.Index, attempts: int = 50, threads: int = 1, heap: int = WRITER_HEAP):
    """The index's single writer; another process may hold it for a moment, so wait a little."""
    for attempt in range(attempts):
        try:
            return index.writer(heap_size=heap * threads, num_threads=threads)
        except ValueError:
            if attempt == attempts - 1:
                raise
            time_module.sleep(0.1)
    raise RuntimeError("unreachable")


def make_document(fields: dict, common: frozenset[str] = frozenset()) -> tantivy.Document:
    fields = {
        **fields,
        "partner_hidden": int(fields["confidentiality"] not in PARTNER_LEVELS or bool(fields["withdrawn"])),
        "embargoed": int(fields["embargo_until"] != EPOCH),
    }
    if common:
        # Title and body apart, so the title's last word and the body's first make no pair.
        fields = {**fields, "pairs": pairs.terms(fields["title"], common) + " " + pairs.terms(fields["body"], common)}
    return tantivy.Document(**fields)


# --- queries ---------------------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str  # "record" or "initiative"
    record_id: int
    score: float
    title: str
    snippet: Markup


@dataclass
class Results:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: how many documents the index holds (none: it is new or lost, and must be rebuilt)
    indexed: int = 0


@dataclass
class Access:
    """Who searches; applied inside the engine query, so nothing leaks via counts or snippets.

    Cleared users (coordinators, administrators) see every record; everyone else sees what
    archive/access.py lets a partner's user open: public and restricted records, not withdrawn,
    not under embargo.
    """

    cleared: bool


def _clause_query(index: tantivy.Index, clause: Clause, common: frozenset[str]) -> tantivy.Query:
    words = " ".join(clause.tokens)  # only \w tokens, lower-cased: nothing the parser could misread
    if clause.kind == "prefix":
        prefix = clause.tokens[0]
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.regex_query(SCHEMA, name, _regex_escape(prefix) + ".*"))
                for name in TEXT_FIELDS
            ]
        )
    if clause.kind == "phrase" or len(clause.tokens) > 1:
        pair = pairs.phrase_term(clause.tokens, common)
        if pair is not None:
            # One posting list finds them; the phrase in the title still ranks first, as below.
            in_title = index.parse_query(f'"{words}"', ["title"], field_boosts={"title": 2.0})
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "pairs", pair)),
                    (tantivy.Occur.Should, in_title),
                ]
            )
        return index.parse_query(f'"{words}"', TEXT_FIELDS, field_boosts={"title": 2.0})
    return index.parse_query(words, TEXT_FIELDS, field_boosts={"title": 2.0})


def _regex_escape(text: str) -> str:
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def text_query(index: tantivy.Index, plan: Plan, common: frozenset[str] = frozenset()) -> tantivy.Query | None:
    """The user's words as one query; with ``common``, two-word phrases of common words use their pair term."""
    if not plan.groups:
        return None
    musts = []
    for group in plan.groups:
        queries = [_clause_query(index, c, common) for c in group]
        musts.append(
            queries[0]
            if len(queries) == 1
            else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])
        )
    return musts[0] if len(musts) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in musts])


def _terms(name: str, values: list[str]) -> tantivy.Query:
    return tantivy.Query.term_set_query(SCHEMA, name, values)


def full_query(
    index: tantivy.Index,
    plan: Plan,
    access: Access,
    filters: dict[str, list],
    now: datetime,
    common: frozenset[str] = frozenset(),
):
    """The user's words, their exclusions, the filters and the access rules, as one engine query."""
    parts: list[tuple] = []
    text = text_query(index, plan, common)
    parts.append((tantivy.Occur.Must, text if text is not None else tantivy.Query.all_query()))
    for clause in plan.excluded:
        parts.append((tantivy.Occur.MustNot, _clause_query(index, clause, common)))
    if not access.cleared:
        # Two exclusions with short posting lists. The same rule as one exclusion per attribute
        # (level, withdrawal, embargo date range over every record) made the most common words
        # three times slower at 1,000,000 records: measured 28 ms against 9 ms without it.
        parts.append((tantivy.Occur.MustNot, tantivy.Query.term_query(SCHEMA, "partner_hidden", 1)))
        # An embargo lifts by itself when its date passes: the date is compared at query time,
        # only for the few records that have one.
        still_embargoed = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "embargoed", 1)),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        SCHEMA, "embargo_until", tantivy.FieldType.Date, now + timedelta(microseconds=1), FAR_FUTURE
                    ),
                ),
            ]
        )
        parts.append((tantivy.Occur.MustNot, still_embargoed))
    for name, values in filters.items():
        if not values:
            continue
        if name == "year_range":
            low, high = values
            parts.append(
                (tantivy.Occur.Must, tantivy.Query.range_query(SCHEMA, "year", tantivy.FieldType.Integer, low, high))
            )
        elif name == "year":
            parts.append((tantivy.Occur.Must, tantivy.Query.term_set_query(SCHEMA, "year", [int(v) for v in values])))
        else:
            parts.append((tantivy.Occur.Must, _terms(name, values)))
    return tantivy.Query.boolean_query(parts), text


#: how much text the highlighter reads for one hit. It tokenizes and stems all it is given: a
#: whole 1 MB file text took 80 ms a hit (bench/snippets.py), and even the 1-3 KB of an ordinary
#: record, twenty hits a page, made stemming a tenth of the search page's work (callgrind). So a
#: text longer than a window is given in windows around where the query's words may appear (at
#: most SNIPPET_TRIES of them, then the beginning), and the first window that highlights is used.
SNIPPET_WINDOW = 800
SNIPPET_TRIES = 3
#: the length of the fragment shown (set_max_num_chars): a window is chosen where the most
#: different words of the query fall within this length, as the fragment tantivy picks would
SNIPPET_CHARS = 220
#: occurrences of one spelling looked at, so a very common word in a long text costs little
SNIPPET_OCCURRENCES = 40
#: the body field's analysis (tokenizer "en_stem"), to know the stem of each word of the query
_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def _look_for(words: list[str]) -> list[str]:
    """What to look for in a text, one beginning per word of the query.

    A word's stem is mostly how its forms begin ("connectivity" -> "connect" finds "connected");
    a stem ending in a changed letter ("policy" -> "polici") loses it ("polic" finds "policies").
    """
    beginnings = []
    for word in words:
        for stem in _STEMMER.analyze(word) or [word]:
            beginnings.append(stem[: max(3, len(stem) - 1)] if stem.endswith("i") else stem)
    return beginnings


def _passages(body: str, words: list[str]):
    """The parts of ``body`` worth highlighting: all of a short text; windows of a long one."""
    if len(body) <= SNIPPET_WINDOW:
        yield body
        return
    # Where a word of the query may be: a word of the text that begins like it, in lower case,
    # capitalised or in capitals (lower-casing a 1 MB text took longer than searching it three
    # times). This only chooses where to look; tantivy decides what really matches in a window.
    found: list[tuple[int, int]] = []  # (position, which word of the query)
    for number, beginning in enumerate(_look_for(words)):
        for variant in {beginning, beginning.capitalize(), beginning.upper()}:
            position, seen = -1, 0
            while seen < SNIPPET_OCCURRENCES and (position := body.find(variant, position + 1)) >= 0:
                if position == 0 or not body[position - 1].isalnum():
                    found.append((position, number))
                    seen += 1
    found.sort()
    positions = [position for position, _ in found]
    # Best first: where the most different words of the query come within one fragment's length,
    # then the earliest such place (for one word, simply the earliest).
    ranked = range(len(found))
    if len(words) > 1:
        ranked = sorted(
            ranked,
            key=lambda i: (
                -len({number for _, number in found[i : bisect_right(positions, positions[i] + SNIPPET_CHARS)]}),
                positions[i],
            ),
        )
    tried: list[tuple[int, int]] = []
    for i in ranked:
        position = found[i][0]
        if any(start <= position < end - SNIPPET_CHARS for start, end in tried):
            continue  # inside a window that highlighted nothing
        if len(tried) == SNIPPET_TRIES:
            break
        # A little of what comes before, from the beginning of a word.
        start = max(0, body.rfind(" ", 0, max(0, position - SNIPPET_CHARS // 2)) + 1)
        tried.append((start, start + SNIPPET_WINDOW))
        yield body[start : start + SNIPPET_WINDOW]
    yield body[:SNIPPET_WINDOW]


def _snippet(generator, body: str, words: list[str]) -> Markup:
    if generator is None:
        return escape(body[:240])
    snippet = None
    for passage in _passages(body, words):
        snippet = generator.snippet_from_doc(tantivy.Document(body=passage))
        if snippet.highlighted():
            break
    fragment = snippet.fragment() if snippet else ""
    if not fragment:
        return escape(body[:240])
    out, cursor = [], 0
    # Highlight offsets are in bytes of the UTF-8 fragment. Every piece of text is escaped here
    # and only our own <mark> tags are added, so the joined string is safe markup. Plain strings
    # and one Markup at the end: a Markup per piece cost a third of the snippets' time.
    raw = fragment.encode("utf-8")
    for span in snippet.highlighted():
        out.append(escape_text(raw[cursor : span.start].decode("utf-8", "ignore"), quote=True))
        out.append("<mark>" + escape_text(raw[span.start : span.end].decode("utf-8", "ignore"), quote=True) + "</mark>")
        cursor = span.end
    out.append(escape_text(raw[cursor:].decode("utf-8", "ignore"), quote=True))
    return Markup("".join(out))  # noqa: S704  # nosec B704: every piece escaped above


#: facet counts are taken on a second thread while this one ranks, highlights and loads the hits:
#: tantivy lets go of Python's lock while it counts, so on two cores most of the counting (about
#: 2.4 ms at 100,000 records, bench/pages.py) no longer adds to the page's time.
_counting: tuple[int, ThreadPoolExecutor] | None = None


def _counter() -> ThreadPoolExecutor:
    global _counting
    # A pool made before a fork (gunicorn's workers) has no threads in the child: one per process.
    if _counting is None or _counting[0] != os.getpid():
        with _lock:
            if _counting is None or _counting[0] != os.getpid():
                _counting = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="facets"))
    return _counting[1]


def _count_facets(searcher: tantivy.Searcher, query: tantivy.Query) -> dict:
    spec = {name: {"terms": {"field": name, "size": 60 if name == "partners" else 40}} for name in FACET_FIELDS}
    return searcher.aggregate(query, spec)


def search(
    plan: Plan,
    access: Access,
    filters: dict[str, list],
    *,
    sort: str = "relevance",
    offset: int = 0,
    limit: int = 20,
    facets: bool = True,
    now: datetime | None = None,
    index: tantivy.Index | None = None,
) -> Results:
    index = index or get_index()
    common = common_words(index)  # read before the snapshot: see pairs.py
    index.reload()
    searcher = index.searcher()
    query, text = full_query(index, plan, access, filters, now or datetime.now(UTC), common)
    counting: Future | None = _counter().submit(_count_facets, searcher, query) if facets else None
    try:
        if sort == "date" or text is None:
            result = searcher.search(query, limit, count=True, order_by_field="date", offset=offset)
        else:
            result = searcher.search(query, limit, count=True, offset=offset)
        hits = _hits(searcher, result.hits, plan, text, common, index)
    except BaseException:
        if counting is not None and not counting.cancel():
            counting.exception()  # let it finish: nothing of this request keeps running after it
        raise
    facet_counts: dict[str, list[tuple[str, int]]] = {}
    if counting is not None:
        raw = counting.result()
        for name in FACET_FIELDS if result.count else ():
            buckets = raw.get(name, {}).get("buckets", [])
            facet_counts[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
    return Results(total=result.count, hits=hits, facets=facet_counts, indexed=searcher.num_docs)


def _hits(searcher, found, plan: Plan, text, common: frozenset[str], index) -> list[Hit]:
    generator = None
    if text is not None:
        # Highlighting needs the words of the body field, which the pair terms are not.
        words = text_query(index, plan) if common else text
        generator = tantivy.SnippetGenerator.create(searcher, words, SCHEMA, "body")
        generator.set_max_num_chars(SNIPPET_CHARS)
    words = [token for group in plan.groups for clause in group for token in clause.tokens]
    hits = []
    for score, address in found:
        doc = searcher.doc(address)
        body = doc.get_first("body") or ""
        kind, _, key = (doc.get_first("doc_key") or "record:0").partition(":")
        hits.append(
            Hit(
                kind=kind,
                record_id=int(key),
                score=float(score) if text is not None else 0.0,
                title=doc.get_first("title") or "",
                snippet=_snippet(generator, body, words),
            )
        )
    return hits


# --- writing ----------------------------------------------------------------------------------------


@contextmanager
def rebuilding(index: tantivy.Index) -> Iterator[Callable[[dict], None]]:
    """Replace every document by those added in the block, in one commit.

    Searchers see the old index until the new one is complete, and one writer thread with a large
    budget writes few, large segments (see REBUILD_HEAP). One thread is enough: reading the rows
    from the database is the slower half, and the writer works on its own thread meanwhile.
    """
    w = writer(index, heap=REBUILD_HEAP)
    common = common_words(index)  # read while holding the writer: see pairs.py
    try:
        w.delete_all_documents()
        yield lambda fields: w.add_document(make_document(fields, common))
        w.commit()
        w.wait_merging_threads()
    except BaseException:
        w.rollback()
        raise


def replace_documents(index: tantivy.Index, doc_keys: list[str], documents: list[dict], attempts: int = 50) -> None:
    """Delete then add: applying the same change twice gives the same index."""
    w = writer(index, attempts=attempts)
    common = common_words(index)  # read while holding the writer: see pairs.py
    try:
        for key in doc_keys:
            w.delete_documents_by_term("doc_key", key)
        for fields in documents:
            w.add_document(make_document(fields, common))
        w.commit()
        w.wait_merging_threads()
    except BaseException:
        w.rollback()
        raise


def delete_all(index: tantivy.Index) -> None:
    w = writer(index)
    w.delete_all_documents()
    w.commit()
    w.wait_merging_threads()
