"""The agenda as a numbered tree, and its JSON snapshot for revisions and frozen versions.

Numbers (1, 2, 2.1 …) are derived from parent and position every time, never stored, so
moving an item renumbers everything after it without a write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from secretariat.agenda.models import AgendaItem, Meeting
from secretariat.extensions import db


@dataclass
class Node:
    item: AgendaItem
    number: str
    depth: int
    children: list[Node] = field(default_factory=list)


#: built once, run with each meeting's id
_MEETING_ITEMS = (
    sa.select(AgendaItem)
    .where(AgendaItem.meeting_id == sa.bindparam("meeting_id"))
    .order_by(AgendaItem.position, AgendaItem.id)
)


def load_items(meeting_id: int) -> list[AgendaItem]:
    """All items of a meeting in one query (lead partners come with a second, batched one)."""
    return list(db.session.scalars(_MEETING_ITEMS, {"meeting_id": meeting_id}))


def build_tree(items: list[AgendaItem]) -> list[Node]:
    """Arrange items under their parents, numbered in reading order."""
    children: dict[int | None, list[AgendaItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)

    def nodes(parent_id: int | None, prefix: str, depth: int) -> list[Node]:
        result = []
        for index, item in enumerate(sorted(children.get(parent_id, []), key=lambda i: (i.position, i.id)), start=1):
            number = f"{prefix}{index}"
            node = Node(item=item, number=number, depth=depth)
            node.children = nodes(item.id, number + ".", depth + 1)
            result.append(node)
        return result

    return nodes(None, "", 1)


def flatten(tree: list[Node]) -> list[Node]:
    """Nodes in reading order (1, 1.1, 1.2, 2 …)."""
    out: list[Node] = []
    for node in tree:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def agenda_nodes(meeting_id: int) -> list[Node]:
    return flatten(build_tree(load_items(meeting_id)))


def item_dict(node: Node, *, include_notes: bool) -> dict:
    """An item as plain data: what snapshots store and the agenda templates show."""
    item = node.item
    data = {
        "id": item.id,
        "number": node.number,
        "depth": node.depth,
        "parent_id": item.parent_id,
        "position": item.position,
        "title": item.title,
        "item_type": item.item_type,
        "description_source": item.description_source,
        "description_html": item.description_html,
        "presenter": item.presenter,
        "lead_partners": [p.code for p in item.lead_partners],
        "duration_minutes": item.duration_minutes,
        "fixed_start": item.fixed_start.isoformat(timespec="minutes") if item.fixed_start else None,
        "version": item.version,
    }
    if include_notes:
        data["coordinator_notes"] = item.coordinator_notes
    return data


def snapshot(meeting: Meeting, *, include_notes: bool, nodes: list[Node] | None = None) -> dict:
    """The whole agenda as plain data: what a revision or a frozen version stores.

    ``nodes``: the agenda as agenda_nodes() just read it, when the caller has it (a save reads it for
    the item's number and need not read it again).
    """
    nodes = agenda_nodes(meeting.id) if nodes is None else nodes
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "start_date": meeting.start_date.isoformat(),
            "start_time": meeting.start_time.isoformat(timespec="minutes") if meeting.start_time else None,
            "time_zone": meeting.time_zone,
        },
        "items": [item_dict(node, include_notes=include_notes) for node in nodes],
    }


def to_json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
