"""Progress reports: a report submitted (to the coordinators, who review it), and a report reviewed
or commented (to the officials of the partner that submitted it)."""

from __future__ import annotations

from secretariat import events
from secretariat.notify import outbox
from secretariat.notify.models import Category
from secretariat.programme.models import Comment, Initiative, ProgressReport


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


def commented(comment: Comment, report: ProgressReport | None) -> None:
    """A comment on a report reaches the partner that submitted it (not its own author)."""
    if report is None:
        return
    _to_sponsor(
        report,
        kind="report_commented",
        subject=f"Comment from {comment.partner.name} on your report: {report.initiative.title}",
        intro=f"{comment.partner.name} commented on your partner's report for {_period(report)}.",
        author_id=comment.author_id,
    )


def connect() -> None:
    events.report_submitted.connect(on_report_submitted)
