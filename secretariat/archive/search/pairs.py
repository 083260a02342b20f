"""Two-word phrases of common words, answered from one posting list instead of checking word positions.

A phrase such as "united states" or "asia europe" is made of words that appear in a large share of
the archive. Checking positions in every record that holds both words is what made such phrases the
slow tail of search at 1,000,000 records (45 ms for one phrase, measured by bench/search.py). So each
record also carries its adjacent pairs of *common* words as single terms ("united|states"); a
two-word phrase of common words becomes one term lookup (0.3 ms in the same measurement). Phrases
with a rarer word keep the positional query, which is fast because the rare word's list is short.
Longer phrases keep it too: pairs alone would also match the pairs found in different places.

Which words are common is learned from a sample of the archive when the index is rebuilt and kept
beside the index. The list only ever grows, so a process holding an older list never asks for a
pair that records indexed since then lack; writers read it after taking the index's single writer
lock, searchers before opening the index snapshot, and a rebuild writes it before re-adding every
record. Pairs match the words as typed (an exact phrase); the positional query also matches
inflections (stemming), which only widens rare-word phrases.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

WORD = re.compile(r"\w+")  # the query parser's notion of a word (secretariat.archive.search.query)
SEPARATOR = "|"  # never part of a word, so a pair term cannot collide with a word
FILE_NAME = "common-words.txt"
#: below this many records positional phrases are fast anyway, and a share means little
MIN_SAMPLE = 1000
SAMPLE_SIZE = 5000
MIN_SHARE = 0.20
MAX_WORDS = 400
MAX_WORD_CHARS = 40  # the query parser cuts longer words

#: for ASCII text, one bytes.translate both lower-cases and turns every non-word character
#: (as \w sees it) into a space
_ASCII_WORDS = bytes(
    ord(chr(c).lower()) if chr(c).isalnum() or chr(c) == "_" else ord(" ") if c < 128 else c for c in range(256)
)

#: punctuation that documents hold besides ASCII (dashes, typographic quotes, bullets, no-break
#: space ...): none is a word character, so turning each into a space first changes no word and lets
#: such text take the ASCII way (a fifth of the benchmark's records hold an em dash)
_PUNCTUATION = tuple(
    ch.encode("utf-8")
    for ch in "\u00a0\u00ab\u00b7\u00bb\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e"
    "\u2022\u2026\u2032\u2033\u2039\u203a\u2212\u3000\u3001\u3002\uff08\uff09\uff0c"
)
#: one scan for all of them (a `bytes.replace` per character measured five times slower)
_PUNCTUATION_PATTERN = re.compile(b"|".join(re.escape(mark) for mark in _PUNCTUATION))


def choose(texts: Iterable[str]) -> frozenset[str]:
    """The words found in at least MIN_SHARE of the sample's texts (at most MAX_WORDS of them)."""
    counts: Counter[str] = Counter()
    sampled = 0
    for text in texts:
        sampled += 1
        counts.update(set(words_of(text)))
    if sampled < MIN_SAMPLE:
        return frozenset()
    return frozenset(
        word
        for word, count in counts.most_common(MAX_WORDS)
        if count >= MIN_SHARE * sampled
        and len(word) <= MAX_WORD_CHARS
        and unicodedata.normalize("NFKC", word) == word  # the parser normalizes queries so
    )


def terms(text: str, common: frozenset[str]) -> str:
    """The pair terms of ``text``, space-separated (the field's tokenizer splits on whitespace)."""
    return terms_of_words(words_of(text), common) if common else ""


def terms_of_words(words: list[str], common: frozenset[str]) -> str:
    """The pair terms of a text already split by ``words_of``."""
    if not common:
        return ""
    pair_terms = []
    previous = None  # the previous word, if it was common
    # One pass, one set lookup a word: this runs on every record indexed. (Looking every adjacent
    # pair up in a set of all common pairs, with the loop in C, measured 30% slower: tuple hashing;
    # itertools.groupby on membership or a regular expression over the text, 2-3 times slower.)
    for word in words:
        if word in common:
            if previous is not None:
                pair_terms.append(previous + SEPARATOR + word)
            previous = word
        else:
            previous = None
    return " ".join(pair_terms)


def words_of(text: str) -> list[str]:
    """The lower-cased words of ``text``, exactly as ``WORD.findall`` finds them."""
    if text.isascii():  # the same words, found three times as fast (this runs on every record indexed)
        return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    raw = _PUNCTUATION_PATTERN.sub(b" ", text.encode("utf-8"))
    if raw.isascii():
        return raw.translate(_ASCII_WORDS).decode("ascii").split()
    return WORD.findall(text.lower())


def phrase_term(tokens: list[str], common: frozenset[str]) -> str | None:
    """The single pair term answering this phrase, or None when the positional query must."""
    if len(tokens) == 2 and tokens[0] in common and tokens[1] in common:
        return tokens[0] + SEPARATOR + tokens[1]
    return None


def load(index_dir: Path) -> frozenset[str]:
    """The common words kept beside the index (a few hundred: read at each use)."""
    try:
        return frozenset((index_dir / FILE_NAME).read_text(encoding="utf-8").split())
    except FileNotFoundError:
        return frozenset()


def extend(index_dir: Path, words: Iterable[str]) -> frozenset[str]:
    """Add ``words`` to the list kept beside the index (never removes one); returns the new list."""
    merged = load(index_dir) | frozenset(words)
    index_dir.mkdir(parents=True, exist_ok=True)
    # Written whole then renamed: a reader sees the old list or the new one, never half of it.
    handle, temporary = tempfile.mkstemp(dir=index_dir, prefix=".common-words-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("\n".join(sorted(merged)) + "\n")
    os.replace(temporary, index_dir / FILE_NAME)
    return merged
