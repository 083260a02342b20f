"""Sending the outbox: the worker claims due rows, sends each mail and marks it sent.

Exactly once as far as a mail server allows: a row is claimed (state "sending", committed) before
its mail leaves, and marked "sent" after. A worker that dies between the two leaves the row
claimed; once the claim is older than CLAIM_TIMEOUT the row is sent again, with the same
Message-ID, so the reader's mail program shows one mail. That is the trade-off: at least once on
the wire (never lost), once in the reader's mailbox where the client removes duplicates by
Message-ID (most do); never twice from a worker that did not die.
"""

from __future__ import annotations

import json
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import joinedload

from secretariat import mail
from secretariat.agenda import calendar as ical
from secretariat.agenda.calendar_export import calendar_meeting
from secretariat.agenda.models import Meeting
from secretariat.extensions import db
from secretariat.notify.models import Notification, NotificationState
from secretariat.timeutil import utcnow

#: a claim older than this was left by a worker that died between sending and marking
CLAIM_TIMEOUT = timedelta(minutes=5)
#: after so many failed attempts the mail is given up (it stays listed for the administrator)
MAX_ATTEMPTS = 8
#: the wait after the first failure, doubled at each further one (1, 2, 4 … minutes, at most a day)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=24)
#: a refusal of one message, not of the connection
PER_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def recover_abandoned(now=None) -> int:
    """Claims left by a dead worker go back to the queue (their Message-ID unchanged)."""
    now = now or utcnow()
    done = db.session.execute(
        sa.update(Notification)
        .where(Notification.state == NotificationState.SENDING.value, Notification.claimed_at < now - CLAIM_TIMEOUT)
        .values(state=NotificationState.QUEUED.value)
    ).rowcount
    db.session.commit()
    return done


def claim_due(limit: int, now=None) -> list[Notification]:
    """Claim up to ``limit`` due rows and commit the claim before any mail leaves."""
    now = now or utcnow()
    due = (
        sa.select(Notification.id)
        .where(Notification.state == NotificationState.QUEUED.value, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        return []
    # The state in the WHERE makes the claim safe against a second worker: a row it took first is skipped.
    claimed = db.session.scalars(
        sa.update(Notification)
        .where(Notification.id.in_(ids), Notification.state == NotificationState.QUEUED.value)
        .values(state=NotificationState.SENDING.value, claimed_at=now, attempts=Notification.attempts + 1)
        .returning(Notification.id)
    ).all()
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(Notification)
            .options(joinedload(Notification.user))
            .where(Notification.id.in_(claimed))
            .order_by(Notification.id)
        )
    )


def render(notification: Notification):
    """The mail of a row: text and HTML from notify/mail/<kind>, the meeting's event attached."""
    base = current_app.config["EXTERNAL_BASE_URL"].rstrip("/")
    details = json.loads(notification.details)
    context = {
        "user": notification.user,
        "details": details,
        "link": base + notification.link_path,
        "compare_link": base + details["compare_path"] if details.get("compare_path") else None,
        "preferences_link": base + current_app.url_map.bind("localhost").build("auth.account"),
    }
    text = render_template(f"notify/mail/{notification.kind}.txt", **context)
    html = render_template(f"notify/mail/{notification.kind}.html", **context)
    attachments = []
    if notification.meeting_id is not None:
        meeting = db.session.get(Meeting, notification.meeting_id)
        body = ical.meetings_to_ics([calendar_meeting(meeting)], calendar_name=meeting.title, now=utcnow())
        attachments.append(mail.Attachment("meeting.ics", "text", "calendar", body, params=(("method", "PUBLISH"),)))
    return mail.build_message(
        notification.user.email,
        notification.subject,
        text,
        html,
        message_id=notification.message_id,
        attachments=attachments,
    )


def _mark_sent(notification: Notification) -> None:
    notification.state = NotificationState.SENT.value
    notification.sent_at = utcnow()
    notification.last_error = None
    db.session.commit()


def _mark_failed(notification: Notification, error: BaseException) -> None:
    """Back to the queue after a growing delay, or given up after MAX_ATTEMPTS."""
    notification.last_error = f"{type(error).__name__}: {error}"[:500]
    if notification.attempts >= MAX_ATTEMPTS:
        notification.state = NotificationState.FAILED.value
    else:
        notification.state = NotificationState.QUEUED.value
        notification.next_attempt_at = utcnow() + retry_delay(notification.attempts)
    db.session.commit()


def deliver_due(batch: int = 100) -> int:
    """Send every due mail, a batch per connection; returns how many were sent. Never raises for
    a mail server that fails: the rows stay queued with the error, for the next attempt."""
    recover_abandoned()
    sent = 0
    while rows := claim_due(batch):
        try:
            with mail.connection() as send:
                for row in rows:
                    try:
                        message = render(row)
                    except Exception as exc:  # a fault of this row (its meeting gone, a template): not of the server
                        current_app.logger.exception("notification %s could not be rendered", row.id)
                        _mark_failed(row, exc)
                        continue
                    try:
                        send(message)
                    except PER_MESSAGE_ERRORS as exc:  # this address only: the rest of the batch goes on
                        current_app.logger.warning("notification %s refused: %s", row.id, exc)
                        _mark_failed(row, exc)
                    else:
                        _mark_sent(row)
                        sent += 1
        except Exception as exc:  # the server is down or refused us: every row not yet sent waits
            db.session.rollback()
            current_app.logger.warning("mail server unavailable, %s mail(s) stay queued: %s", len(rows), exc)
            for row in rows:
                if row.state == NotificationState.SENDING.value:
                    _mark_failed(row, exc)
            return sent
    return sent
