"""CSV that spreadsheets cannot mistake for formulas (CSV injection): every export writes through here.

OWASP's guidance, made to hold whatever list separator the spreadsheet uses: every cell is quoted,
and an apostrophe goes before = + - @ (and before an apostrophe, so the change can be undone exactly)
wherever such a character starts a part of the cell, not only the cell itself. A part starts the
cell or follows a character some spreadsheet splits on (, ; tab | CR LF), after any spaces or
quotes. Where the list separator is ';', "a;=1+1;b" is opened as three cells, the second a formula;
written "a;'=1+1;b", none is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO

#: characters that make a spreadsheet evaluate a cell (tab and CR are among the separators below)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a part's start (the cell's start or a separator, then spaces or quotes) and its first character
_PART_START = r"(^|[,;\t|\r\n])([ \"]*)"
_DANGEROUS = re.compile(_PART_START + r"(['=+\-@])")
_DEFUSED = re.compile(_PART_START + r"'(['=+\-@])")


def cell(value) -> str:
    """The value as text, an apostrophe before every part that a spreadsheet would run as a formula."""
    text = "" if value is None else str(value)
    return _DANGEROUS.sub(r"\1\2'\3", text)


def uncell(text: str) -> str:
    """Undo ``cell`` when reading our own exports back (exactly: cell's apostrophes only)."""
    return _DEFUSED.sub(r"\1\2\3", text)


class _Writer:
    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL)

    def writerow(self, values: Iterable) -> None:
        """Write one row of plain values: each defused by ``cell`` and quoted."""
        self._writer.writerow([cell(value) for value in values])


def writer(out: IO[str]) -> _Writer:
    """The CSV writer for every export: quotes every cell and defuses it (give it plain values)."""
    return _Writer(out)
