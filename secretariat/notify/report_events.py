"""Progress reports and comments: a report submitted (to the coordinators, who review it), a report
reviewed or commented (to the officials of the partner that submitted it), and a comment on the
initiative itself (to the people who run it: its sponsors' officials and its named contacts)."""

from __future__ import annotations

import sqlalchemy as sa

from secretariat import events
from secretariat.auth.models import User
from secretariat.auth.permissions import Permission, role_has
from secretariat.extensions import db
from secretariat.notify import outbox
from secretariat.notify.models import Category
from secretariat.programme.models import (
    Comment,
    Initiative,
    ProgressReport,
    initiative_contacts,
    initiative_cosponsors,
)


def _link(report: ProgressReport) -> str:
    return outbox.path("programme.initiative", initiative_id=report.initiative_id, _anchor=f"report-{report.id}")


def _period(report: ProgressReport) -> str:
    return f"{report.period_start.isoformat()} to {report.period_end.isoformat()}"


def on_report_submitted(initiative: Initiative, *, report: ProgressReport, **_) -> None:
    """The coordinators learn of a new report to review."""
    outbox.queue(
        outbox.active_users(outbox.COORDINATORS),
        category=Category.REPORTS,
        kind="report_submitted",
        subject=f"Progress report from {report.partner.name}: {initiative.title}",
        link_path=_link(report),
        details={
            "intro": f"{report.partner.name} reported progress for {_period(report)}.",
            "title": initiative.title,
            "link_label": "Read and review the report",
        },
    )


def _to_sponsor(report: ProgressReport, *, kind: str, subject: str, intro: str, author_id: int | None) -> None:
    readers = [u for u in outbox.active_users(outbox.OFFICIALS, [report.partner_id]) if u.id != author_id]
    outbox.queue(
        readers,
        category=Category.REPORTS,
        kind=kind,
        subject=subject,
        link_path=_link(report),
        details={"intro": intro, "title": report.initiative.title, "link_label": "See the report"},
    )


def reviewed(report: ProgressReport) -> None:
    """The partner that submitted the report learns that the coordinators reviewed it."""
    _to_sponsor(
        report,
        kind="report_reviewed",
        subject=f"Progress report reviewed: {report.initiative.title}",
        intro=f"The coordinators reviewed your partner's report for {_period(report)}.",
        author_id=None,
    )


def commented(initiative: Initiative, comment: Comment, report: ProgressReport | None) -> None:
    """A comment reaches, once each and never its own author: for a report, the partner that submitted
    it; for the initiative itself, the people who run the initiative (``_runners``)."""
    if report is not None:
        _to_sponsor(
            report,
            kind="report_commented",
            subject=f"Comment from {comment.partner.name} on your report: {report.initiative.title}",
            intro=f"{comment.partner.name} commented on your partner's report for {_period(report)}.",
            author_id=comment.author_id,
        )
        return
    outbox.queue(
        _runners(initiative, author_id=comment.author_id),
        category=Category.REPORTS,
        kind="initiative_commented",
        subject=f"Comment from {comment.partner.name} on your initiative: {initiative.title}",
        link_path=outbox.path("programme.initiative", initiative_id=initiative.id, _anchor=f"comment-{comment.id}"),
        details={
            "intro": f"{comment.partner.name} commented on the initiative {initiative.code}. You receive this "
            "as an official of a partner that leads or co-sponsors it, or as one of its contacts.",
            "title": initiative.title,
            "link_label": "Read the comment",
        },
    )


def _runners(initiative: Initiative, *, author_id: int) -> list[User]:
    """The officials of the lead partner and of the co-sponsors, and the named contacts: each once, in a
    stable order, only active accounts that may read the work programme, never ``author_id``. (A contact
    may be of any partner or role: named by the coordinators, they answer for the initiative.)

    One statement over the link tables: loading the initiative's co-sponsors and contacts would add
    two to every comment (tests/test_query_counts.py)."""
    co_sponsors = sa.select(initiative_cosponsors.c.partner_id).where(
        initiative_cosponsors.c.initiative_id == initiative.id
    )
    contacts = sa.select(initiative_contacts.c.user_id).where(initiative_contacts.c.initiative_id == initiative.id)
    officials = sa.and_(
        User.role.in_(outbox.OFFICIALS),
        sa.or_(User.partner_id == initiative.lead_partner_id, User.partner_id.in_(co_sponsors)),
    )
    people = db.session.scalars(
        sa.select(User)
        .where(User.is_active_account.is_(True), User.id != author_id, sa.or_(officials, User.id.in_(contacts)))
        .order_by(User.id)
    )
    return [user for user in people if role_has(user.role, Permission.READ)]


def connect() -> None:
    events.report_submitted.connect(on_report_submitted)
