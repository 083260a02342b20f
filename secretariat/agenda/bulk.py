"""Several agenda items typed at once, one per line: reading the text and saying what is wrong, line by line.

    Opening of the meeting (15 min)
    2. Connectivity
       2.1 Transport links (30 min)
       2.2 Digital links (20 min) [decision]
    Coffee break (15 min) [break]

A line's level comes from its number ("2.1" is a sub-item, whatever the numbers themselves say: the
agenda numbers itself) or, without a number, from its indentation. "(15 min)", "(1 h)" or "(1 h 30)"
at the end is the duration; "[decision]" (or information, discussion, adoption, break) the type.
Nothing here writes: items.add_items saves what this reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secretariat.agenda.models import MAX_ITEM_DEPTH, ItemType

#: most lines one save takes
MAX_LINES = 100

_NUMBER = re.compile(r"^(?P<number>\d+(?:\.\d+)*)[.)]?\s+")
_BULLET = re.compile(r"^[-*•]\s+")
_TYPE = re.compile(r"\s*\[(?P<type>[a-z]+)\]\s*$", re.I)
_DURATION = re.compile(
    r"\s*\((?:(?P<hours>\d+)\s*h(?:ours?)?\s*(?P<rest>\d+)?\s*(?:min(?:utes?)?)?|(?P<minutes>\d+)\s*min(?:utes?)?)\)\s*$",
    re.I,
)


@dataclass
class Line:
    """One typed line as read: its place in the text, its level, and the item's fields."""

    line_number: int
    text: str
    level: int = 1
    title: str = ""
    duration_minutes: int | None = None
    item_type: str = ItemType.DISCUSSION.value
    errors: list[str] = field(default_factory=list)

    def item_data(self) -> dict:
        return {
            "title": self.title,
            "item_type": self.item_type,
            "description_source": "",
            "presenter": "",
            "lead_partners": [],
            "duration_minutes": self.duration_minutes,
            "fixed_start": None,
            "coordinator_notes": "",
        }


def _indent(raw: str) -> int:
    return len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())


def parse(text: str, *, max_level: int = MAX_ITEM_DEPTH) -> list[Line]:
    """Every non-blank line of ``text`` as a Line, each with its errors (none when all is well).

    ``max_level``: how many levels the place the items go to leaves (3 at the top of the agenda, 2 under an item).
    """
    lines: list[Line] = []
    indents: list[int] = []  # the indentation of each open level, for lines without a number
    for line_number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        line = Line(line_number=line_number, text=raw.strip())
        rest = _BULLET.sub("", raw.strip())
        numbered = _NUMBER.match(rest)
        if numbered:
            line.level = numbered["number"].count(".") + 1
            rest = rest[numbered.end() :]
            indents = indents[: line.level - 1] + [_indent(raw)]
        else:
            indent = _indent(raw)
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            line.level = len(indents)
        kind = _TYPE.search(rest)
        if kind:
            rest = rest[: kind.start()]
            if kind["type"].lower() in {t.value for t in ItemType}:
                line.item_type = kind["type"].lower()
            else:
                known = "[information], [discussion], [decision], [adoption] or [break]"
                line.errors.append(f"“[{kind['type']}]” is not a type: use {known}.")
        duration = _DURATION.search(rest)
        if duration:
            rest = rest[: duration.start()]
            minutes = int(duration["minutes"] or 0) + 60 * int(duration["hours"] or 0) + int(duration["rest"] or 0)
            if minutes > 1440:
                line.errors.append("A duration is at most 1440 minutes (a day).")
            line.duration_minutes = minutes
        line.title = rest.strip()
        if not line.title:
            line.errors.append("The line has no title.")
        elif len(line.title) > 300:
            line.errors.append("A title is at most 300 characters.")
        previous = lines[-1].level if lines else 0
        if line.level > previous + 1:
            line.errors.append(
                "A sub-item needs an item one level up above it."
                if previous
                else "The first line cannot be a sub-item: nothing is above it."
            )
        if line.level > max_level:
            line.errors.append(f"Sub-items can go {MAX_ITEM_DEPTH} levels deep at most.")
        lines.append(line)
    return lines


def problems(lines: list[Line]) -> list[str]:
    """What stops the whole text from being saved, line by line ("Line 3: …"), or nothing."""
    found = [f"Line {line.line_number}: {error}" for line in lines for error in line.errors]
    if not lines:
        found.append("Type at least one item, one per line.")
    elif len(lines) > MAX_LINES:
        found.append(f"At most {MAX_LINES} items at once.")
    return found
