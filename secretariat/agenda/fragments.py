"""The rendered agenda of a frozen version, and the comparison of two, cached in the process.

A frozen version never changes (its snapshot and the snapshot's SHA-256 are written once), so the
HTML of its agenda list depends only on it and on the few mutable things the list shows besides:
the meeting's start date, start time and time zone (the timetable), the partners' names (lead
partners) and the outcomes from the minutes. All of these are part of the key, so a change to any
of them makes a new entry: a page never shows stale data. The HTML holds nothing about the viewer
(no controls, no coordinators' notes, no CSRF token); the view decides who may see the version, and
whether the outcomes are shown, before asking for it.

The comparison of two frozen versions depends on nothing but their snapshots: keyed by both; so does
its rendered list of changes (no links, nothing about the reader: the view decides who may compare
the versions before asking for it).

A snapshot is keyed by the SHA-256 of the text just read, not the stored one: a snapshot altered in
the database behind the application's back (what the "verified" mark on the version page detects)
shows as it now is, as it did before this cache (hashing 50 kB takes about 40 µs).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from flask import current_app, get_template_attribute, request
from markupsafe import Markup

from secretariat.agenda import compare, timetable, tree
from secretariat.agenda.models import AgendaVersion, Meeting

#: entries per process (a few kilobytes to a few tens of kilobytes each); the least recently used go first
MAX_ENTRIES = 256


class FrozenAgenda(NamedTuple):
    html: Markup
    item_count: int


class Side(NamedTuple):
    """One side of a comparison: a frozen version, or the items of the working draft."""

    label: str
    version: AgendaVersion | None
    items: list[dict] | None


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _cache() -> _LRU:
    # One cache per application: tests (and a restored backup) may give the same version id to
    # another snapshot; the SHA-256 in the key guards against that too.
    return current_app.extensions.setdefault("agenda_fragments", _LRU(MAX_ENTRIES))


def with_slots(meeting: Meeting, item_dicts: list[dict]) -> list[dict]:
    """Each item dict gains its time slot, from the meeting's current start and zone."""
    slots = timetable.compute(
        item_dicts, start_date=meeting.start_date, start_time=meeting.start_time, time_zone=meeting.time_zone
    )
    for entry in item_dicts:
        entry["slot"] = slots.get(entry["id"])
    return item_dicts


def version_items(meeting: Meeting, version: AgendaVersion) -> list[dict]:
    return with_slots(meeting, json.loads(version.snapshot)["items"])


def frozen_agenda(meeting: Meeting, version: AgendaVersion, partner_names: dict[str, str], outcomes) -> FrozenAgenda:
    """The agenda list of ``version`` as ``agenda/_agenda.html`` renders it (no controls, no notes).

    ``outcomes`` maps item ids to outcomes (or is empty/None when the reader may not see them).
    """
    key = (
        "agenda",
        version.id,
        tree.sha256(version.snapshot),
        meeting.start_date,
        meeting.start_time,
        meeting.time_zone,
        tuple(sorted(partner_names.items())),
        tuple(sorted((item_id, o.decision_html) for item_id, o in outcomes.items())) if outcomes else (),
    )
    cache = _cache()
    entry = cache.get(key)
    if entry is None:
        items = version_items(meeting, version)
        agenda_list = get_template_attribute("agenda/_agenda.html", "agenda_list")
        entry = FrozenAgenda(agenda_list(items, partner_names, meeting, outcomes=outcomes or None), len(items))
        cache.put(key, entry)
    return entry


def draft_agenda(
    meeting: Meeting, rows: list, leads: dict[int, list[str]], partner_names: dict[str, str], outcomes
) -> Markup:
    """The coordinators' working draft (notes shown) as ``agenda/_agenda.html`` renders it without controls.

    For a draft that may no longer change (adopted or held meeting), shown to coordinators only.
    ``rows`` and ``leads`` are what ``tree.draft_rows`` read. The key holds everything the list shows:
    those rows and lead partners (the item dicts and their slots follow from them and
    the meeting's start and zone), the meeting's start and zone, the partners' names and the outcomes;
    any change to the draft makes a new entry. Nothing about the viewer is in it.
    """
    key = (
        "draft",
        meeting.id,
        # The rows themselves, as tuples: hashing and comparing them is exact and costs a few tens
        # of microseconds; their repr and its SHA-256 cost a millisecond for 60 items.
        tuple(map(tuple, rows)),
        tuple(sorted((item_id, tuple(codes)) for item_id, codes in leads.items())),
        meeting.start_date,
        meeting.start_time,
        meeting.time_zone,
        tuple(sorted(partner_names.items())),
        tuple(sorted((item_id, o.decision_html) for item_id, o in outcomes.items())) if outcomes else (),
    )
    cache = _cache()
    entry = cache.get(key)
    if entry is None:
        agenda_list = get_template_attribute("agenda/_agenda.html", "agenda_list")
        items = with_slots(meeting, tree.items_of_rows(rows, leads, include_notes=True))
        entry = agenda_list(items, partner_names, meeting, show_notes=True, outcomes=outcomes or None)
        cache.put(key, entry)
    return entry


def documents_list(documents: Sequence, record_url, record_type_labels) -> Markup:
    """The meeting page's list of documents (``archive.queries.records_of_meeting`` records, already
    filtered for the reader), as ``agenda/_documents.html`` renders it.

    Keyed by the rows themselves (exact) and the script root the links start with: the list shows
    nothing else. Rendering it cost as much as the rest of the meeting page (about 20 µs a row).
    """
    key = ("documents", request.script_root, tuple(documents))
    cache = _cache()
    entry = cache.get(key)
    if entry is None:
        render = get_template_attribute("agenda/_documents.html", "documents_list")
        entry = render(documents, record_url, record_type_labels)
        cache.put(key, entry)
    return entry


def comparison(old: Side, new: Side) -> tuple[Sequence[compare.ItemChange], dict[str, int]]:
    """The changes from ``old`` to ``new`` and their counts; cached when both sides are frozen versions."""

    def items(side: Side) -> list[dict]:
        return side.items if side.version is None else json.loads(side.version.snapshot)["items"]

    if old.version is None or new.version is None:
        changes = compare.compare_items(items(old), items(new))
        return changes, compare.summarize(changes)
    old_v, new_v = old.version, new.version
    key = ("compare", old_v.id, tree.sha256(old_v.snapshot), new_v.id, tree.sha256(new_v.snapshot))
    cache = _cache()
    entry = cache.get(key)
    if entry is None:
        changes = compare.compare_items(items(old), items(new))
        # A tuple: the cached list is shared by every request that shows it, nobody may change it.
        entry = (tuple(changes), compare.summarize(changes))
        cache.put(key, entry)
    return entry


def comparison_html(old: Side, new: Side) -> tuple[Markup, dict[str, int]]:
    """The list of changes from ``old`` to ``new`` as ``agenda/_changes.html`` renders it, and their counts.

    Cached when both sides are frozen versions, keyed as comparison() is (rendering the 60-odd changes of
    the benchmark's comparison cost more than the rest of the page); a side that is the working draft
    is compared and rendered every time.
    """

    def render(changes) -> Markup:
        return get_template_attribute("agenda/_changes.html", "changes_list")(changes)

    if old.version is None or new.version is None:
        changes, summary = comparison(old, new)
        return render(changes), summary
    old_v, new_v = old.version, new.version
    key = ("compare-html", old_v.id, tree.sha256(old_v.snapshot), new_v.id, tree.sha256(new_v.snapshot))
    cache = _cache()
    entry = cache.get(key)
    if entry is None:
        changes, summary = comparison(old, new)
        entry = (render(changes), summary)
        cache.put(key, entry)
    return entry
