"""Compare two versions of a meeting agenda, item by item, for the comparison page.

Works on the item lists of two snapshots (dicts in reading order, ids stable across versions)
and says which items were added, removed, moved, reworded or otherwise changed, with
word-level differences a non-technical reader can follow. Pure Python: no Flask, no database;
the templates mark the differences up (agenda/_changes.html).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

TYPE_LABELS = {
    "information": "for information",
    "discussion": "for discussion",
    "decision": "for decision",
    "adoption": "for adoption",
    "break": "break",
}

_TOKENS = re.compile(r"\S+|\s+")

#: a piece of a word diff: ("same", text), ("del", text) or ("ins", text)
Segment = tuple[str, str]


@dataclass
class ItemChange:
    kind: str  # "added" | "removed" | "moved" | "changed" | "unchanged"
    item_id: int
    old_number: str | None
    new_number: str | None
    title_diff: list[Segment]
    description_diff: list[Segment] | None = None
    details: list[str] = field(default_factory=list)
    moved: bool = False
    reworded: bool = False
    # Type, presenter, lead partners or duration changed; kept apart from `details` so the
    # summary can count these without parsing sentences.
    fields_changed: bool = False


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff of two texts: the unchanged, removed and added runs of words, in order."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    segments: list[Segment] = []
    # autojunk would treat frequent tokens such as spaces as noise in long descriptions.
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("ins", "".join(b[j1:j2])))
    return segments


def _lcs(a: list[int], b: list[int]) -> set[int]:
    """Ids of a longest common subsequence of two id lists."""
    # A true LCS (rather than SequenceMatcher's greedy blocks) keeps the set of "moved"
    # items minimal; agendas are small, so the quadratic table is cheap.
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def _type_label(value: str | None) -> str:
    return TYPE_LABELS.get(value or "", value or "none")


def _minutes(value: int | None) -> str:
    return "not set" if value is None else f"{value} minutes"


def _partners(codes: list[str] | None) -> str:
    return ", ".join(codes or []) or "none"


def _presenter(name: str | None) -> str:
    return f"'{name}'" if name else "none"


def _field_details(old: dict, new: dict) -> list[str]:
    """Sentences for changes other than wording and position."""
    details = []
    if old.get("item_type") != new.get("item_type"):
        details.append(f"Type: {_type_label(old.get('item_type'))} → {_type_label(new.get('item_type'))}")
    before, after = old.get("duration_minutes"), new.get("duration_minutes")
    if before != after:
        if before is not None and after is not None:
            details.append(f"Duration: {before} → {after} minutes")
        else:
            details.append(f"Duration: {_minutes(before)} → {_minutes(after)}")
    # Partner order carries no meaning, so only a different set counts as a change.
    if set(old.get("lead_partners") or []) != set(new.get("lead_partners") or []):
        details.append(f"Lead partners: {_partners(old.get('lead_partners'))} → {_partners(new.get('lead_partners'))}")
    if (old.get("presenter") or "") != (new.get("presenter") or ""):
        details.append(f"Presenter: {_presenter(old.get('presenter'))} → {_presenter(new.get('presenter'))}")
    return details


def _compare_pair(old: dict, new: dict, moved: bool) -> ItemChange:
    old_title, new_title = old.get("title") or "", new.get("title") or ""
    old_desc, new_desc = old.get("description_source") or "", new.get("description_source") or ""
    reworded = old_title != new_title or old_desc != new_desc
    fields = _field_details(old, new)
    details = []
    if moved:
        if old["number"] != new["number"]:
            details.append(f"Moved from {old['number']} to {new['number']}")
        else:
            details.append(f"Moved (still numbered {new['number']})")
    kind = "moved" if moved else "changed" if reworded or fields else "unchanged"
    return ItemChange(
        kind=kind,
        item_id=new["id"],
        old_number=old["number"],
        new_number=new["number"],
        title_diff=word_diff(old_title, new_title),
        description_diff=word_diff(old_desc, new_desc) if old_desc != new_desc else None,
        details=details + fields,
        moved=moved,
        reworded=reworded,
        fields_changed=bool(fields),
    )


def _removed(item: dict) -> ItemChange:
    return ItemChange("removed", item["id"], item["number"], None, [("same", item.get("title") or "")])


def compare_items(old_items: list[dict], new_items: list[dict]) -> list[ItemChange]:
    """Changes between two agenda versions, in the new order with removals shown where they were."""
    old_by_id = {item["id"]: item for item in old_items}
    new_by_id = {item["id"]: item for item in new_items}
    in_place = _lcs(
        [item["id"] for item in old_items if item["id"] in new_by_id],
        [item["id"] for item in new_items if item["id"] in old_by_id],
    )

    # Each removed item hangs after the nearest earlier old item that survives (None: the top),
    # so it is shown where the reader last saw it.
    removed_after: dict[int | None, list[dict]] = {}
    anchor = None
    for item in old_items:
        if item["id"] in new_by_id:
            anchor = item["id"]
        else:
            removed_after.setdefault(anchor, []).append(item)

    changes = [_removed(item) for item in removed_after.get(None, [])]
    for item in new_items:
        old = old_by_id.get(item["id"])
        if old is None:
            changes.append(ItemChange("added", item["id"], None, item["number"], [("same", item.get("title") or "")]))
        else:
            moved = item["id"] not in in_place or old.get("parent_id") != item.get("parent_id")
            changes.append(_compare_pair(old, item, moved))
        changes.extend(_removed(gone) for gone in removed_after.get(item["id"], []))
    return changes


def summarize(changes: list[ItemChange]) -> dict[str, int]:
    """Counts for the page header; an item moved and reworded counts under both."""
    return {
        "added": sum(c.kind == "added" for c in changes),
        "removed": sum(c.kind == "removed" for c in changes),
        "moved": sum(c.moved for c in changes),
        "reworded": sum(c.reworded for c in changes),
        "changed": sum(c.fields_changed for c in changes),
        "unchanged": sum(c.kind == "unchanged" for c in changes),
    }
