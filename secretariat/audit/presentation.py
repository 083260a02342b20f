"""The audit trail in people's words: what was done, to what (with a link to it), and what changed.

The entries keep their dotted actions, table names and canonical JSON: the hash chain covers them
and `flask audit verify` reads them. This module only says them the way the trail page shows them,
with the words of labels.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from secretariat.audit.labels import ACTIONS, DETAILS, OBJECTS, QUIET
from secretariat.audit.models import AuditEntry
from secretariat.core.filters import field_label


@dataclass
class EntryView:
    """One entry as the trail page shows it."""

    entry: AuditEntry
    action: str
    object_label: str = ""
    object_url: str | None = None
    #: (field, before, after) for each changed field
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    #: (name, value) for the other facts of the action
    facts: list[tuple[str, str]] = field(default_factory=list)


def action_label(action: str) -> str:
    """An action in words: "Agenda item changed" for agenda.item.update; an unknown one in plain words."""
    return ACTIONS.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def detail_label(key: str) -> str:
    """A detail of an entry in words: "SHA-256 fingerprint" for sha256, "Duration" for duration_minutes."""
    return DETAILS.get(key) or field_label(key)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_text(v)}" for k, v in value.items())
    return str(value)


def _object_url(kind: str | None, object_id: str | None, details: dict) -> str | None:
    """The page of the object, when there is one a trail reader may open."""
    ident = int(object_id) if object_id and object_id.isdigit() else None
    meeting_id = details.get("meeting_id")
    initiative_id = details.get("initiative_id")
    if kind == "meetings" and ident:
        return url_for("agenda.meeting", meeting_id=ident)
    if kind == "agenda_items" and meeting_id:
        return url_for("agenda.meeting", meeting_id=meeting_id) + (f"#item-{ident}" if ident else "")
    if kind in ("item_proposals", "minutes", "action_points") and meeting_id:
        return url_for("agenda.meeting", meeting_id=meeting_id)
    if kind == "initiatives" and ident:
        return url_for("programme.initiative", initiative_id=ident)
    if kind in ("progress_reports", "programme_comments", "milestones") and initiative_id:
        return url_for("programme.initiative", initiative_id=initiative_id)
    if kind == "silence_procedures" and ident:
        return url_for("programme.silence_detail", procedure_id=ident)
    if kind == "records" and ident:
        return url_for("archive.record", record_id=ident)
    if kind == "users" and ident:
        return url_for("admin.edit_user", user_id=ident)
    return None


def describe(entry: AuditEntry) -> EntryView:
    """The entry in words, with a link to what it is about."""
    try:
        details = json.loads(entry.details or "{}")
    except ValueError:
        details = {"details": entry.details}
    if not isinstance(details, dict):
        details = {"details": details}
    kind = entry.object_type
    view = EntryView(entry=entry, action=action_label(entry.action))
    if kind:
        name = OBJECTS.get(kind) or kind.replace("_", " ").capitalize()
        label = details.get("title") or details.get("number") or details.get("code")
        view.object_label = f"{name} {label}" if label else f"{name} {entry.object_id or ''}".strip()
        view.object_url = _object_url(kind, entry.object_id, details)
    diff = details.get("diff")
    if isinstance(diff, dict):
        for key, pair in diff.items():
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            view.changes.append((detail_label(key), _text(before), _text(after)))
    for key, value in details.items():
        if key not in QUIET:
            view.facts.append((detail_label(key), _text(value)))
    return view
