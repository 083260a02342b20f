"""Silence procedure: a text adopted at its deadline unless a partner breaks silence before it.

Pages show a procedure whose deadline has passed as decided, by the clock
(SilenceProcedure.outcome_at); `flask --app wsgi programme settle-silence` (cron, every minute)
records the outcome and applies an adopted status change. No page writes it. Positions and
settlement serialize on the procedure's row: an objection either lands before the settlement
sees the positions, or is refused.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa

from secretariat import audit
from secretariat.auth.models import Partner
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.notify import silence_events
from secretariat.programme import services
from secretariat.programme.models import (
    STATUS_TRANSITIONS,
    Initiative,
    InitiativeStatus,
    PositionKind,
    SilenceOutcome,
    SilencePosition,
    SilenceProcedure,
)
from secretariat.sanitize import rich_text
from secretariat.timeutil import UTC, utcnow

#: how the audit trail names the deadline check, which acts on nobody's click
SYSTEM_ACTOR = "system:silence-procedure"


class SilenceRefused(Exception):
    """The procedure cannot be started or answered now; the message says why, ``field`` what it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def start(
    *,
    subject: str,
    text: str,
    deadline_local: datetime,
    zone: str,
    initiative: Initiative | None,
    proposed_status: str | None,
    actor,
    now: datetime | None = None,
) -> SilenceProcedure:
    if zone not in available_timezones():
        raise SilenceRefused("Unknown time zone.", field="zone")
    deadline = deadline_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if deadline <= (now or utcnow()):
        raise SilenceRefused("The deadline must be in the future.", field="deadline")
    if proposed_status:
        if initiative is None:
            raise SilenceRefused("A status change needs an initiative.", field="initiative_id")
        if InitiativeStatus(proposed_status) not in STATUS_TRANSITIONS[InitiativeStatus(initiative.status)]:
            raise SilenceRefused(
                f"An initiative that is {initiative.status} cannot become {proposed_status}.", field="proposed_status"
            )
    procedure = SilenceProcedure(
        subject=subject.strip(),
        text_source=text,
        text_html=str(rich_text(text)),
        initiative_id=initiative.id if initiative else None,
        proposed_status=proposed_status or None,
        deadline=deadline,
        deadline_zone=zone,
        created_by_id=actor.id,
    )
    db.session.add(procedure)
    db.session.flush()
    audit.record(
        actor,
        "silence.start",
        procedure,
        subject=procedure.subject,
        deadline=deadline.isoformat(),
        zone=zone,
        initiative_id=procedure.initiative_id,
        proposed_status=procedure.proposed_status,
    )
    silence_events.opened(procedure)
    return procedure


def get_procedure(procedure_id: int) -> SilenceProcedure:
    procedure = db.session.get(SilenceProcedure, procedure_id)
    if procedure is None:
        raise NotFound(f"silence procedure {procedure_id}")
    return procedure


def positions(procedure: SilenceProcedure) -> list[SilencePosition]:
    return list(
        db.session.scalars(
            sa.select(SilencePosition)
            .where(SilencePosition.procedure_id == procedure.id)
            .order_by(SilencePosition.created_at)
        )
    )


def _lock_open(procedure: SilenceProcedure) -> bool:
    """Take the procedure's row lock; False if it is no longer open."""
    locked = db.session.execute(
        sa.update(SilenceProcedure)
        .where(SilenceProcedure.id == procedure.id, SilenceProcedure.outcome == SilenceOutcome.OPEN.value)
        .values(outcome=SilenceOutcome.OPEN.value)
    ).rowcount
    db.session.expire(procedure)
    return locked == 1


def take_position(
    procedure: SilenceProcedure, kind: str, reason: str, *, actor, now: datetime | None = None
) -> SilencePosition:
    """Record the actor's partner's position once, before the deadline; it can never change afterwards."""
    now = now or utcnow()
    position_kind = PositionKind(kind)
    if position_kind is PositionKind.BROKE_SILENCE and not reason.strip():
        raise SilenceRefused("Breaking silence needs a reason for the other partners.")
    if not _lock_open(procedure) or now >= procedure.deadline:
        raise SilenceRefused("The deadline has passed: silence can no longer be broken.")
    existing = db.session.scalar(
        sa.select(SilencePosition).where(
            SilencePosition.procedure_id == procedure.id, SilencePosition.partner_id == actor.partner_id
        )
    )
    if existing is not None:
        raise SilenceRefused("Your partner's position is already recorded and cannot be changed.")
    position = SilencePosition(
        procedure_id=procedure.id,
        partner_id=actor.partner_id,
        position=position_kind.value,
        reason=reason.strip(),
        user_id=actor.id,
        created_at=now,
    )
    db.session.add(position)
    db.session.flush()
    audit.record(actor, f"silence.{position_kind.value}", procedure, partner=actor.partner.code, reason=position.reason)
    silence_events.position_taken(procedure, position)
    return position


_DUE = sa.select(SilenceProcedure).where(
    SilenceProcedure.outcome == SilenceOutcome.OPEN.value, SilenceProcedure.deadline <= sa.bindparam("now")
)


def settle_due(now: datetime | None = None) -> list[SilenceProcedure]:
    """Decide every open procedure whose deadline has come; returns those decided. The caller commits."""
    now = now or utcnow()
    due = db.session.scalars(_DUE, {"now": now}).all()
    decided = []
    for procedure in due:
        if not _lock_open(procedure):
            continue  # another process settled it first
        # The lock expired the procedure: its objections are read afresh, under the lock.
        outcome = procedure.outcome_at(now)
        objections = procedure.objections
        procedure.outcome = outcome.value
        procedure.decided_at = now
        db.session.flush()
        if outcome is SilenceOutcome.ADOPTED and procedure.initiative is not None and procedure.proposed_status:
            services.change_status(
                procedure.initiative,
                procedure.proposed_status,
                effective=procedure.deadline.astimezone(ZoneInfo(procedure.deadline_zone)).date(),
                meeting_id=None,
                note=f"Adopted by silence procedure #{procedure.id}",
                actor=SYSTEM_ACTOR,
            )
        audit.record(SYSTEM_ACTOR, "silence.settle", procedure, outcome=outcome.value, objections=objections)
        silence_events.decided(procedure)
        decided.append(procedure)
    return decided


def awaiting_partner(partner_id: int, now: datetime | None = None) -> list[SilenceProcedure]:
    """Procedures still open to positions on which this partner has taken none yet."""
    answered = sa.select(SilencePosition.procedure_id).where(SilencePosition.partner_id == partner_id)
    return list(
        db.session.scalars(
            sa.select(SilenceProcedure)
            .where(
                SilenceProcedure.outcome == SilenceOutcome.OPEN.value,
                SilenceProcedure.deadline > (now or utcnow()),
                SilenceProcedure.id.not_in(answered),
            )
            .order_by(SilenceProcedure.deadline)
        )
    )


def partner_table(procedure: SilenceProcedure) -> list[tuple[Partner, SilencePosition | None]]:
    """Every partner with its position (None: silent)."""
    by_partner = {p.partner_id: p for p in positions(procedure)}
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.name))
    return [(partner, by_partner.get(partner.id)) for partner in partners]
