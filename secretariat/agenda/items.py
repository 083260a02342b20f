"""Operations on a meeting's working agenda: add, edit, delete and move items.

Every operation first takes the agenda lock (bumping the meeting's agenda revision with one
UPDATE, which serializes writers on PostgreSQL and SQLite alike), then changes items, then
records a revision with the whole agenda and an audit entry. The caller commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from secretariat import audit
from secretariat.agenda import tree
from secretariat.agenda.models import MAX_ITEM_DEPTH, AgendaItem, AgendaRevision, ItemProposal, ItemType, Meeting
from secretariat.agenda.visibility import agenda_editable
from secretariat.auth.models import Partner
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.sanitize import rich_text


class AgendaLocked(Exception):
    """The agenda cannot change in the meeting's current status."""


class MoveRefused(Exception):
    """A move that would make no sense (first item up, too deep, into itself)."""


@dataclass
class EditConflict(Exception):
    """Someone saved the item after this person opened it.

    What it shows is read when shown, after the request's rollback: a failed flush leaves nothing to read before.
    """

    meeting: Meeting
    item: AgendaItem
    expected_version: int  # the version this person opened
    submitted: dict  # what this person typed

    @property
    def base(self) -> dict | None:
        """The item as this person saw it (from the revision history), if known."""
        return base_state(self.meeting, self.item.id, self.expected_version)

    @property
    def current(self) -> dict:
        """The item as it is now."""
        return item_state(self.item)


ITEM_FIELDS = (
    "title",
    "item_type",
    "description_source",
    "presenter",
    "lead_partners",
    "duration_minutes",
    "fixed_start",
    "coordinator_notes",
)


def item_state(item: AgendaItem) -> dict[str, Any]:
    """The editable fields of an item, as plain values (for diffs and conflict pages)."""
    return {
        "title": item.title,
        "item_type": item.item_type,
        "description_source": item.description_source,
        "presenter": item.presenter,
        "lead_partners": [p.code for p in item.lead_partners],
        "duration_minutes": item.duration_minutes,
        "fixed_start": item.fixed_start.isoformat(timespec="minutes") if item.fixed_start else None,
        "coordinator_notes": item.coordinator_notes,
    }


def lock_agenda(meeting: Meeting) -> int:
    """Take the agenda's write lock; returns the number the coming revision will carry."""
    if not agenda_editable(meeting):
        raise AgendaLocked(meeting.status)
    number = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(agenda_revision=Meeting.agenda_revision + 1)
        .returning(Meeting.agenda_revision)
    ).scalar_one()
    # Others may have committed while we waited for the lock: read everything afresh.
    db.session.expire_all()
    if not agenda_editable(meeting):  # e.g. adopted meanwhile
        raise AgendaLocked(meeting.status)
    return number


def record_revision(
    meeting: Meeting, number: int, actor, summary: str, nodes: list[tree.Node] | None = None
) -> AgendaRevision:
    """Record the agenda as it now stands; ``nodes``: read by agenda_nodes() after the last change."""
    db.session.flush()
    revision = AgendaRevision(
        meeting_id=meeting.id,
        number=number,
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "system"),
        summary=summary[:500],
        snapshot=tree.to_json(tree.snapshot(meeting, include_notes=True, nodes=nodes)),
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def _apply(item: AgendaItem, data: dict[str, Any]) -> None:
    # The partners first: their query flushes the session, and after it the item's fields and its
    # version number go to the database in one UPDATE rather than two.
    codes = sorted(set(data.get("lead_partners") or []))
    partners = list(db.session.scalars(sa.select(Partner).where(Partner.code.in_(codes)))) if codes else []
    item.title = data["title"].strip()
    item.item_type = ItemType(data["item_type"]).value
    item.description_source = data.get("description_source") or ""
    item.description_html = str(rich_text(item.description_source))
    item.presenter = (data.get("presenter") or "").strip()
    item.duration_minutes = data.get("duration_minutes")
    item.fixed_start = data.get("fixed_start")
    item.coordinator_notes = data.get("coordinator_notes") or ""
    item.lead_partners = partners


def _siblings(meeting_id: int, parent_id: int | None) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id,
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _renumber(items: list[AgendaItem]) -> None:
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index


def _number_of(meeting: Meeting, item_id: int) -> str:
    return _number_in(tree.agenda_nodes(meeting.id), item_id)


def _number_in(nodes: list[tree.Node], item_id: int) -> str:
    for node in nodes:
        if node.item.id == item_id:
            return node.number
    return "?"


def add_item(
    meeting: Meeting, data: dict[str, Any], *, actor, parent_id: int | None = None, after_id: int | None = None
) -> AgendaItem:
    """Add an item at the end of the agenda, of a parent's sub-items, or right after another item."""
    return add_items(meeting, [(1, data)], actor=actor, parent_id=parent_id, after_id=after_id)[0]


def add_items(
    meeting: Meeting,
    entries: list[tuple[int, dict[str, Any]]],
    *,
    actor,
    parent_id: int | None = None,
    after_id: int | None = None,
) -> list[AgendaItem]:
    """Add items in one save: ``entries`` are (level, data) in reading order, level 1 being the level of the
    place they go to (the end of the agenda, a parent's sub-items, or right after ``after_id``), level 2 a
    sub-item of the entry above it, and so on. One revision records them all."""
    number = lock_agenda(meeting)
    if after_id is not None:
        after = get_item(meeting, after_id)
        parent_id = after.parent_id
    base_depth = 1
    if parent_id is not None:
        base_depth = _depth(get_item(meeting, parent_id)) + 1
    if base_depth + max(level for level, _ in entries) - 1 > MAX_ITEM_DEPTH:
        raise MoveRefused(f"Sub-items can go {MAX_ITEM_DEPTH} levels deep at most.")
    siblings = _siblings(meeting.id, parent_id)
    index = len(siblings)
    if after_id is not None:
        index = next(i for i, s in enumerate(siblings) if s.id == after_id) + 1
    created: list[AgendaItem] = []
    chain: list[AgendaItem] = []  # the last item added at each level: the parent of the next level down
    children: dict[int, int] = {}
    for level, data in entries:
        if not 1 <= level <= len(chain) + 1:
            raise MoveRefused("A sub-item needs an item above it, one level up.")
        if level == 1:
            item = AgendaItem(meeting_id=meeting.id, parent_id=parent_id, position=index)
            siblings.insert(index, item)
            index += 1
        else:
            parent = chain[level - 2]
            item = AgendaItem(meeting_id=meeting.id, parent_id=parent.id, position=children.get(parent.id, 0))
            children[parent.id] = item.position + 1
        _apply(item, data)
        db.session.add(item)
        db.session.flush()  # its id, for the sub-items that follow
        del chain[level - 1 :]
        chain.append(item)
        created.append(item)
    _renumber(siblings)
    nodes = tree.agenda_nodes(meeting.id)
    labels = [_number_in(nodes, item.id) for item in created]
    if len(created) == 1:
        summary = f"Added item {labels[0]} “{created[0].title}”"
    else:
        summary = f"Added {len(created)} items: {', '.join(labels)}"
    record_revision(meeting, number, actor, summary, nodes)
    for item, label in zip(created, labels, strict=True):
        audit.record(actor, "agenda.item.create", item, meeting_id=meeting.id, number=label, **item_state(item))
    return created


def placement(meeting: Meeting, value: str) -> tuple[int | None, int | None]:
    """Where new items go, from a form's choice: "end", "after:<id>" or "under:<id>" → (parent_id, after_id)."""
    kind, _, raw = (value or "end").partition(":")
    if kind == "end" and not raw:
        return None, None
    if kind in ("after", "under") and raw.isdigit():
        item = get_item(meeting, int(raw))
        return (None, item.id) if kind == "after" else (item.id, None)
    raise MoveRefused("Choose where the items go from the list.")


def get_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """The item, only if it belongs to this meeting (ids from forms are never trusted alone)."""
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("agenda item")
    return item


def base_state(meeting: Meeting, item_id: int, version: int) -> dict | None:
    """The item as it was at ``version``, found in the revision history."""
    rows = db.session.scalars(
        sa.select(AgendaRevision.snapshot)
        .where(AgendaRevision.meeting_id == meeting.id)
        .order_by(AgendaRevision.number.desc())
        .limit(200)
    )
    for raw in rows:
        for entry in json.loads(raw)["items"]:
            if entry["id"] == item_id and entry["version"] == version:
                return {key: entry.get(key) for key in ITEM_FIELDS}
    return None


def update_item(meeting: Meeting, item: AgendaItem, data: dict[str, Any], *, expected_version: int, actor) -> dict:
    """Save an edit unless the item changed since the editor opened it; returns the diff."""
    number = lock_agenda(meeting)
    db.session.refresh(item)
    if item.version != expected_version:
        raise EditConflict(meeting, item, expected_version, data)
    before = item_state(item)
    _apply(item, data)
    item.version = expected_version + 1
    try:
        db.session.flush()  # UPDATE … WHERE version = expected (the agenda lock makes a miss rare)
    except StaleDataError as stale:
        raise EditConflict(meeting, item, expected_version, data) from stale
    changes = audit.diff(before, item_state(item))
    nodes = tree.agenda_nodes(meeting.id)
    label = _number_in(nodes, item.id)
    record_revision(
        meeting, number, actor, f"Edited item {label} “{item.title}”: {', '.join(changes) or 'no change'}", nodes
    )
    audit.record(actor, "agenda.item.update", item, meeting_id=meeting.id, number=label, diff=changes)
    return changes


def delete_item(meeting: Meeting, item: AgendaItem, *, actor) -> None:
    """Remove an item and its sub-items from the working agenda (frozen versions keep them)."""
    number = lock_agenda(meeting)
    label = _number_of(meeting, item.id)
    removed = [node.item for node in tree.flatten(_subtree(meeting, item.id))]
    ids = [i.id for i in removed]
    db.session.execute(sa.update(ItemProposal).where(ItemProposal.item_id.in_(ids)).values(item_id=None))
    state = item_state(item)
    for doomed in reversed(removed):  # deepest first, one flush each: a parent goes after its children
        db.session.delete(doomed)
        db.session.flush()
    _renumber(_siblings(meeting.id, item.parent_id))
    record_revision(
        meeting,
        number,
        actor,
        f"Removed item {label} “{state['title']}”"
        + (f" and {len(removed) - 1} sub-item(s)" if len(removed) > 1 else ""),
    )
    audit.record(
        actor,
        "agenda.item.delete",
        object_type="agenda_items",
        object_id=item.id,
        meeting_id=meeting.id,
        number=label,
        removed_items=len(removed),
        **state,
    )


def _subtree(meeting: Meeting, item_id: int) -> list[tree.Node]:
    for node in tree.flatten(tree.build_tree(tree.load_items(meeting.id))):
        if node.item.id == item_id:
            return [node]
    return []


def _depth(item: AgendaItem) -> int:
    depth = 1
    while item.parent_id is not None:
        item = db.session.get(AgendaItem, item.parent_id)
        depth += 1
    return depth


def _height(meeting: Meeting, item: AgendaItem) -> int:
    """Levels in the item's subtree, itself included."""
    nodes = tree.flatten(_subtree(meeting, item.id))
    return max(node.depth for node in nodes) - nodes[0].depth + 1 if nodes else 1


def move_item(meeting: Meeting, item: AgendaItem, action: str, *, actor, target: str = "") -> str:
    """Move up/down, indent/outdent, or to a numbered position ("3", "2.1"); returns the new number."""
    number = lock_agenda(meeting)
    db.session.refresh(item)
    old_label = _number_of(meeting, item.id)
    old_parent = item.parent_id
    siblings = _siblings(meeting.id, item.parent_id)
    index = next(i for i, s in enumerate(siblings) if s.id == item.id)

    if action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if not 0 <= other < len(siblings):
            raise MoveRefused(f"Item {old_label} is already the {'first' if action == 'up' else 'last'} at its level.")
        siblings[index], siblings[other] = siblings[other], siblings[index]
        _renumber(siblings)
    elif action == "indent":
        if index == 0:
            raise MoveRefused(f"Item {old_label} has no item above it at its level to become a sub-item of.")
        new_parent = siblings[index - 1]
        _reparent(meeting, item, new_parent.id, len(_siblings(meeting.id, new_parent.id)), siblings)
    elif action == "outdent":
        if item.parent_id is None:
            raise MoveRefused(f"Item {old_label} is already at the top level.")
        parent = db.session.get(AgendaItem, item.parent_id)
        _reparent(meeting, item, parent.parent_id, parent.position + 1, siblings)
    elif action == "position":
        parent_id, position = _parse_target(meeting, item, target)
        _reparent(meeting, item, parent_id, position, siblings)
    else:
        raise MoveRefused("Unknown move.")
    db.session.flush()
    nodes = tree.agenda_nodes(meeting.id)
    new_label = _number_in(nodes, item.id)
    if new_label == old_label and old_parent == item.parent_id:
        raise MoveRefused(f"Item {old_label} is already there.")
    record_revision(meeting, number, actor, f"Moved item {old_label} “{item.title}” to {new_label}", nodes)
    audit.record(actor, "agenda.item.move", item, meeting_id=meeting.id, diff={"number": [old_label, new_label]})
    return new_label


def _reparent(meeting, item, parent_id, position, old_siblings) -> None:
    new_depth = 1 if parent_id is None else _depth(db.session.get(AgendaItem, parent_id)) + 1
    if new_depth + _height(meeting, item) - 1 > MAX_ITEM_DEPTH:
        raise MoveRefused(f"Sub-items can go {MAX_ITEM_DEPTH} levels deep at most.")
    remaining = [s for s in old_siblings if s.id != item.id]
    _renumber(remaining)
    targets = [s for s in _siblings(meeting.id, parent_id) if s.id != item.id]
    position = max(0, min(position, len(targets)))
    item.parent_id = parent_id
    targets.insert(position, item)
    _renumber(targets)


def _parse_target(meeting: Meeting, item: AgendaItem, target: str) -> tuple[int | None, int]:
    """ "2.3" → (id of the item now numbered 2, index 2): the parent is named by its current number,
    the last part is the position the moved item takes among that parent's sub-items."""
    parts = (target or "").strip().rstrip(".").split(".")
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise MoveRefused("Give the new number as digits, e.g. 3 or 2.1.")
    if len(parts) > MAX_ITEM_DEPTH:
        raise MoveRefused(f"Sub-items can go {MAX_ITEM_DEPTH} levels deep at most.")
    moving = {node.item.id for node in tree.flatten(_subtree(meeting, item.id))}
    numbers = {node.number: node.item for node in tree.agenda_nodes(meeting.id)}
    parent_number = ".".join(parts[:-1])
    if parent_number:
        parent = numbers.get(parent_number)
        if parent is None:
            raise MoveRefused(f"There is no item {parent_number}.")
        if parent.id in moving:
            raise MoveRefused("An item cannot become a sub-item of itself.")
        return parent.id, int(parts[-1]) - 1
    return None, int(parts[-1]) - 1
