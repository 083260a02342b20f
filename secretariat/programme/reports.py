"""Progress reports (by sponsoring partners), comments (by any official) and coordinators' reviews."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from secretariat import audit, events
from secretariat.auth.permissions import Permission, acts_for_partner, is_coordinator, role_has
from secretariat.errors import Forbidden, NotFound
from secretariat.extensions import db
from secretariat.notify import report_events
from secretariat.programme.models import Comment, Initiative, Milestone, ProgressReport
from secretariat.programme.services import ProgrammeRefused, set_milestone_done
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow


class ReportForbidden(Forbidden):
    """The user's partner neither leads nor co-sponsors the initiative: 403."""

    def __init__(self, initiative: Initiative):
        super().__init__(initiative.code)
        self.initiative = initiative


def audit_refusal(refusal: ReportForbidden, *, actor) -> None:
    """Record a refused (possibly forged) report in the audit trail."""
    audit.record(actor, "report.refused", refusal.initiative, reason="partner does not sponsor the initiative")


def may_report(user, initiative: Initiative) -> bool:
    """Coordinators, and officials of a partner that leads or co-sponsors the initiative."""
    if not role_has(user.role, Permission.CONTRIBUTE):
        return False
    if is_coordinator(user):
        return True
    return any(acts_for_partner(user, partner_id) for partner_id in initiative.sponsor_ids())


def submit_report(
    initiative: Initiative,
    *,
    period_start: date,
    period_end: date,
    text: str,
    milestones_done: set[int],
    actor,
    attachments: list | None = None,
) -> ProgressReport:
    """File a report for the actor's partner. Raises ReportForbidden for a partner that does not sponsor it."""
    if not may_report(actor, initiative):
        raise ReportForbidden(initiative)
    if period_end < period_start:
        raise ProgrammeRefused("The period must end after it starts.")
    updates = []
    own = {m.id: m for m in db.session.scalars(sa.select(Milestone).where(Milestone.initiative_id == initiative.id))}
    for milestone_id, milestone in own.items():
        if set_milestone_done(milestone, milestone_id in milestones_done, actor=actor):
            updates.append({"milestone": milestone.title, "done": milestone.done})
    report = ProgressReport(
        initiative_id=initiative.id,
        partner_id=actor.partner_id,
        author_id=actor.id,
        period_start=period_start,
        period_end=period_end,
        text_source=text,
        text_html=str(rich_text(text)),
        milestone_updates=json.dumps(updates, ensure_ascii=False),
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        actor,
        "report.submit",
        report,
        initiative_id=initiative.id,
        partner=actor.partner.code,
        period=[period_start.isoformat(), period_end.isoformat()],
        milestone_updates=updates,
    )
    # The archive files the report, with its attachments (already checked and stored by the caller).
    events.report_submitted.send(initiative, report=report, actor=actor, attachments=attachments or [])
    return report


def get_report(initiative: Initiative, report_id: int) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id)
    if report is None or report.initiative_id != initiative.id:
        raise NotFound(f"report {report_id} of initiative {initiative.id}")
    return report


def mark_reviewed(report: ProgressReport, *, actor) -> None:
    if report.reviewed_at is not None:
        raise ProgrammeRefused("This report was already reviewed.")
    report.reviewed_at = utcnow()
    report.reviewed_by_id = actor.id
    db.session.flush()
    audit.record(actor, "report.review", report, initiative_id=report.initiative_id)
    report_events.reviewed(report)


def add_comment(initiative: Initiative, text: str, *, actor, report: ProgressReport | None = None) -> Comment:
    if not text.strip():
        raise ProgrammeRefused("Write a comment first.")
    comment = Comment(
        initiative_id=initiative.id,
        report_id=report.id if report else None,
        partner_id=actor.partner_id,
        author_id=actor.id,
        text_source=text,
        text_html=str(rich_text(text)),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "comment.create", comment, initiative_id=initiative.id, report_id=report.id if report else None)
    report_events.commented(initiative, comment, report)
    return comment
