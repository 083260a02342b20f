"""Snippets of long texts: the archive's windowed highlighting against tantivy's highlighter over the whole text.

A record's indexed text holds its files' extracted text: a long report is hundreds of KB. tantivy's
snippet generator tokenizes and stems all the text it is given, so the search page paid for every
long hit in proportion to its length. The archive gives it windows around where the query's words
may be (secretariat/archive/search/engine.py). For texts of 2 KB to 1 MB with the query's word near
the end, this prints the time of one hit's snippet both ways, in the same run, and their ratio.

    python bench/snippets.py
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tantivy  # noqa: E402
from search import paragraphs  # noqa: E402

from secretariat.archive.search import engine  # noqa: E402
from secretariat.archive.search.query import parse  # noqa: E402

SIZES = [2_000, 20_000, 200_000, 1_000_000]
QUERY = "ulaanbaatar"
REPEAT = 20


def timed(function) -> float:
    """Median milliseconds of REPEAT calls."""
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    rng = random.Random(1996)
    paras = paragraphs()
    folder = Path(tempfile.mkdtemp(prefix="bench-snippets-"))
    try:
        index = engine.get_index(folder)
        writer = index.writer(heap_size=100_000_000, num_threads=1)
        for number, size in enumerate(SIZES, start=1):
            text = ""
            while len(text) < size:
                text += paras[rng.randrange(len(paras))] + "\n"
            body = text[: int(size * 0.9)] + " The Ulaanbaatar declaration. " + text[int(size * 0.9) : size]
            writer.add_document(engine.make_document(_fields(number, body)))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        plan = parse(QUERY)
        query = engine.text_query(index, plan)
        generator = tantivy.SnippetGenerator.create(searcher, query, engine.SCHEMA, "body")
        generator.set_max_num_chars(220)
        words = [token for group in plan.groups for clause in group for token in clause.tokens]
        print(f"one hit's snippet, query {QUERY!r} found at 90% of the text; median of {REPEAT} (ms)")
        print("| text | whole text (tantivy) | windows (archive) | ratio |")
        print("|---:|---:|---:|---:|")
        for _score, address in searcher.search(query, len(SIZES)).hits:
            doc = searcher.doc(address)
            body = doc.get_first("body")
            whole = timed(lambda doc=doc: generator.snippet_from_doc(doc))
            windows = timed(lambda body=body: engine._snippet(generator, body, words))
            assert "<mark>" in engine._snippet(generator, body, words)
            print(f"| {len(body) / 1000:,.0f} KB | {whole:.2f} | {windows:.2f} | {whole / windows:.1f}x |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fields(number: int, body: str) -> dict:
    return {
        "doc_key": f"record:{number}",
        "record_id": number,
        "title": f"Report {number}",
        "body": body,
        "type": "report",
        "meeting_kind": "none",
        "meeting_code": "",
        "partners": ["none"],
        "language": "en",
        "tags": ["none"],
        "confidentiality": "restricted",
        "year": 2020,
        "withdrawn": 0,
        "date": engine.EPOCH,
        "embargo_until": engine.EPOCH,
    }


if __name__ == "__main__":
    main()
