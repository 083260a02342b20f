"""Writing notifications: rows in the outbox, in the transaction of the change they announce.

Only the people who may see the object get a row (the areas' own rules decide), and a row holds
titles, counts and a link, never the object's confidential text. The worker (delivery.py) sends them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from secretariat.auth.models import Role, User
from secretariat.extensions import db
from secretariat.mail import new_message_id
from secretariat.notify import preferences
from secretariat.notify.models import Category, Delivery, Notification, NotificationOnce
from secretariat.timeutil import utcnow

#: the people who act for a partner and answer for it (observers read, they do not act)
OFFICIALS = (Role.OFFICIAL.value,)
COORDINATORS = (Role.COORDINATOR.value,)


def active_users(roles: Iterable[str], partner_ids: Iterable[int] | None = None) -> list[User]:
    """Active accounts with one of these roles (of these partners, if given), in a stable order."""
    query = sa.select(User).where(User.role.in_(list(roles)), User.is_active_account.is_(True)).order_by(User.id)
    if partner_ids is not None:
        query = query.where(User.partner_id.in_(list(partner_ids)))
    return list(db.session.scalars(query))


def path(endpoint: str, _anchor: str | None = None, **values) -> str:
    """The path of a page on this site, the same inside a request or in the worker (no request needed)."""
    built = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{built}#{_anchor}" if _anchor else built


def once(key: str) -> bool:
    """True the first time an announcement ``key`` is made (its row joins the transaction), then False."""
    if db.session.get(NotificationOnce, key) is not None:
        return False
    db.session.add(NotificationOnce(key=key))
    db.session.flush()
    return True


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
