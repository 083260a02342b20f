"""Minutes and outcomes: decisions per item, action points for partners, adoption that freezes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from secretariat import audit, events
from secretariat.agenda import tree
from secretariat.agenda.models import (
    ActionPoint,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
)
from secretariat.agenda.visibility import can_see_meeting, visible_meetings
from secretariat.auth.models import Partner
from secretariat.auth.permissions import Permission, acts_for_partner, is_coordinator, role_has
from secretariat.errors import Forbidden, NotFound
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow

#: minutes can be written once the meeting is under way
MINUTES_OPEN = frozenset({MeetingStatus.ADOPTED, MeetingStatus.HELD})


class MinutesRefused(Exception):
    """The minutes cannot change now; the message says why."""


@dataclass
class MinutesConflict(Exception):
    minutes: Minutes
    submitted: dict


def get_minutes(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def outcomes_by_item(minutes: Minutes | None) -> dict[int, ItemOutcome]:
    if minutes is None:
        return {}
    rows = db.session.scalars(sa.select(ItemOutcome).where(ItemOutcome.minutes_id == minutes.id))
    return {row.item_id: row for row in rows}


def can_read_minutes(user, minutes: Minutes | None) -> bool:
    return minutes is not None and (minutes.status == MinutesStatus.ADOPTED.value or is_coordinator(user))


def can_read_action_points(user, minutes: Minutes | None) -> bool:
    """A meeting's action points are part of its minutes: partners read them once the minutes are
    adopted; until then (or with no minutes at all) they are the coordinators' draft."""
    return is_coordinator(user) or can_read_minutes(user, minutes)


def save_minutes(meeting: Meeting, *, summary: str, decisions: dict[int, str], expected_version: int, actor) -> Minutes:
    """Save the draft minutes unless someone saved them since this person opened the page."""
    if MeetingStatus(meeting.status) not in MINUTES_OPEN:
        raise MinutesRefused("Minutes can be written once the agenda is adopted and until the meeting is closed.")
    minutes = get_minutes(meeting)
    if minutes is None:
        if expected_version != 0:
            raise MinutesRefused("The minutes were removed meanwhile.")
        minutes = Minutes(meeting_id=meeting.id, version=0)
        db.session.add(minutes)
        db.session.flush()
    if minutes.status != MinutesStatus.DRAFT.value:
        raise MinutesRefused("Adopted minutes cannot change.")
    submitted = {"summary": summary, "decisions": decisions}
    if minutes.version != expected_version:
        raise MinutesConflict(minutes, submitted)
    before = _state(minutes)
    minutes.summary_source = summary
    minutes.summary_html = str(rich_text(summary))
    # Saved before the outcomes: the UPDATE … WHERE version = expected is the lock one of two concurrent saves gets.
    minutes.version = expected_version + 1
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise MinutesConflict(minutes, submitted) from stale
    valid_items = {node.item.id for node in tree.agenda_nodes(meeting.id)}
    existing = outcomes_by_item(minutes)
    for item_id, text in decisions.items():
        if item_id not in valid_items:
            continue  # an id from a forged form: not an item of this meeting
        outcome = existing.get(item_id) or ItemOutcome(minutes_id=minutes.id, item_id=item_id)
        outcome.decision_source = text
        outcome.decision_html = str(rich_text(text))
        db.session.add(outcome)
    db.session.flush()
    audit.record(actor, "minutes.update", minutes, meeting_id=meeting.id, diff=audit.diff(before, _state(minutes)))
    return minutes


def _state(minutes: Minutes) -> dict[str, Any]:
    state = {"summary": minutes.summary_source}
    for item_id, outcome in outcomes_by_item(minutes).items():
        state[f"item {item_id}"] = outcome.decision_source
    return state


def adopt(meeting: Meeting, *, actor) -> Minutes:
    """Freeze the minutes: their content is kept as an unalterable snapshot with its hash."""
    minutes = get_minutes(meeting)
    if minutes is None or minutes.status != MinutesStatus.DRAFT.value:
        raise MinutesRefused("There are no draft minutes to adopt.")
    minutes.status = MinutesStatus.ADOPTED.value
    minutes.version += 1
    try:
        db.session.flush()  # UPDATE … WHERE version = read: the minutes frozen are the ones read
    except StaleDataError as stale:
        raise MinutesRefused("The minutes were changed or adopted meanwhile. Check them, then adopt them.") from stale
    text = tree.to_json(minutes_snapshot(meeting, minutes))
    minutes.adopted_at = utcnow()
    minutes.adopted_by_id = actor.id
    minutes.adopted_snapshot = text
    minutes.adopted_sha256 = tree.sha256(text)
    db.session.flush()
    audit.record(actor, "minutes.adopt", minutes, meeting_id=meeting.id, sha256=minutes.adopted_sha256)
    events.minutes_adopted.send(meeting, minutes=minutes, actor=actor)
    return minutes


def minutes_snapshot(meeting: Meeting, minutes: Minutes) -> dict:
    outcomes = outcomes_by_item(minutes)
    return {
        "meeting": {"id": meeting.id, "title": meeting.title},
        "summary_html": minutes.summary_html,
        "items": [
            {
                "number": node.number,
                "title": node.item.title,
                "decision_html": outcomes[node.item.id].decision_html if node.item.id in outcomes else "",
            }
            for node in tree.agenda_nodes(meeting.id)
        ],
        "action_points": [
            {
                "text": ap.text,
                "partner": ap.responsible_partner.code,
                "due_date": ap.due_date.isoformat() if ap.due_date else None,
            }
            for ap in action_points(meeting)
        ],
    }


# --- action points -------------------------------------------------------------------------


def action_points(meeting: Meeting) -> list[ActionPoint]:
    """The meeting's action points, each with its responsible partner; the caller checks who may read them."""
    query = sa.select(ActionPoint).where(ActionPoint.meeting_id == meeting.id).order_by(ActionPoint.id)
    return list(db.session.scalars(query))


def add_action_point(
    meeting: Meeting, *, text: str, partner_code: str, due: date | None, item_id: int | None, actor
) -> ActionPoint:
    if MeetingStatus(meeting.status) not in MINUTES_OPEN:
        raise MinutesRefused("Action points are recorded once the agenda is adopted and until the meeting is closed.")
    current = get_minutes(meeting)
    if current is not None and current.status != MinutesStatus.DRAFT.value:
        # The adopted minutes hold their action points, frozen: one added now would be in neither.
        raise MinutesRefused("The minutes are adopted: their action points cannot change.")
    partner = db.session.scalar(sa.select(Partner).where(Partner.code == partner_code))
    if partner is None:
        raise MinutesRefused("Choose the responsible partner.")
    if item_id is not None and item_id not in {node.item.id for node in tree.agenda_nodes(meeting.id)}:
        item_id = None
    point = ActionPoint(
        meeting_id=meeting.id, item_id=item_id, text=text.strip(), responsible_partner=partner, due_date=due
    )
    db.session.add(point)
    db.session.flush()
    audit.record(actor, "action_point.create", point, meeting_id=meeting.id, partner=partner.code, text=point.text)
    return point


def get_action_point(point_id: int, user) -> ActionPoint:
    """The action point; NotFound for one the user may not know of (a hidden meeting's, or a draft's)."""
    point = db.session.get(ActionPoint, point_id)
    if point is None or not can_see_meeting(user, point.meeting):
        raise NotFound("action point")
    if not can_read_action_points(user, get_minutes(point.meeting)):
        raise NotFound("action point")
    return point


def may_close(user, point: ActionPoint) -> bool:
    return is_coordinator(user) or acts_for_partner(user, point.responsible_partner_id)


def mark_done(point: ActionPoint, *, actor) -> None:
    """Coordinators, or officials of the responsible partner, mark an action point done."""
    if not may_close(actor, point):
        raise Forbidden("action point")
    if point.done_at is None:
        point.done_at = utcnow()
        point.done_by_id = actor.id
        db.session.flush()
        audit.record(actor, "action_point.done", point, meeting_id=point.meeting_id)


def visible_action_points(query: sa.Select, user) -> sa.Select:
    """Restrict a query of action points joined to their meeting to those ``user`` may read: of
    meetings they may see (visible_meetings) and, for partners, of adopted minutes."""
    query = visible_meetings(query, user)
    if role_has(user.role, Permission.COORDINATE):  # is_coordinator's rule on the role alone (the dashboard's)
        return query
    adopted = sa.exists().where(
        Minutes.meeting_id == ActionPoint.meeting_id, Minutes.status == MinutesStatus.ADOPTED.value
    )
    return query.where(adopted)
