"""Agenda circulated (v1, v2 …) and adopted: a mail to everyone who may read the agenda."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import current_app

from secretariat import events
from secretariat.agenda import compare, visibility
from secretariat.agenda.models import AgendaVersion, Meeting, MeetingKind, MeetingStatus
from secretariat.auth.models import Role
from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.models import Category

#: who is told of a circulated or adopted agenda; a coordinators' meeting tells coordinators only
PARTNER_READERS = (Role.OFFICIAL.value, Role.OBSERVER.value)
COORDINATOR_READERS = (Role.COORDINATOR.value,)


def _path(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _changes_since(version: AgendaVersion) -> dict[str, int] | None:
    """Counts of what changed since the version before this one; None for the first."""
    previous = db.session.scalar(
        sa.select(AgendaVersion).where(
            AgendaVersion.meeting_id == version.meeting_id, AgendaVersion.number == version.number - 1
        )
    )
    if previous is None:
        return None
    changes = compare.compare_items(json.loads(previous.snapshot)["items"], json.loads(version.snapshot)["items"])
    return compare.summarize(changes)


def on_meeting_status(meeting: Meeting, *, status: str, version: AgendaVersion | None, **_) -> None:
    """Queue the mails of a circulation or an adoption (other status changes tell nobody yet)."""
    if version is None or status not in (MeetingStatus.CIRCULATED.value, MeetingStatus.ADOPTED.value):
        return
    coordinators_only = meeting.kind == MeetingKind.COORDINATORS.value
    readers = outbox.active_users(COORDINATOR_READERS if coordinators_only else PARTNER_READERS)
    readers = [user for user in readers if visibility.can_see_meeting(user, meeting)]
    counts = _changes_since(version)
    adopted = status == MeetingStatus.ADOPTED.value
    verb = "adopted" if adopted else "circulated"
    outbox.queue(
        readers,
        category=Category.AGENDA,
        kind="agenda_adopted" if adopted else "agenda_circulated",
        subject=f"Agenda v{version.number} {verb}: {meeting.title}",
        link_path=_path("agenda.meeting", meeting_id=meeting.id),
        meeting_id=meeting.id,
        details={
            "meeting_title": meeting.title,
            "version": version.number,
            "note": version.note,
            "start_date": meeting.start_date.isoformat(),
            "end_date": meeting.end_date.isoformat(),
            "city": meeting.city or "",
            "changes": counts,
            "compare_path": (
                _path(
                    "agenda.compare_versions",
                    meeting_id=meeting.id,
                    **{"from": f"v{version.number - 1}", "to": f"v{version.number}"},
                )
                if counts is not None
                else None
            ),
        },
    )


def connect() -> None:
    events.meeting_status_changed.connect(on_meeting_status)
