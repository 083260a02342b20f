"""The meeting and minutes rows that decide who sees what, checked against the audit chain.

A meeting's kind (coordinators' meetings are hidden from partners), its status (a draft agenda is
not served to partners; closing releases the records embargoed until it) and whether its minutes
are adopted (draft minutes are for coordinators) are changed only through audited services, so
`archive verify` replays those entries and names any row that differs. The agenda versions frozen
by those status changes are held to the fingerprint the chain recorded with them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from secretariat.agenda import tree
from secretariat.agenda.minutes import minutes_snapshot
from secretariat.agenda.models import AgendaVersion, Meeting, Minutes
from secretariat.audit.models import AuditEntry
from secretariat.audit.services import details_of
from secretariat.extensions import db

#: a closing and its audit entry are one transaction: their times differ by far less than this
CLOSING_TOLERANCE_SECONDS = 300


@dataclass
class _MeetingChain:
    kind: str | None = None
    status: str | None = None
    #: when the closing was recorded
    closed_at_entry: datetime | None = None
    created: bool = False
    #: agenda version number -> (the status it was frozen at, its fingerprint: None in entries made
    #: before the chain recorded fingerprints)
    versions: dict[int, tuple[str, str | None]] = field(default_factory=dict)


def _meeting_chains() -> dict[str, _MeetingChain]:
    chains: dict[str, _MeetingChain] = {}
    query = (
        sa.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.details, AuditEntry.created_at)
        .where(
            AuditEntry.object_type == "meetings",
            AuditEntry.action.in_(("meeting.create", "meeting.update", "meeting.status")),
        )
        .order_by(AuditEntry.seq)
    )
    for action, object_id, details, created_at in db.session.execute(query):
        chain = chains.setdefault(object_id, _MeetingChain())
        facts = details_of(details)
        if action == "meeting.create":
            chain.created, chain.kind, chain.status = True, facts.get("kind"), "planned"
        elif "kind" in (facts.get("diff") or {}):
            chain.kind = facts["diff"]["kind"][1]
        if action == "meeting.status" and "status" in (facts.get("diff") or {}):
            chain.status = facts["diff"]["status"][1]
            if chain.status == "closed":
                chain.closed_at_entry = created_at
            if facts.get("version") is not None:
                chain.versions[facts["version"]] = (chain.status, facts.get("snapshot_sha256"))
    return chains


def check(problem: Callable[[str], None]) -> int:
    """Report (through ``problem``) every meeting and minutes row that differs from the chain; returns rows checked."""
    chains = _meeting_chains()
    checked = 0
    for meeting in db.session.scalars(sa.select(Meeting).order_by(Meeting.id)):
        checked += 1
        chain = chains.get(str(meeting.id))
        label = f"meeting {meeting.id}"
        if chain is None:
            # Reference data loaded by seed (the chain records only their number): never closed
            # through the application, so no closing time, which would release embargoes.
            if meeting.closed_at is not None:
                problem(f"{label}: closed_at is set but the meeting was never closed (field closed_at)")
            continue
        if chain.created and meeting.kind != chain.kind:
            problem(f"{label}: kind is {meeting.kind!r}, recorded as {chain.kind!r} (field kind)")
        if chain.status is not None and meeting.status != chain.status:
            problem(f"{label}: status is {meeting.status!r}, recorded as {chain.status!r} (field status)")
        if chain.status is not None:
            _check_closing(problem, label, meeting, chain)
    for version in db.session.scalars(sa.select(AgendaVersion).order_by(AgendaVersion.id)):
        checked += 1
        _check_agenda_version(problem, version, chains.get(str(version.meeting_id)))
    adoptions: dict[str, str] = {}
    for object_id, details in db.session.execute(
        sa.select(AuditEntry.object_id, AuditEntry.details)
        .where(AuditEntry.object_type == "minutes", AuditEntry.action == "minutes.adopt")
        .order_by(AuditEntry.seq)
    ):
        adoptions[object_id] = details_of(details).get("sha256")
    for minutes in db.session.scalars(sa.select(Minutes).order_by(Minutes.id)):
        checked += 1
        _check_minutes(problem, minutes, adoptions.get(str(minutes.id)))
    return checked


def _check_closing(problem, label: str, meeting: Meeting, chain: _MeetingChain) -> None:
    if chain.status != "closed":
        if meeting.closed_at is not None:
            problem(f"{label}: closed_at is set but the meeting was never closed (field closed_at)")
        return
    if meeting.closed_at is None:
        problem(f"{label}: closed_at is empty but the meeting was closed (field closed_at)")
    elif abs((meeting.closed_at - chain.closed_at_entry).total_seconds()) > CLOSING_TOLERANCE_SECONDS:
        problem(f"{label}: closed_at {meeting.closed_at:%Y-%m-%d %H:%M} is not when it was closed (field closed_at)")


def _check_agenda_version(problem, version: AgendaVersion, chain: _MeetingChain | None) -> None:
    """A frozen agenda against the freeze the chain recorded: it exists, its kind, its fingerprint."""
    label = f"meeting {version.meeting_id} agenda v{version.number}"
    recorded = chain.versions.get(version.number) if chain is not None else None
    if recorded is None:
        problem(f"{label} is not in the audit trail (inserted outside the application)")
        return
    kind, fingerprint = recorded
    if version.kind != kind:
        problem(f"{label}: kind is {version.kind!r}, recorded as {kind!r} (field kind)")
    if hashlib.sha256(version.snapshot.encode("utf-8")).hexdigest() != version.snapshot_sha256:
        problem(f"{label}: the agenda was edited after it was frozen (field snapshot)")
    if fingerprint is not None and version.snapshot_sha256 != fingerprint:
        problem(f"{label}: its fingerprint differs from the one recorded when it was frozen (field snapshot_sha256)")


#: what the pages show of adopted minutes, as their snapshot holds it
SHOWN_PARTS = ("summary_html", "items", "action_points")


def _check_minutes(problem, minutes: Minutes, adopted_sha256: str | None) -> None:
    label = f"minutes {minutes.id} (meeting {minutes.meeting_id})"
    if minutes.status != "adopted":
        if adopted_sha256 is not None:
            problem(f"{label}: status is {minutes.status!r} but they were adopted (field status)")
        return
    if adopted_sha256 is None:
        problem(f"{label}: status is 'adopted' but they were never adopted (field status)")
        return
    if minutes.adopted_sha256 != adopted_sha256:
        problem(f"{label}: their fingerprint differs from the one recorded at adoption (field adopted_sha256)")
    text = (minutes.adopted_snapshot or "").encode("utf-8")
    if hashlib.sha256(text).hexdigest() != minutes.adopted_sha256:
        problem(f"{label}: the adopted text was edited after adoption (field adopted_snapshot)")
        return
    # The pages show adopted minutes from their rows (summary, outcomes, items, action points):
    # those must still be the text adopted. The meeting's title may change; it is not their text.
    adopted = json.loads(minutes.adopted_snapshot)
    meeting = db.session.get(Meeting, minutes.meeting_id)
    shown = json.loads(tree.to_json(minutes_snapshot(meeting, minutes)))
    differing = [part for part in SHOWN_PARTS if adopted.get(part) != shown.get(part)]
    if differing:
        problem(f"{label}: the text shown differs from the adopted text (field {', '.join(differing)})")
