"""Indexing throughput and query latency per language (archive/search/languages.py).

Records of about 1 KB are made of the project's test sentences (tests/archive/data/languages.json),
shuffled, one language per record; each language's records are indexed in turn into one index, then
each language's query words are searched. The segmenters' and the detector's loading (seconds, once
per process) is done before the clock and printed apart.

    python bench/languages.py                    # 2,000 records per language
    python bench/languages.py --per-language 500
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secretariat.archive.search import engine, languages  # noqa: E402
from secretariat.archive.search.query import parse  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "archive" / "data" / "languages.json"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def record(n: int, entry: dict, rng: random.Random) -> dict:
    # A record of its language's sentence and the same sentence cut and repeated: about 1 KB of text.
    words = entry["text"].split() if " " in entry["text"] else list(entry["text"])
    parts = []
    while sum(map(len, parts)) < 1000:
        rng.shuffle(words)
        parts.append((" " if " " in entry["text"] else "").join(words))
    return {
        "doc_key": f"record:{n}",
        "record_id": n,
        "title": entry["title"],
        "body": "\n".join(parts),
        "type": "report",
        "meeting_kind": "none",
        "meeting_code": "",
        "partners": ["none"],
        "language": languages.choose(entry.get("filed_as", "en"), entry["text"]),
        "tags": ["none"],
        "confidentiality": "restricted",
        "year": 2020,
        "withdrawn": 0,
        "date": datetime(2020, 1, 1, tzinfo=UTC),
        "embargo_until": engine.EPOCH,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-language", type=int, default=2000)
    args = parser.parse_args()
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))["records"]
    rng = random.Random(1996)
    started = time.perf_counter()
    for entry in entries:  # loads the detector and every segmenter, before the clock
        languages.analyse(entry["text"], languages.choose(entry.get("filed_as", "en"), entry["text"]))
    print(f"loading the detector and the segmenters: {time.perf_counter() - started:.1f} s (once per process)")
    with tempfile.TemporaryDirectory() as workdir:
        index = engine.get_index(Path(workdir))
        n = 0
        print(f"{'lang':6} {'records/s':>10} {'CPU s':>7}   query p50 / max (ms)")
        rows = []
        for entry in entries:
            docs = [record(n + i, entry, rng) for i in range(args.per_language)]
            n += len(docs)
            cpu, wall = cpu_seconds(), time.perf_counter()
            writer = engine.writer(index)
            for fields in docs:
                writer.add_document(engine.make_document(fields))
            writer.commit()
            writer.wait_merging_threads()
            rows.append((entry, len(docs) / (time.perf_counter() - wall), cpu_seconds() - cpu))
        for entry, rate, cpu in rows:
            samples = []
            for query in entry["queries"] * 5:
                start = time.perf_counter()
                engine.search(parse(query), engine.Access(cleared=True), {}, index=index, facets=False)
                samples.append((time.perf_counter() - start) * 1000)
            p50, worst = statistics.median(samples), max(samples)
            print(f"{entry['lang']:6} {rate:10,.0f} {cpu:7.2f}   {p50:6.2f} / {worst:6.2f}")


if __name__ == "__main__":
    main()
