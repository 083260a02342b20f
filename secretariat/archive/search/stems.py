"""Words to the terms the index holds: English stems, computed once per distinct word.

tantivy can stem while it indexes (its "en_stem" tokenizer), but it then stems every word of every
record: at 100,000 records of 1-3 KB, indexing took a fifth less CPU time without it
(bench/search.py). An archive's prose uses a few tens of thousands of distinct words, so the
archive stems each distinct word once, with tantivy's own English stemmer, and hands tantivy the
stems as space-separated terms. The same function turns the words of a query into terms, so what
is indexed and what is looked up always agree.

Words are what ``pairs.words_of`` finds: runs of \\w characters, lower-cased, which is also what
the query language reads (secretariat.archive.search.query).
"""

from __future__ import annotations

from functools import lru_cache

import tantivy

#: longer words are cut, as the query parser cuts them (a stem of 40 characters still matches)
MAX_WORD_CHARS = 40
#: distinct words remembered: English prose stays far below it, a corpus of identifiers might not
MAX_REMEMBERED = 500_000

#: tantivy's analysis for English, as its "en_stem" tokenizer does it
_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


@lru_cache(maxsize=MAX_REMEMBERED)
def _term(word: str) -> str:
    """A word's term(s), space-separated (tantivy may split one \\w run, at "_").

    Cached: this is the point of the module. A rebuild meets each distinct word thousands of times,
    and analysing it once instead of at every occurrence is what makes stemming in Python cheaper
    than tantivy's own stemming tokenizer.
    """
    return " ".join(_ANALYZER.analyze(word[:MAX_WORD_CHARS]))


def terms(words: list[str]) -> str:
    """The index terms of ``words`` (lower-cased), space-separated, in order."""
    return " ".join(map(_term, words))


def stems_of(word: str) -> list[str]:
    """The term(s) of one lower-cased word: usually one; none for a word of no letter or digit."""
    return _term(word).split()
