"""Sending the outbox: the worker claims due rows, sends each mail and marks it sent.

Exactly once as far as a mail server allows: a row is claimed (state "sending", committed) before
its mail leaves, and marked "sent" after. A worker that dies between the two leaves the row
claimed; once the claim is older than CLAIM_TIMEOUT the row is sent again, with the same
Message-ID, so the reader's mail program shows one mail. That is the trade-off: at least once on
the wire (never lost), once in the reader's mailbox where the client removes duplicates by
Message-ID (most do); never twice from a worker that did not die. A digest's Message-ID is made
from its rows' own, so the same rows sent again are the same mail; if a retry gathers other rows
(a row whose retry falls due with them), the reader gets a second digest with the new set.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import joinedload

from secretariat import mail
from secretariat.agenda import calendar as ical
from secretariat.agenda.calendar_export import calendar_meeting
from secretariat.agenda.models import Meeting
from secretariat.extensions import db
from secretariat.notify import preferences
from secretariat.notify.models import Notification, NotificationState
from secretariat.timeutil import as_utc, utcnow

#: a claim older than this was left by a worker that died between sending and marking
CLAIM_TIMEOUT = timedelta(minutes=5)
#: after so many failed attempts (about a day and a half of retries) the mail is given up, still listed
MAX_ATTEMPTS = 12
#: the wait after the first failure, doubled at each further one (1, 2, 4 … minutes, at most a day)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=24)
#: a refusal of one message, not of the connection
PER_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
#: events whose mail is the common one (an intro, the title, a few lines, a deadline, the link):
#: notify/mail/event.txt and .html; any other kind has its own templates, notify/mail/<kind>.*
COMMON_MAIL_KINDS = frozenset(
    {
        "minutes_adopted",
        "action_points_assigned",
        "action_point_due",
        "action_point_overdue",
        "proposal_submitted",
        "proposal_accepted",
        "proposal_declined",
        "silence_opened",
        "silence_reminder",
        "silence_broken",
        "silence_outcome",
        "report_submitted",
        "report_reviewed",
        "report_commented",
        "initiative_commented",
        "record_filed",
        "embargo_released",
        "password_link",
        "second_factor_reset",
        "new_device",
        "sign_in_changed",
    }
)
#: mails whose link is a secret (a password link): forgotten once sent
SECRET_KINDS = frozenset({"password_link"})


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


def _deadline(details: dict, user) -> dict | None:
    """A deadline (stored in UTC) as its reader reads it: in their partner's time zone, and in UTC."""
    if not details.get("deadline"):
        return None
    at = as_utc(datetime.fromisoformat(details["deadline"]))
    zone = preferences.zone_of(user)
    return {
        "local": at.astimezone(zone).strftime("%A %-d %B %Y, %H:%M"),
        "zone": zone.key,
        "utc": at.strftime("%A %-d %B %Y, %H:%M UTC"),
    }


def _links(notification: Notification) -> dict:
    base = current_app.config["EXTERNAL_BASE_URL"].rstrip("/")
    details = json.loads(notification.details)
    return {
        "notification": notification,
        "details": details,
        "link": base + notification.link_path,
        "compare_link": base + details["compare_path"] if details.get("compare_path") else None,
        "deadline": _deadline(details, notification.user),
    }


def _calendar(meeting_id: int) -> bytes:
    meeting = db.session.get(Meeting, meeting_id)
    return ical.meetings_to_ics([calendar_meeting(meeting)], calendar_name=meeting.title, now=utcnow())


def _events(meeting_ids: Iterable[int | None], calendars: dict[int, bytes]) -> list[mail.Attachment]:
    """The iCalendar event of each meeting (METHOD:PUBLISH: clients update the event of the same UID),
    made once per batch (``calendars``): a circulation's mails all carry the same event."""
    attachments = []
    for meeting_id in dict.fromkeys(i for i in meeting_ids if i is not None):
        if meeting_id not in calendars:
            calendars[meeting_id] = _calendar(meeting_id)
        body = calendars[meeting_id]
        name = "meeting.ics" if not attachments else f"meeting-{meeting_id}.ics"
        attachments.append(mail.Attachment(name, "text", "calendar", body, params=(("method", "PUBLISH"),)))
    return attachments


def _digest_message_id(rows: list[Notification]) -> str:
    """The same rows make the same digest Message-ID (a digest sent again is one mail to its reader);
    other rows, another."""
    digest = hashlib.sha256(" ".join(row.message_id for row in rows).encode()).hexdigest()[:40]
    domain = rows[0].message_id.rsplit("@", 1)[-1].rstrip(">")
    return f"<digest-{digest}@{domain}>"


def render(rows: list[Notification], calendars: dict[int, bytes] | None = None):
    """The mail of one row (text and HTML from notify/mail/<kind>), or the digest of several rows
    of one person; the meetings' events attached."""
    user = rows[0].user
    preferences_link = current_app.config["EXTERNAL_BASE_URL"].rstrip("/") + current_app.url_map.bind(
        "localhost"
    ).build("auth.account")
    if len(rows) == 1:
        (row,) = rows
        context = {**_links(row), "user": user, "preferences_link": preferences_link}
        template = "event" if row.kind in COMMON_MAIL_KINDS else row.kind
        text = render_template(f"notify/mail/{template}.txt", **context)
        html = render_template(f"notify/mail/{template}.html", **context)
        subject, message_id = row.subject, row.message_id
    else:
        context = {"user": user, "entries": [_links(row) for row in rows], "preferences_link": preferences_link}
        text = render_template("notify/mail/digest.txt", **context)
        html = render_template("notify/mail/digest.html", **context)
        subject, message_id = f"Your daily digest: {len(rows)} updates", _digest_message_id(rows)
    return mail.build_message(
        user.email,
        subject,
        text,
        html,
        message_id=message_id,
        attachments=_events((row.meeting_id for row in rows), {} if calendars is None else calendars),
    )


def _mark_sent(rows: list[Notification]) -> None:
    now = utcnow()
    for row in rows:
        row.state = NotificationState.SENT.value
        row.sent_at = now
        row.last_error = None
        if row.kind in SECRET_KINDS:  # the link has left: the outbox keeps no usable copy of it
            row.link_path = ""
    db.session.commit()


def _mark_failed(rows: list[Notification], error: BaseException) -> None:
    """Back to the queue after a growing delay, or given up after MAX_ATTEMPTS."""
    for row in rows:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = NotificationState.FAILED.value
        else:
            row.state = NotificationState.QUEUED.value
            row.next_attempt_at = utcnow() + retry_delay(row.attempts)
    db.session.commit()


def mails(rows: list[Notification]) -> list[list[Notification]]:
    """The claimed rows as mails: one each, except a person's digest rows, gathered into one."""
    digests: dict[int, list[Notification]] = {}
    single = []
    for row in rows:
        if row.for_digest:
            digests.setdefault(row.user_id, []).append(row)
        else:
            single.append([row])
    return single + list(digests.values())


def deliver_due(batch: int = 100) -> int:
    """Send every due mail, a batch per connection; returns how many notifications went. Never raises
    for a mail server that fails: the rows stay queued with the error, for the next attempt."""
    recover_abandoned()
    sent = 0
    calendars: dict[int, bytes] = {}
    while rows := claim_due(batch):
        try:
            with mail.connection() as send:
                for group in mails(rows):
                    try:
                        message = render(group, calendars)
                    except Exception as exc:  # a fault of these rows (a meeting gone, a template): not of the server
                        current_app.logger.exception("notification(s) %s could not be made", [r.id for r in group])
                        _mark_failed(group, exc)
                        continue
                    try:
                        send(message)
                    except PER_MESSAGE_ERRORS as exc:  # this address only: the rest of the batch goes on
                        current_app.logger.warning("notification(s) %s refused: %s", [r.id for r in group], exc)
                        _mark_failed(group, exc)
                    else:
                        _mark_sent(group)
                        sent += len(group)
        except Exception as exc:  # the server is down or refused us: every row not yet sent waits
            db.session.rollback()
            current_app.logger.warning("mail server unavailable, %s mail(s) stay queued: %s", len(rows), exc)
            _mark_failed([row for row in rows if row.state == NotificationState.SENDING.value], exc)
            return sent
    return sent
