"""Silence procedures: opened (every partner's officials, with the deadline in each reader's time
zone and in UTC), reminders 48 h and 24 h before the deadline to the partners that have not answered,
silence broken, and the outcome (coordinators and every partner's officials).

Silence decides in a partner's name when nobody answers: this category cannot be switched off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.models import Category
from secretariat.programme.models import PositionKind, SilenceOutcome, SilencePosition, SilenceProcedure
from secretariat.timeutil import as_utc, utcnow

#: the reminders before a deadline, the earliest first
REMINDERS = (timedelta(hours=48), timedelta(hours=24))


def _details(procedure: SilenceProcedure, intro: str, *lines: str) -> dict:
    return {
        "intro": intro,
        "title": procedure.subject,
        "lines": list(lines),
        # shown to each reader in their partner's time zone and in UTC (delivery._links)
        "deadline": as_utc(procedure.deadline).isoformat(),
        "link_label": "Read the text and answer",
    }


def _link(procedure: SilenceProcedure) -> str:
    return outbox.path("programme.silence_detail", procedure_id=procedure.id)


def opened(procedure: SilenceProcedure) -> None:
    """Every partner's officials learn of the text and of the deadline."""
    outbox.queue(
        outbox.active_users(outbox.OFFICIALS),
        category=Category.SILENCE,
        kind="silence_opened",
        subject=f"Silence procedure opened: {procedure.subject}",
        link_path=_link(procedure),
        details=_details(
            procedure,
            "A text is under silence procedure. It is adopted at the deadline unless a partner breaks silence "
            "before it: if your partner does not answer, it agrees.",
        ),
    )


def position_taken(procedure: SilenceProcedure, position: SilencePosition) -> None:
    """A partner that breaks silence is announced to the coordinators and to every partner's officials."""
    if position.position != PositionKind.BROKE_SILENCE.value:
        return
    outbox.queue(
        outbox.active_users(outbox.COORDINATORS + outbox.OFFICIALS),
        category=Category.SILENCE,
        kind="silence_broken",
        subject=f"Silence broken by {position.partner.name}: {procedure.subject}",
        link_path=_link(procedure),
        details=_details(procedure, f"{position.partner.name} broke silence on this text; the reason is on the page."),
    )


def decided(procedure: SilenceProcedure) -> None:
    """The outcome, once settled, to the coordinators and to every partner's officials."""
    adopted = procedure.outcome == SilenceOutcome.ADOPTED.value
    outbox.queue(
        outbox.active_users(outbox.COORDINATORS + outbox.OFFICIALS),
        category=Category.SILENCE,
        kind="silence_outcome",
        subject=f"Silence procedure {'adopted' if adopted else 'not adopted'}: {procedure.subject}",
        link_path=_link(procedure),
        details={
            "intro": (
                "The deadline has passed without objection: the text is adopted."
                if adopted
                else "Silence was broken: the text is not adopted."
            ),
            "title": procedure.subject,
            "link_label": "See the procedure",
        },
    )


def remind(now: datetime | None = None) -> int:
    """Queue each reminder once (48 h and 24 h before the deadline) to the officials of the partners
    that have not answered; a procedure opened later than a reminder's time skips it. The caller commits."""
    now = now or utcnow()
    made = 0
    open_procedures = sa.select(SilenceProcedure).where(
        SilenceProcedure.outcome == SilenceOutcome.OPEN.value,
        SilenceProcedure.deadline > now,
        SilenceProcedure.deadline <= now + REMINDERS[0],
    )
    for procedure in db.session.scalars(open_procedures.order_by(SilenceProcedure.id)):
        deadline = as_utc(procedure.deadline)
        due = [
            before
            for before in REMINDERS
            if deadline - before <= now and as_utc(procedure.created_at) < deadline - before
        ]
        if not due:
            continue
        before = min(due)  # the nearest: a 48 h reminder missed until the last day is not sent as well
        hours = int(before.total_seconds() // 3600)
        if not outbox.once(f"silence-{hours}h:{procedure.id}"):
            continue
        answered = set(
            db.session.scalars(
                sa.select(SilencePosition.partner_id).where(SilencePosition.procedure_id == procedure.id)
            )
        )
        silent_officials = [user for user in outbox.active_users(outbox.OFFICIALS) if user.partner_id not in answered]
        outbox.queue(
            silent_officials,
            category=Category.SILENCE,
            kind="silence_reminder",
            subject=f"Silence ends in {hours} hours: {procedure.subject}",
            link_path=_link(procedure),
            details=_details(
                procedure,
                f"Your partner has not answered this silence procedure, which ends in {hours} hours. "
                "Without an answer, your partner agrees.",
            ),
        )
        made += 1
    return made
