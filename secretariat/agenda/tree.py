"""The agenda as a numbered tree, and its JSON snapshot for revisions and frozen versions.

Numbers (1, 2, 2.1 …) are derived from parent and position every time, never stored, so
moving an item renumbers everything after it without a write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from secretariat.agenda.models import AgendaItem, Meeting, agenda_item_partners
from secretariat.auth.models import Partner
from secretariat.extensions import db


@dataclass
class Node:
    item: AgendaItem
    number: str
    depth: int
    children: list[Node] = field(default_factory=list)


def load_items(meeting_id: int) -> list[AgendaItem]:
    """All items of a meeting in one query (lead partners come with a second, batched one)."""
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


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
    return _item_data(
        node.item, node.number, node.depth, [p.code for p in node.item.lead_partners], include_notes=include_notes
    )


def _item_data(item, number: str, depth: int, lead_partners: list[str], *, include_notes: bool) -> dict:
    """An item as plain data; ``item`` is an AgendaItem or a row with the same attributes."""
    data = {
        "id": item.id,
        "number": number,
        "depth": depth,
        "parent_id": item.parent_id,
        "position": item.position,
        "title": item.title,
        "item_type": item.item_type,
        "description_source": item.description_source,
        "description_html": item.description_html,
        "presenter": item.presenter,
        "lead_partners": lead_partners,
        "duration_minutes": item.duration_minutes,
        "fixed_start": item.fixed_start.isoformat(timespec="minutes") if item.fixed_start else None,
        "version": item.version,
    }
    if include_notes:
        data["coordinator_notes"] = item.coordinator_notes
    return data


# Columns of the table rather than of the mapped class: a Core statement skips the ORM's work on
# every execution (a third of the time of these two queries).
_ITEMS = AgendaItem.__table__
_PARTNERS = Partner.__table__
_DRAFT_ROWS = sa.select(
    *(
        _ITEMS.c[name]
        for name in (
            "id",
            "parent_id",
            "position",
            "title",
            "item_type",
            "description_source",
            "description_html",
            "presenter",
            "duration_minutes",
            "fixed_start",
            "version",
            "coordinator_notes",
        )
    )
).order_by(_ITEMS.c.position, _ITEMS.c.id)
_DRAFT_LEADS = (
    sa.select(agenda_item_partners.c.item_id, _PARTNERS.c.code)
    .join(_PARTNERS, _PARTNERS.c.id == agenda_item_partners.c.partner_id)
    .join(_ITEMS, _ITEMS.c.id == agenda_item_partners.c.item_id)
    .order_by(_PARTNERS.c.code)  # the order of AgendaItem.lead_partners
)
# With the meeting bound at execution: a where() per request, with its cache key, cost about as much
# as reading the 60 items of the benchmark's largest agenda.
_DRAFT_ROWS_OF_MEETING = _DRAFT_ROWS.where(_ITEMS.c.meeting_id == sa.bindparam("meeting_id"))
_DRAFT_LEADS_OF_MEETING = _DRAFT_LEADS.where(_ITEMS.c.meeting_id == sa.bindparam("meeting_id"))


def draft_items(meeting_id: int, *, include_notes: bool) -> list[dict]:
    """The working agenda as item dicts (what item_dict gives), for pages that only read it.

    Same two queries as agenda_nodes, but rows of columns instead of ORM objects, which cost
    several times more to build for an agenda of 60 items.
    """
    return items_of_rows(*draft_rows(meeting_id), include_notes=include_notes)


def draft_rows(meeting_id: int) -> tuple[list[sa.Row], dict[int, list[str]]]:
    """The working agenda's item rows (by position) and each item's lead partner codes: all it shows."""
    values = {"meeting_id": meeting_id}
    # On the session's connection: session.execute() adds its ORM steps to a Core statement too. Only
    # read-only pages call this (no pending change of the session to flush first).
    connection = db.session.connection()
    rows = connection.execute(_DRAFT_ROWS_OF_MEETING, values).all()
    leads: dict[int, list[str]] = {}
    for item_id, code in connection.execute(_DRAFT_LEADS_OF_MEETING, values).all():
        codes = leads.get(item_id)
        if codes is None:
            leads[item_id] = [code]
        else:
            codes.append(code)
    return rows, leads


def items_of_rows(rows: list[sa.Row], leads: dict[int, list[str]], *, include_notes: bool) -> list[dict]:
    """The item dicts, in reading order, of what draft_rows read."""
    return [
        _item_data(node.item, node.number, node.depth, leads.get(node.item.id, []), include_notes=include_notes)
        for node in flatten(build_tree(rows))
    ]


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
