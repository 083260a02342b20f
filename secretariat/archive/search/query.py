"""The archive's small query language, parsed into a plan that can never break the engine.

    connectivity climate        both words (stemmed: "connect" finds "connectivity")
    "chair's statement"         an exact phrase
    -draft                      without this word (or -"a phrase")
    climate OR environment      either word
    connec*                     words starting with "connec"
    type:minutes year:2018      filters; also year:2010..2018, lang:en, partner:JP, meeting:ASEM13, tag:water

Anything else becomes plain words: quotes left open, stray operators, unknown fields,
punctuation and control characters are all read as text, never passed to the engine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from secretariat.archive.search import languages

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32
WORD = languages.WORD  # \w and the marks inside a word (Thai vowels ...), as the index reads words
FILTER_FIELDS = {"type", "year", "lang", "language", "partner", "meeting", "tag"}
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class Clause:
    kind: str  # "words" (all tokens of one typed word), "phrase", "prefix"
    tokens: list[str]
    negated: bool = False


@dataclass
class Plan:
    #: groups are ANDed; the clauses inside a group are ORed
    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_text(self) -> bool:
        return bool(self.groups)

    def words(self) -> list[str]:
        return [t for g in self.groups for c in g for t in c.tokens]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_QUERY_CHARS]
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)


def _tokens(text: str) -> list[str]:
    return [t.lower()[:40] for t in WORD.findall(text)][:16]


def parse(text: str) -> Plan:
    """Read what a user typed; never raises."""
    plan = Plan()
    pending_or = False
    clauses = 0
    for match in TOKEN.finditer(_clean(text)):
        if clauses >= MAX_CLAUSES:
            break
        negated_phrase, phrase, raw = match.group(1), match.group(2), match.group(3)
        if raw is None:  # a quoted phrase
            clause = Clause("phrase", _tokens(phrase), negated=bool(negated_phrase))
        else:
            if raw == "OR":
                pending_or = bool(plan.groups)
                continue
            name, sep, value = raw.partition(":")
            if sep and name.lower() in FILTER_FIELDS and value:
                key = "language" if name.lower() == "lang" else name.lower()
                plan.filters.setdefault(key, []).append(value[:40])
                continue
            negated = raw.startswith("-") and len(raw) > 1
            body = raw[1:] if negated else raw
            if body.endswith("*") and WORD.fullmatch(body[:-1] or "-") and len(body) > 2:
                clause = Clause("prefix", [body[:-1].lower()], negated=negated)
            else:
                clause = Clause("words", _tokens(body), negated=negated)
        if not clause.tokens:
            pending_or = False
            continue
        clauses += 1
        if clause.negated:
            plan.excluded.append(clause)
        elif pending_or and plan.groups:
            plan.groups[-1].append(clause)
        else:
            plan.groups.append([clause])
        pending_or = False
    return plan
