"""Three-way merge of an edit that lost the race to another save, for every conflict page.

A form carries the values it started from (the *base*) in a signed hidden field. When the save is
refused because someone saved first, each field is compared three ways, base → theirs (saved
now) and base → mine (submitted):

- only they changed it: their value is kept (the form shows it);
- only this person changed it: their typing is kept;
- both changed it, differently: both are shown side by side and the person chooses (a radio
  button per field, no JavaScript needed); the re-displayed form carries the choice.

Without a base (an old page, a tampered field) every field that differs counts as changed by both:
the person is asked rather than anything being overwritten silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from secretariat.audit.models import AuditEntry
from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.timeutil import utcnow

#: the hidden field that carries the base through the page
BASE_FIELD = "edit_base"
#: the prefix of the radio buttons that choose between theirs and mine: choose-<field>
CHOICE_PREFIX = "choose-"
THEIRS, MINE = "theirs", "mine"


def plain(value: Any) -> Any:
    """A value as compared and carried: text without CR or trailing blanks, sorted lists, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return str(value)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="edit-base")


@dataclass
class Base:
    """The values an edit started from, for one object, and the fields the person was asked about."""

    key: str
    values: dict[str, Any]
    opened_at: datetime
    asked: list[str] = field(default_factory=list)

    def token(self) -> str:
        return _serializer().dumps({"k": self.key, "v": self.values, "t": self.opened_at.isoformat(), "a": self.asked})

    @classmethod
    def from_request(cls, key: str) -> Base | None:
        """The base the submitted form carried, if it is ours and for this object."""
        raw = request.form.get(BASE_FIELD, "")
        if not raw:
            return None
        try:
            data = _serializer().loads(raw)
            opened = datetime.fromisoformat(data["t"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if data.get("k") != key or not isinstance(data.get("v"), dict):
            return None
        return cls(key, data["v"], opened, [a for a in data.get("a") or [] if isinstance(a, str)])


def stamp(key: str, values: Mapping[str, Any]) -> str:
    """The hidden field's value for a form opened now with ``values``."""
    return Base(key, {name: plain(v) for name, v in values.items()}, utcnow()).token()


def carried(key: str, values: Mapping[str, Any]) -> str:
    """The base to re-display: the one the form came with (a form re-shown with errors still started from
    it), or a fresh one for a form opened now."""
    base = Base.from_request(key) if request.method == "POST" else None
    return base.token() if base else stamp(key, values)


@dataclass
class FieldMerge:
    """One field that differs between what is saved now and what this person submitted."""

    name: str
    label: str
    #: "theirs": only the other person changed it; "mine": only this person; "both": both, differently;
    #: "chose-theirs" / "chose-mine": both, and this person chose
    outcome: str
    theirs: str
    mine: str
    changed_by: str | None = None
    changed_at: datetime | None = None


@dataclass
class Merge:
    """The outcome of a three-way merge: the values to save and what happened to each field."""

    key: str
    values: dict[str, Any]
    fields: list[FieldMerge]
    theirs_plain: dict[str, Any]
    opened_at: datetime

    @property
    def open(self) -> list[FieldMerge]:
        """Fields both people changed, differently, and still to choose."""
        return [f for f in self.fields if f.outcome == "both"]

    @property
    def resolved(self) -> bool:
        return not self.open

    @property
    def taken(self) -> list[FieldMerge]:
        return [f for f in self.fields if f.outcome in ("theirs", "chose-theirs")]

    @property
    def kept(self) -> list[FieldMerge]:
        return [f for f in self.fields if f.outcome in ("mine", "chose-mine")]

    def token(self) -> str:
        """The base for the re-displayed form: what is saved now, and the fields to choose."""
        return Base(self.key, self.theirs_plain, self.opened_at, [f.name for f in self.open]).token()

    def summary(self) -> str:
        """One sentence for the flash message after a merged save."""
        parts = []
        for f in self.taken:
            who = f" by {f.changed_by}" if f.changed_by else ""
            when = f" at {f.changed_at.strftime('%H:%M')} UTC" if f.changed_at else ""
            parts.append(f"{f.label} (changed{who}{when})")
        text = "Someone else saved meanwhile; your changes were merged with theirs."
        if parts:
            text += " Kept from the other save: " + "; ".join(parts) + "."
        if self.kept:
            text += " Yours: " + ", ".join(f.label for f in self.kept) + "."
        return text


def display(value: Any, choices: Mapping[str, str] | None = None) -> str:
    """A value as a person reads it (choice labels rather than codes)."""
    shown = plain(value)
    if isinstance(shown, list):
        return ", ".join(choices.get(v, v) for v in shown) if choices else ", ".join(shown)
    if choices:
        shown = choices.get(shown, shown)
    return shown or "(empty)"


def three_way(
    key: str,
    *,
    labels: Mapping[str, str],
    theirs: Mapping[str, Any],
    mine: Mapping[str, Any],
    choices: Mapping[str, Mapping[str, str]] | None = None,
    audit_of: tuple[Any, tuple[str, ...]] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Merge:
    """Merge ``mine`` (submitted) with ``theirs`` (saved now) against the base the request carries.

    ``labels`` names the fields merged, in page order; ``choices`` maps a field's codes to labels for
    display; ``audit_of`` (the object, its update actions) says who changed a field and when, found in
    the audit trail under the field's name or its alias in ``aliases``.
    """
    base_obj = Base.from_request(key)
    base = base_obj.values if base_obj else None
    asked = set(base_obj.asked) if base_obj else set()
    opened = base_obj.opened_at if base_obj else utcnow()
    attribution = {}
    if audit_of is not None:
        found = changes_since(audit_of[0], opened, audit_of[1])
        attribution = {n: found.get((aliases or {}).get(n, n)) or found.get("") for n in labels}
    values, fields = {}, []
    for name, label in labels.items():
        t, m = plain(theirs.get(name)), plain(mine.get(name))
        b = base.get(name) if base is not None and name in base else None
        choice = request.form.get(CHOICE_PREFIX + name)
        if name in asked and choice in (THEIRS, MINE):
            outcome = "chose-" + choice
        elif t == m:
            values[name] = mine.get(name)
            continue
        elif name in asked:  # asked about and not answered: ask again
            outcome = "both"
        elif b is not None and t == b:
            outcome = "mine"
        elif b is not None and m == b:
            outcome = "theirs"
        else:
            outcome = "both"
        values[name] = theirs.get(name) if outcome in ("theirs", "chose-theirs") else mine.get(name)
        who, when = attribution.get(name) or (None, None)
        field_choices = (choices or {}).get(name)
        fields.append(
            FieldMerge(
                name,
                label,
                outcome,
                display(theirs.get(name), field_choices),
                display(mine.get(name), field_choices),
                who,
                when,
            )
        )
    return Merge(key, values, fields, {n: plain(theirs.get(n)) for n in labels}, opened)


def merge_form(key: str, form, theirs_form, labels: Mapping[str, str], **kwargs: Any) -> Merge:
    """``three_way`` over two WTForms forms: ``form`` (submitted) is changed in place to hold the merge,
    so that its data is what to save and, re-displayed, what to look at."""
    mine = {name: form[name].data for name in labels}
    theirs = {name: theirs_form[name].data for name in labels}
    choices = {name: _choice_labels(form[name]) for name in labels if getattr(form[name], "choices", None)}
    result = three_way(key, labels=labels, theirs=theirs, mine=mine, choices=choices, **kwargs)
    for f in result.fields:
        if f.outcome in ("theirs", "chose-theirs"):
            form[f.name].data = theirs[f.name]
            form[f.name].raw_data = None  # shown from .data, not from what was typed
    return result


def _choice_labels(form_field) -> dict[str, str]:
    choices = form_field.choices
    if isinstance(choices, dict):
        choices = [c for group in choices.values() for c in group]
    labels = {}
    for choice in choices:
        value, label = (choice.value, choice.label) if hasattr(choice, "label") else (choice[0], choice[1])
        labels[str(value)] = str(label)
    return labels


def object_key(obj) -> str:
    return f"{obj.__tablename__}:{obj.id}"


def changes_since(obj, opened_at: datetime, actions: tuple[str, ...]) -> dict[str, tuple[str, datetime]]:
    """Who changed each field of ``obj`` since ``opened_at``, and when, from the audit trail.

    Keys are the names in the entries' diffs; "" holds the latest change whatever its fields.
    """
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.object_type == obj.__tablename__,
            AuditEntry.object_id == str(obj.id),
            AuditEntry.action.in_(actions),
            AuditEntry.created_at >= opened_at,
        )
        .order_by(AuditEntry.seq)
    ).all()
    names = {
        u.id: u.display_name
        for u in db.session.scalars(sa.select(User).where(User.id.in_({e.actor_id for e in entries if e.actor_id})))
    }
    found: dict[str, tuple[str, datetime]] = {}
    for entry in entries:
        who = (names.get(entry.actor_id) if entry.actor_id else None) or entry.actor_label
        try:
            changed = json.loads(entry.details).get("diff") or {}
        except ValueError:
            changed = {}
        for name in changed:
            found[name] = (who, entry.created_at)
        found[""] = (who, entry.created_at)
    return found


@dataclass
class Saved:
    """What ``save_or_merge`` did: saved (perhaps merged: ``merge``), or a merge to show (not saved)."""

    saved: bool
    merge: Merge | None


def save_or_merge(
    key: str,
    *,
    save: Callable[[], Any],
    remerge: Callable[[], Merge],
    conflict: type[Exception] | tuple[type[Exception], ...],
    retry: bool = True,
) -> Saved:
    """Save an edit form; if someone saved first, merge with theirs and save again when nothing clashes.

    ``save`` calls the service with the form's data and version; ``remerge`` rolls back, reads the object
    afresh and merges the form with it (``merge_form``, setting the form's version to the one saved now).
    The conflict page's answer (a base with fields asked about) has its choices applied before saving.
    Without ``retry`` even a merge where nothing clashes is shown first (a form whose files must be
    chosen again).
    """
    base = Base.from_request(key)
    outcome = remerge() if base and base.asked else None
    for _attempt in range(2):  # a second conflict (a third save meanwhile) is shown, not retried again
        if outcome is not None and not outcome.resolved:
            return Saved(False, outcome)
        try:
            save()
        except conflict:
            outcome = remerge()
            if not retry:
                return Saved(False, outcome)
        else:
            return Saved(True, outcome)
    return Saved(False, outcome)
