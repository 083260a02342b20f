"""Snippets of long texts: the archive's highlighter against tantivy's highlighter over the whole text.

A record's indexed text holds its files' extracted text: a long report is hundreds of KB. tantivy's
snippet generator tokenizes and stems all the text it is given, so the search page paid for every
long hit in proportion to its length. The archive's highlighter (secretariat/archive/search/snippets.py)
looks for where the query's words may begin and stems only those few words. For texts of 2 KB to
1 MB with the query's word near the end, this prints the time of one hit's snippet both ways, in the
same run, and their ratio. tantivy's side runs on a small index of its own, with the "en_stem"
tokenizer its highlighter needs (the archive's index holds stems computed in Python instead).

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

from secretariat.archive.search import snippets, stems  # noqa: E402

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
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        schema = builder.build()
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer(heap_size=100_000_000, num_threads=1)
        for size in SIZES:
            text = ""
            while len(text) < size:
                text += paras[rng.randrange(len(paras))] + "\n"
            body = text[: int(size * 0.9)] + " The Ulaanbaatar declaration. " + text[int(size * 0.9) : size]
            writer.add_document(tantivy.Document(body=body))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        query = index.parse_query(QUERY, ["body"])
        generator = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        generator.set_max_num_chars(snippets.SNIPPET_CHARS)
        terms = stems.stems_of(QUERY)
        print(f"one hit's snippet, query {QUERY!r} found at 90% of the text; median of {REPEAT} (ms)")
        print("| text | whole text (tantivy) | archive | ratio |")
        print("|---:|---:|---:|---:|")
        for _score, address in sorted(searcher.search(query, len(SIZES)).hits, key=lambda hit: hit[1].doc):
            doc = searcher.doc(address)
            body = doc.get_first("body")
            whole = timed(lambda doc=doc: generator.snippet_from_doc(doc))
            archive = timed(lambda body=body: snippets.snippet(body, terms, []))
            assert ("Ulaanbaatar", True) in snippets.snippet(body, terms, [])
            print(f"| {len(body) / 1000:,.0f} KB | {whole:.2f} | {archive:.3f} | {whole / archive:.0f}x |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
