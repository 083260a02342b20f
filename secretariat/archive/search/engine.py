"""The search index (tantivy, a Rust search library), kept next to the database and rebuildable from it.

Why tantivy: ranked hits with snippets over a million records must answer in tens of
milliseconds on SQLite and PostgreSQL deployments alike, which neither database's own full-text
search did (see bench/search.py). The database stays the source of truth; search/indexing.py
decides what is indexed and keeps the index in step through the change log (changelog.py);
folders.py says where each host keeps its index.

What is indexed: the title and the text are stored as written (for the hit's title and snippet)
and indexed as terms computed in Python once per distinct word, in the text's language (languages.py),
plus pairs of common words for fast phrases (pairs.py). Queries are built from the same terms.
"""

from __future__ import annotations

import json
import shutil
import threading
import time as time_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tantivy
from flask import current_app

from secretariat.archive.search import counting, folders, hits, languages, pairs, ranking
from secretariat.archive.search.counting import EMPTY_SLOT, PARTNER_REST, PARTNER_SLOTS
from secretariat.archive.search.hits import Hit
from secretariat.archive.search.query import Clause, Plan

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: embargoes "until the meeting closes" are indexed as this far date until the meeting closes
FAR_FUTURE = datetime(2262, 1, 1, tzinfo=UTC)  # tantivy dates end in 2262
#: the levels a partner's user may see; archive/access.py holds the rule, a test checks they agree
PARTNER_LEVELS = ("public", "restricted")
#: the stems of the title and of the text (see stems.py); the title counts double in the ranking
TERM_FIELDS = {"title_terms": 2.0, "body_terms": 1.0}
#: the character bigrams of their runs of unspaced scripts (Chinese, Thai ...: see languages.py)
GRAM_FIELDS = {"title_grams": 2.0, "body_grams": 1.0}
#: title and text are only stored: a tokenizer that finds nothing keeps tantivy from indexing them
STORED_ONLY = "stored_only"
WRITER_HEAP = 64_000_000
#: a rebuild's memory budget (not an allocation): the larger, the fewer segments to search.
REBUILD_HEAP = 2_000_000_000

_lock = threading.Lock()
_indexes: dict[str, tantivy.Index] = {}
_paths: dict[int, Path] = {}  # id(index) -> its folder, where the common-word list lives too
_current: dict[str, Path] = {}  # ARCHIVE_INDEX -> the generation this process searched last


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    #: "record:12" or "initiative:5": what a hit points to, and the term to delete it by
    sb.add_text_field("doc_key", stored=True, tokenizer_name="raw")
    sb.add_integer_field("record_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("title", stored=True, tokenizer_name=STORED_ONLY, index_option="basic")
    sb.add_text_field("body", stored=True, tokenizer_name=STORED_ONLY, index_option="basic")
    sb.add_text_field("title_terms", tokenizer_name="whitespace")
    sb.add_text_field("body_terms", tokenizer_name="whitespace")
    sb.add_text_field("title_grams", tokenizer_name="whitespace")
    sb.add_text_field("body_grams", tokenizer_name="whitespace")
    #: the analyses the document's text went through (languages.STEMMERS' codes, or "none"):
    #: a query word is looked up in each analysis some document holds
    sb.add_text_field("analysis", tokenizer_name="raw")
    #: adjacent pairs of common words as single terms, for fast two-word phrases (see pairs.py)
    sb.add_text_field("pairs", tokenizer_name="whitespace", index_option="freq")
    for name in ("type", "meeting_kind", "language", "tags", "confidentiality", "meeting_code"):
        sb.add_text_field(name, stored=name in ("type", "meeting_code"), tokenizer_name="raw", fast=True)
    # A record's partners: every one for filtering; for counting, in slots and the rest (see
    # PARTNER_SLOTS), with a posting list of the records that have a rest.
    sb.add_text_field("partners", tokenizer_name="raw")
    for slot in PARTNER_SLOTS:
        sb.add_text_field(slot, tokenizer_name="raw", fast=True)
    sb.add_text_field(PARTNER_REST, tokenizer_name="raw", fast=True)
    sb.add_integer_field("has_partners_rest", indexed=True)
    sb.add_integer_field("year", stored=True, indexed=True, fast=True)
    sb.add_integer_field("withdrawn", indexed=True, fast=True)
    # What the partner's users may not see, as two short posting lists (see full_query): 1 for a
    # record of the coordinators' level or withdrawn, and 1 for a record with an embargo date.
    sb.add_integer_field("partner_hidden", indexed=True)
    sb.add_integer_field("embargoed", indexed=True)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    sb.add_date_field("embargo_until", indexed=True, fast=True)
    # --- Ranking and grouping (issue 28; computed in make_document, see ranking.py) -----------
    #: the family a hit is shown under (a meeting's agenda versions share one; 0: alone)
    sb.add_integer_field("family", indexed=True, fast=True)
    #: the weight of the document's type: the score is multiplied by log2(2 + authority)
    sb.add_integer_field("authority", fast=True)
    # --- end of ranking and grouping ----------------------------------------------------------
    return sb.build()


SCHEMA = build_schema()


def index_path() -> Path:
    """This host's index folder (ARCHIVE_INDEX): its generations and their pointer (see folders.py)."""
    return Path(current_app.config["ARCHIVE_INDEX"])


def get_index(path: Path | None = None) -> tantivy.Index:
    """The index in ``path``, or the generation searched now (looked up at each call: a rebuild
    elsewhere may have switched it; one of another release's schema is left for an empty one)."""
    if path is not None:
        return _open(path)
    base = index_path()
    folder = folders.current(base)
    if _current.get(str(base), folder) != folder:  # switched by a rebuild: drop the old one's readers
        _paths.pop(id(_indexes.pop(str(_current[str(base)]), None)), None)
    _current[str(base)] = folder
    try:
        return _open(folder)
    except ValueError:  # another release's schema: searches see an empty index until the rebuild
        fresh = folders.new_generation(base)
        folders.switch(base, fresh)
        return _open(fresh)


def _open(path: Path) -> tantivy.Index:
    key = str(path)
    with _lock:
        index = _indexes.get(key)
        if index is None:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(SCHEMA, path=key, reuse=True)
            index.register_tokenizer(STORED_ONLY, _NOTHING)
            _indexes[key] = index
            _paths[id(index)] = path
        return index


def folder_of(index: tantivy.Index) -> Path:
    return _paths[id(index)]


def forget(folder: Path) -> None:
    """Close and delete a generation that will never be searched (a rebuild that failed)."""
    with _lock:
        _paths.pop(id(_indexes.pop(str(folder), None)), None)
    shutil.rmtree(folder, ignore_errors=True)


def is_new(index: tantivy.Index) -> bool:
    """Whether the index waits for its first rebuild (started afresh, emptied or of an older release)."""
    return folders.applied(_paths[id(index)]) is None


#: a tokenizer that finds no word (an anchored empty class: it fails at once, whatever the text)
_NOTHING = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"\A[^\s\S]")).build()


def common_words(index: tantivy.Index) -> frozenset[str]:
    """The common-word list kept beside ``index`` (empty for an index opened elsewhere)."""
    path = _paths.get(id(index))
    return pairs.load(path) if path else frozenset()


def learn_common_words(index: tantivy.Index, texts) -> frozenset[str]:
    """Learn the common words from a sample of the archive; call before re-adding every record."""
    return pairs.extend(_paths[id(index)], pairs.choose(texts))


def state(index: tantivy.Index) -> tuple[str, int] | None:
    """The index's generation and its last commit (tantivy's opstamp, which only grows), read
    before searching: a state the search's results are at least as recent as. None while the index
    waits for a rebuild (what it finds changes as the rebuild runs) or its commit cannot be read."""
    folder = _paths[id(index)]
    if folders.applied(folder) is None:
        return None
    try:
        return str(folder), int(json.loads((folder / "meta.json").read_text())["opstamp"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lifted_embargoes(index: tantivy.Index, now: datetime) -> int:
    """How many documents' embargo dates have passed by ``now``: what a partner's user finds
    changes when one passes, with no change to the index (see full_query)."""
    index.reload()
    passed = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "embargoed", 1)),
            (
                tantivy.Occur.Must,
                tantivy.Query.range_query(SCHEMA, "embargo_until", tantivy.FieldType.Date, EPOCH, now),
            ),
        ]
    )
    return index.searcher().search(passed, 1, count=True).count


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
    partners = fields.get("partners") or []
    partners = list(dict.fromkeys([partners] if isinstance(partners, str) else partners))  # each once
    fields = {
        **fields,
        "partners": partners,
        **{slot: partners[n : n + 1] or [EMPTY_SLOT] for n, slot in enumerate(PARTNER_SLOTS)},
        PARTNER_REST: partners[len(PARTNER_SLOTS) :],
        "has_partners_rest": int(len(partners) > len(PARTNER_SLOTS)),
        "partner_hidden": int(fields["confidentiality"] not in PARTNER_LEVELS or bool(fields["withdrawn"])),
        "embargoed": int(fields["embargo_until"] != EPOCH),
        "family": ranking.family(fields["type"], fields.get("meeting_code") or ""),
        "authority": ranking.authority(fields["type"]),
    }
    # Each text split once, for its terms and its pairs; title and body apart, so the title's last
    # word and the body's first make no pair. The body's parts (a record's files) may each be in
    # their own language (indexing.record_fields); without them, the whole body is in the record's.
    language = fields.get("language") or "en"
    if not isinstance(language, str):  # the record's own first, then its files' (indexing.record_fields)
        language = language[0]
    parts = fields.pop("body_parts", None) or [(fields["body"], language)]
    title_terms, title_grams, title_words = languages.analyse(fields["title"], language)
    body = [languages.analyse(text, part_language) for text, part_language in parts]
    fields["title_terms"] = title_terms
    fields["body_terms"] = " ".join(terms for terms, _, _ in body)
    fields["title_grams"] = title_grams
    fields["body_grams"] = " ".join(grams for _, grams, _ in body if grams)
    fields["analysis"] = sorted({languages.analysis_of(code) for code in (language, *(p[1] for p in parts))})
    if common:
        body_pairs = " ".join(pairs.terms_of_words(words, common) for _, _, words in body)
        fields["pairs"] = pairs.terms_of_words(title_words, common) + " " + body_pairs
    return tantivy.Document(**fields)


# --- queries ---------------------------------------------------------------------------------------


@dataclass
class Results:
    total: int
    hits: list[Hit]
    #: how many documents the index holds (none: it is new or lost, and must be rebuilt)
    indexed: int = 0
    #: name -> [(value, count)] over every document found (empty when not asked for)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class Access:
    """Who searches; applied inside the engine query, so nothing leaks via counts or snippets.

    Cleared users (coordinators, administrators) see every record; everyone else sees what
    archive/access.py lets a partner's user open: public and restricted records, not withdrawn,
    not under embargo.
    """

    cleared: bool


def _in_term_fields(make: Callable[[str], tantivy.Query]) -> tantivy.Query:
    """``make``'s query in the title's stems and the text's, either matching; the title counts double."""
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Should, make(name) if boost == 1.0 else tantivy.Query.boost_query(make(name), boost))
            for name, boost in TERM_FIELDS.items()
        ]
    )


def _sequence(name: str, terms: list[str]) -> tantivy.Query:
    """One term, or several one after another (a phrase), in one field."""
    if len(terms) == 1:
        return tantivy.Query.term_query(SCHEMA, name, terms[0])
    return tantivy.Query.phrase_query(SCHEMA, name, terms)


def _clause_query(clause: Clause, common: frozenset[str], analyses: list[str] | None = None) -> tantivy.Query:
    # Only word tokens, lower-cased (see query.py): built into queries term by term, never parsed.
    if clause.kind == "meeting":  # the codes of the meetings the query names (searching.py)
        return tantivy.Query.term_set_query(SCHEMA, "meeting_code", clause.tokens)
    if clause.kind == "prefix":
        pattern = _regex_escape(clause.tokens[0]) + ".*"
        return _in_term_fields(lambda name: tantivy.Query.regex_query(SCHEMA, name, pattern))
    spaced, runs = languages.query_parts(clause.tokens)
    found = [languages.run_query(SCHEMA, run, GRAM_FIELDS | TERM_FIELDS) for run in runs]
    if spaced:
        sequences = languages.term_sequences(spaced, analyses or ["en"])
        if not sequences:
            return tantivy.Query.empty_query()  # a word of no letter or digit: nothing has it
        pair = pairs.phrase_term(clause.tokens, common) if len(clause.tokens) > 1 and not runs else None
        if pair is not None:
            # One posting list finds them; the phrase in the title still ranks first, as below.
            in_title = tantivy.Query.boost_query(_sequence("title_terms", sequences[0]), TERM_FIELDS["title_terms"])
            found.append(
                tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "pairs", pair)),
                        (tantivy.Occur.Should, in_title),
                    ]
                )
            )
        else:
            alternatives = [_in_term_fields(lambda name, terms=terms: _sequence(name, terms)) for terms in sequences]
            found.append(alternatives[0] if len(alternatives) == 1 else languages.any_of(alternatives))
    if not found:
        return tantivy.Query.empty_query()
    return found[0] if len(found) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in found])


def _regex_escape(text: str) -> str:
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def text_query(
    plan: Plan, common: frozenset[str] = frozenset(), analyses: list[str] | None = None
) -> tantivy.Query | None:
    """The user's words as one query; with ``common``, two-word phrases of common words use their pair term."""
    if not plan.groups:
        return None
    musts = []
    for group in plan.groups:
        queries = [_clause_query(c, common, analyses) for c in group]
        musts.append(
            queries[0]
            if len(queries) == 1
            else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])
        )
    return musts[0] if len(musts) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in musts])


def _still_embargoed(now: datetime) -> tantivy.Query:
    return tantivy.Query.boolean_query(
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


def full_query(
    plan: Plan,
    access: Access,
    filters: dict[str, list],
    now: datetime,
    common: frozenset[str] = frozenset(),
    analyses: list[str] | None = None,
):
    """The user's words, their exclusions, the filters and the access rules, as one engine query."""
    parts: list[tuple] = []
    text = text_query(plan, common, analyses)
    if text is not None:
        parts.append((tantivy.Occur.Must, text))
    elif access.cleared:
        parts.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    else:
        # No words: what a partner's user may see, read from its posting list.
        parts.append((tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "partner_hidden", 0)))
    for clause in plan.excluded:
        parts.append((tantivy.Occur.MustNot, _clause_query(clause, common, analyses)))
    if not access.cleared:
        # Two exclusions with short posting lists, rather than one per attribute (level,
        # withdrawal, embargo date) checked over every record found.
        if text is not None:
            parts.append((tantivy.Occur.MustNot, tantivy.Query.term_query(SCHEMA, "partner_hidden", 1)))
        # An embargo lifts by itself when its date passes: the date is compared at query time,
        # only for the few records that have one.
        parts.append((tantivy.Occur.MustNot, _still_embargoed(now)))
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
            parts.append((tantivy.Occur.Must, tantivy.Query.term_set_query(SCHEMA, name, values)))
    return tantivy.Query.boolean_query(parts), text


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
    preferred: tuple[str, ...] = (),
) -> Results:
    """One page of hits for ``plan`` as ``access`` may see them, with the facet counts of all found.

    One hit per family (ranking.family): a meeting's agenda versions found by the query are one
    hit, the latest of them, placed where its best-ranked version would be; the others ride along
    as its ``earlier`` versions. Only what ``access`` may see is found, so nothing else is counted.
    A record holding translations is shown in the first of the ``preferred`` languages it holds.
    """
    index = index or get_index()
    now = now or datetime.now(UTC)
    common = common_words(index)  # read before the snapshot: see pairs.py
    index.reload()
    searcher = index.searcher()
    query, text = full_query(plan, access, filters, now, common, languages.analyses_held(searcher))
    ranked = text is not None and sort != "date"
    raw = counting.aggregate(searcher, query, SCHEMA, facets)
    count, total = hits.counted(raw)
    families = hits.families(searcher, query, offset + limit, ranked, count) if count else []
    return Results(
        total=total,
        hits=hits.page(searcher, families[offset : offset + limit], plan, text, preferred),
        indexed=searcher.num_docs,
        facets=counting.facet_counts(raw) if facets and count else {},
    )


# --- writing ----------------------------------------------------------------------------------------


@contextmanager
def rebuilding(index: tantivy.Index) -> Iterator[Callable[[dict], None]]:
    """Replace every document by those added in the block, in one commit.

    Searchers see the old index until the new one is complete. One writer thread with a large
    budget (REBUILD_HEAP): reading the rows from the database is the slower half.
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
    """Delete then add: applying the same change twice gives the same index (no change id recorded)."""
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
    """Empty the index: it no longer holds what the change log says, and waits for a rebuild."""
    with rebuilding(index):
        pass
    folders.forget_applied(_paths[id(index)])
