"""Writing notifications: rows in the outbox, in the transaction of the change they announce.

Only the people who may see the object get a row (the areas' own rules decide), and a row holds
titles, counts and a link, never the object's confidential text. The worker (delivery.py) sends them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa

from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.mail import new_message_id
from secretariat.notify import preferences
from secretariat.notify.models import Category, Delivery, Notification
from secretariat.timeutil import utcnow


def active_users(roles: Iterable[str]) -> list[User]:
    """Active accounts with one of these roles, in a stable order."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.role.in_(list(roles)), User.is_active_account.is_(True)).order_by(User.id)
        )
    )


def queue(
    users: Iterable[User],
    *,
    category: Category,
    kind: str,
    subject: str,
    link_path: str,
    details: dict | None = None,
    meeting_id: int | None = None,
) -> list[Notification]:
    """One outbox row per person who wants it (a digest's row waits for the person's hour), each with
    its own Message-ID; flushed, never committed."""
    users = list(users)
    subject = " ".join(subject.split())[:300]  # one line: a title never breaks the header
    text = json.dumps(details or {}, sort_keys=True)
    chosen = preferences.of_users(user.id for user in users)
    now = utcnow()
    rows = []
    for user in users:
        preference = chosen.get(user.id)
        delivery = preferences.delivery(preference, category)
        if delivery is Delivery.OFF:
            continue
        for_digest = delivery is Delivery.DIGEST
        rows.append(
            Notification(
                user_id=user.id,
                category=category.value,
                kind=kind,
                subject=subject,
                link_path=link_path,
                details=text,
                meeting_id=meeting_id,
                message_id=new_message_id(),
                for_digest=for_digest,
                next_attempt_at=(
                    preferences.next_digest_at(user, preferences.digest_hour(preference), now) if for_digest else now
                ),
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows
