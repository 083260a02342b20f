"""The home page's programme part: "report due" now read with the partner's initiatives, in one query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import current_app

from secretariat.core import dashboard
from secretariat.extensions import db
from secretariat.programme import reports, services
from secretariat.programme.models import Initiative
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative


def _report(item, author, submitted_at: datetime) -> None:
    report = reports.submit_report(
        item,
        period_start=date(2020, 1, 1),
        period_end=date(2020, 6, 30),
        text="Report.",
        milestones_done=set(),
        actor=author,
    )
    report.submitted_at = submitted_at
    db.session.commit()


def test_reports_due_are_the_active_initiatives_without_a_recent_report(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    author = make_user("official", partner_code="TH", name="Author")
    now = datetime.now(UTC)
    recent = make_initiative(coordinator, "ASEM-SOC-001", lead="TH", status="ongoing")
    _report(recent, author, now - timedelta(days=10))
    old = make_initiative(coordinator, "ASEM-SOC-002", lead="DE", co=["TH"], status="endorsed")
    _report(old, author, now - dashboard.REPORT_INTERVAL - timedelta(days=1))
    never = make_initiative(coordinator, "ASEM-SOC-003", lead="TH", status="ongoing")
    make_initiative(coordinator, "ASEM-SOC-004", lead="TH", status="proposed")  # not active: nothing due
    finished = make_initiative(coordinator, "ASEM-SOC-005", lead="TH", status="ongoing")
    services.change_status(
        finished, "completed", effective=date(2026, 1, 1), meeting_id=None, note="", actor=coordinator
    )
    make_initiative(coordinator, "ASEM-SOC-006", lead="DE", status="ongoing")  # not the partner's
    db.session.commit()

    user = login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    due = {f"/programme/initiatives/{i.id}/reports/new" for i in (old, never)}
    shown = {
        f"/programme/initiatives/{i.id}/reports/new"
        for i in db.session.scalars(db.select(Initiative))
        if f'href="/programme/initiatives/{i.id}/reports/new"' in html
    }
    assert shown == due
    assert "5 initiative(s) led or co-sponsored." in html
    with current_app.test_request_context():  # the lines carry links
        lines, _ids = dashboard.initiatives(user.partner_id, now)
    assert [i.code for i in lines if i.report_due] == ["ASEM-SOC-002", "ASEM-SOC-003"]
    assert [i.code for i in lines] == [f"ASEM-SOC-00{n}" for n in range(1, 6)]


def test_a_partner_without_initiatives_has_nothing_due_nor_overdue(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    item = make_initiative(coordinator, "ASEM-SOC-010", lead="DE", status="ongoing")
    services.add_milestone(item, title="Late", kind="milestone", due=date(2020, 1, 1), actor=coordinator)
    db.session.commit()
    user = login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    assert "0 initiative(s) led or co-sponsored." in html
    with current_app.test_request_context():
        assert dashboard.initiatives(user.partner_id, datetime.now(UTC)) == ([], [])
    assert dashboard.overdue_milestones(date.today(), []) == []
    # the partner that leads it sees the overdue milestone
    lead = make_user("official", partner_code="DE")
    with current_app.test_request_context():
        _lines, ids = dashboard.initiatives(lead.partner_id, datetime.now(UTC))
    assert [m.title for m in dashboard.overdue_milestones(date.today(), ids)] == ["Late"]
