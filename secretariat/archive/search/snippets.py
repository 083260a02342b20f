"""A hit's snippet: a short stretch of its text with the query's words marked.

A snippet is a list of (text, marked) pieces; the template escapes each one and wraps the marked
ones in <mark> (templates/archive/search.html). The pieces are plain text: Markdown's marks
(``**Next:**``) and the lines every filed document carries ("filed automatically", the audit
checkpoint) are left out, as a reader would skip them.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from secretariat.archive.search import stems

Pieces = list[tuple[str, bool]]

#: the length of a snippet, in characters (about two lines under a hit's title)
SNIPPET_CHARS = 220
#: how much of the text before the first highlighted word a snippet shows
SNIPPET_LEAD = 60
#: occurrences of one spelling looked at, so a very common word in a long text costs little
SNIPPET_OCCURRENCES = 40
#: up to this length a text is lower-cased once and searched whole; a longer one (a file's text can
#: be megabytes) is searched for each word as typed in lower case, capitalised and in capitals
SNIPPET_LOWER_CHARS = 20_000
_WORD_AT = re.compile(r"\w+")
#: what every document filed by the application says, which tells a reader nothing about it
BOILERPLATE = re.compile(
    r"ASEM Virtual Secretariat: filed automatically"
    r"|\(?\bfiled automatically\b\)?\.?"
    r"|Audit checkpoint: entry \d+, hash [0-9a-f]{64}(?:, [\d-]+ [\d:]+ UTC)?",
    re.IGNORECASE,
)
#: Markdown's marks: a link's target, emphasis and code marks, heading and quote marks
_LINK = re.compile(r"\[([^\]\n]{0,200})\]\([^)\s]{0,500}\)")
_MARKS = re.compile(r"\*{1,3}|_{2,3}|`+|^[ \t]*(?:#{1,6}|>)[ \t]+", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def readable(text: str) -> str:
    """``text`` as a reader of a snippet wants it: without boilerplate and Markdown's marks, on one line."""
    text = BOILERPLATE.sub(" ", text)
    text = _MARKS.sub("", _LINK.sub(r"\1", text))
    return _SPACES.sub(" ", text)


def _plain_pieces(pieces: Pieces) -> Pieces:
    """The pieces made readable; a marked piece is a word, left as it is."""
    out = [(text if marked else readable(text), marked) for text, marked in pieces]
    if out and not out[0][1]:
        out[0] = (out[0][0].lstrip(), False)
    if out and not out[-1][1]:
        out[-1] = (out[-1][0].rstrip(), False)
    return [(text, marked) for text, marked in out if text]


def _beginning(term: str) -> str:
    """How the words of the text that have this stem begin.

    A stem is mostly how its word's forms begin ("connect" for "connected"); a stem ending in a
    changed letter ("polici" for "policy") loses it ("polic" finds "policies").
    """
    return term[: max(3, len(term) - 1)] if term.endswith("i") else term


def _matches(body: str, terms: list[str], prefixes: list[str]) -> list[tuple[int, int, int]]:
    """The words of ``body`` the query matches, as (start, end, which term or prefix), in order.

    Found where a word begins like a term of the query, then checked by stemming that one word: only
    the few candidate words are stemmed, never the whole text.
    """
    lowered = body.lower() if len(body) <= SNIPPET_LOWER_CHARS else None
    if lowered is not None and len(lowered) != len(body):
        lowered = None  # a letter whose lower case is longer: the positions would not agree
    haystack = lowered if lowered is not None else body
    wanted = {term: number for number, term in enumerate(terms)}
    found: dict[int, tuple[int, int]] = {}  # start -> (end, which term or prefix)
    for number, beginning in enumerate([_beginning(term) for term in terms] + prefixes):
        variants = {beginning} if lowered is not None else {beginning, beginning.capitalize(), beginning.upper()}
        for variant in variants:
            position, seen = -1, 0
            while seen < SNIPPET_OCCURRENCES and (position := haystack.find(variant, position + 1)) >= 0:
                if (position and body[position - 1].isalnum()) or position in found:
                    continue  # inside a word, or already marked
                seen += 1
                word = _WORD_AT.match(body, position)
                if number >= len(terms):  # a prefix: beginning with it is matching
                    found[position] = (word.end(), number)
                    continue
                for stem in stems.stems_of(word.group().lower()):
                    if stem in wanted:
                        found[position] = (word.end(), wanted[stem])
                        break
    return [(start, end, number) for start, (end, number) in sorted(found.items())]


def plain(body: str) -> Pieces:
    """The beginning of ``body``, nothing marked: the snippet of a hit found without words."""
    text = readable(body[:600]).strip()[:240]  # enough for 240 characters after the boilerplate
    return [(text, False)] if text else []


def snippet(body: str, terms: list[str], prefixes: list[str]) -> Pieces:
    """About SNIPPET_CHARS of ``body`` with the query's words marked, where most of them meet."""
    matches = _matches(body, terms, prefixes) if terms or prefixes else []
    if not matches:
        return plain(body)
    starts = [start for start, _, _ in matches]
    reach = SNIPPET_CHARS - SNIPPET_LEAD

    def meeting(i: int) -> int:
        """How many different words of the query one snippet shows from the i-th match on."""
        return len({number for _, _, number in matches[i : bisect_right(starts, starts[i] + reach)]})

    first = starts[max(range(len(matches)), key=meeting)]  # max: the earliest of the best
    # From the beginning of a word a little before the first match, to the end of a word.
    begin = 0 if first <= SNIPPET_LEAD else (body.find(" ", first - SNIPPET_LEAD, first) + 1 or first - SNIPPET_LEAD)
    end = begin + SNIPPET_CHARS
    if end < len(body) and (space := body.rfind(" ", first, end)) > first:
        end = space
    pieces: Pieces = []
    cursor = begin
    for start, stop, _ in matches:
        if begin <= start and stop <= end:
            pieces += [
                (body[cursor:start].lstrip() if not pieces else body[cursor:start], False),
                (body[start:stop], True),
            ]
            cursor = stop
    pieces.append((body[cursor:end].rstrip(), False))
    return _plain_pieces(pieces)
