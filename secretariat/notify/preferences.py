"""Each person's choice per category: at once, in a daily digest at a chosen hour, or not by mail.

The hour is read in the time zone of the person's partner. Silence procedures and account events
are always sent at once: a silence procedure decides in a partner's name when nobody answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.notify.models import (
    ALWAYS_IMMEDIATE,
    DEFAULT_DELIVERY,
    DEFAULT_DIGEST_HOUR,
    Category,
    Delivery,
    NotificationPreference,
)

#: the categories a person may change, in the order the account page lists them
CHOOSABLE = [category for category in Category if category not in ALWAYS_IMMEDIATE]


def of_users(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    """The saved preferences of these people (absent: the defaults), in one statement."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(NotificationPreference).where(NotificationPreference.user_id.in_(ids)))
    return {row.user_id: row for row in rows}


def of_user(user: User) -> NotificationPreference | None:
    return db.session.get(NotificationPreference, user.id)


def delivery(preference: NotificationPreference | None, category: Category) -> Delivery:
    if category in ALWAYS_IMMEDIATE:
        return Delivery.IMMEDIATE
    chosen = json.loads(preference.choices).get(category.value) if preference else None
    return Delivery(chosen) if chosen in {d.value for d in Delivery} else DEFAULT_DELIVERY[category]


def digest_hour(preference: NotificationPreference | None) -> int:
    return preference.digest_hour if preference else DEFAULT_DIGEST_HOUR


def zone_of(user: User) -> ZoneInfo:
    """The person's time zone: their partner's (UTC if unknown)."""
    try:
        return ZoneInfo(user.partner.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_digest_at(user: User, hour: int, now: datetime) -> datetime:
    """The next time it is ``hour`` o'clock where the person is (their partner's time zone), in UTC."""
    local = now.astimezone(zone_of(user))
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at = (at + timedelta(days=1)).replace(hour=hour)  # a wall-clock hour, whatever the day's length
    return at.astimezone(now.tzinfo)


def save(user: User, choices: dict[Category, Delivery], hour: int) -> NotificationPreference:
    """Store the person's choices (the always-immediate categories are ignored); flushed, not committed."""
    preference = of_user(user) or NotificationPreference(user_id=user.id)
    kept = {category.value: choice.value for category, choice in choices.items() if category not in ALWAYS_IMMEDIATE}
    preference.choices = json.dumps(kept, sort_keys=True)
    preference.digest_hour = hour
    db.session.add(preference)
    db.session.flush()
    return preference
