"""The initiative page: its facts, milestones, history, reports, comments and silence procedures, and
the forms each reader is offered; the home page's programme part for the same initiative."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from secretariat.archive.models import Record
from secretariat.extensions import db
from secretariat.programme import reports, services, silence
from secretariat.programme.models import STATUS_TRANSITIONS, InitiativeStatus
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def full(coordinator):
    """An ongoing initiative with everything its page can show."""
    meeting = make_meeting(coordinator, title="SOM <Bangkok> & co", code="SOM-X")
    programme = services.create_programme("Work programme 2026–2028", 2026, 2028, actor=coordinator)
    contact = make_user("official", partner_code="DE", name="Contact O'Person")
    db.session.commit()
    item = make_initiative(
        coordinator,
        "ASEM-SOC-777",
        lead="TH",
        co=["DE", "AT"],
        status="endorsed",
        mandate_meeting_id=meeting.id,
        mandate_reference="para 19",
        programme_id=programme.id,
        contacts=[str(contact.id)],
    )
    services.change_status(
        item, "ongoing", effective=date(2026, 2, 1), meeting_id=meeting.id, note="go", actor=coordinator
    )
    services.add_milestone(item, title="Overdue <one>", kind="deliverable", due=date(2020, 1, 1), actor=coordinator)
    services.add_milestone(item, title="Undated", kind="milestone", due=None, actor=coordinator)
    author = make_user("official", partner_code="TH", name="Reporting Official")
    report = reports.submit_report(
        item,
        period_start=date(2020, 1, 1),
        period_end=date(2020, 6, 30),
        text="Old report.",
        milestones_done=set(),
        actor=author,
    )
    report.submitted_at = datetime(2020, 7, 1, 12, 0, tzinfo=UTC)  # long ago: a new report is due
    reports.add_comment(item, "A *comment*", actor=author, report=report)
    procedure = silence.start(
        subject="Complete <it>",
        text="T",
        deadline_local=datetime.now().replace(second=0, microsecond=0) + timedelta(days=30),
        zone="UTC",
        initiative=item,
        proposed_status="completed",
        actor=coordinator,
    )
    db.session.commit()
    return item, meeting, programme, report, procedure


def test_the_initiative_page_shows_everything(client, login_as, full):
    item, meeting, programme, report, procedure = full
    login_as("official", partner_code="AT")  # a co-sponsor: may report
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert '<dd><a href="/programme/partner/TH">Thailand</a></dd>' in html
    assert '<a href="/programme/partner/AT">Austria</a>, <a href="/programme/partner/DE">Germany</a>' in html
    assert "<dt>Work programme</dt><dd>Work programme 2026–2028</dd>" in html
    assert f'<a href="/meetings/{meeting.id}">SOM &lt;Bangkok&gt; &amp; co</a>, para 19' in html
    assert "<dt>Contacts</dt><dd>Contact O&#39;Person (DE)</dd>" in html
    assert "<td>Overdue &lt;one&gt;</td><td>Deliverable</td><td>2020-01-01</td>" in html
    assert '<strong class="overdue">Overdue</strong>' in html
    assert "<td>Undated</td><td>Milestone</td><td></td>" in html
    assert f'2026-02-01: endorsed → <strong>ongoing</strong> at <a href="/meetings/{meeting.id}">SOM' in html
    assert f'Silence procedures: <a href="/programme/silence/{procedure.id}">Complete &lt;it&gt;</a> (Open)</p>' in html
    assert "2020-01-01 to 2020-06-30 — Thailand</h3>" in html
    assert "Submitted 1 Jul 2020 by Reporting Official. Not reviewed yet." in html
    assert "Reporting Official (Thailand)" in html and "· on a report" in html
    assert "Submit a progress report" in html
    assert "Mark as reviewed" not in html and "Change the status" not in html


def test_an_official_of_another_partner_may_not_report(client, login_as, full):
    item = full[0]
    login_as("official", partner_code="VN")
    assert "Submit a progress report" not in page_text(client.get(f"/programme/initiatives/{item.id}"))


def test_the_coordinator_sees_the_forms_with_their_links(client, login_as, full):
    item, meeting, _, report, _ = full
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert f'action="/programme/initiatives/{item.id}/reports/{report.id}/review"' in html
    assert html.count('action="/programme/milestones/') == 2
    assert f'href="/programme/initiatives/{item.id}/status">Change the status</a>' in html
    status_page = page_text(client.get(f"/programme/initiatives/{item.id}/status"))
    assert f'<option value="{meeting.id}">2027-03-10 SOM-X SOM &lt;Bangkok&gt; &amp; co</option>' in status_page


def test_a_reviewed_and_filed_report_prints_its_dates_and_record(client, login_as, full):
    item, _, _, report, _ = full
    record = db.session.scalar(sa.select(Record).where(Record.source_ref == f"progress-report:{report.id}"))
    assert record is not None and record.current_version
    report.reviewed_at = datetime(2020, 7, 2, 23, 59, tzinfo=UTC)
    db.session.commit()
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert "Submitted 1 Jul 2020 by Reporting Official. Reviewed 2 Jul 2020." in html
    assert (
        f'<p><a href="/archive/records/{record.id}">Filed in the archive</a>'
        ' <span class="muted">(report and attachments)</span></p>'
    ) in html
    assert "Mark as reviewed" not in html  # reviewed: no form, even for a coordinator
    record.current_version = 0  # no version: the link without the note
    db.session.commit()
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert f'<p><a href="/archive/records/{record.id}">Filed in the archive</a></p>' in html


def test_the_home_page_names_what_is_due(client, login_as, full):
    item, _, _, report, procedure = full
    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    assert f'href="/programme/initiatives/{item.id}/reports/new"' in html and "ASEM-SOC-777" in html
    assert "Overdue &lt;one&gt;" in html
    assert f'href="/programme/silence/{procedure.id}"' in html and "Complete &lt;it&gt;" in html
    assert "1 initiative(s) led or co-sponsored." in html


def test_the_home_page_names_the_reports_to_review(client, login_as, full):
    item, _, _, report, _ = full
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get("/"))
    assert f'href="/programme/initiatives/{item.id}#report-{report.id}"' in html


@pytest.mark.parametrize("status", ["completed", "withdrawn", "discontinued"])
def test_a_final_status_has_no_status_form_but_the_milestone_form(client, login_as, status):
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, status=status)
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert f"<p>{InitiativeStatus(status).label} is final.</p>" in html
    assert 'id="meeting_id"' not in html and "Change the status" not in html
    assert 'id="due_date"' in html and "Milestone or deliverable" in html


def test_others_see_neither_form(client, login_as):
    item = make_initiative(make_user("coordinator", partner_code="EU"))
    login_as("official", partner_code="DE")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert 'id="manage"' not in html and 'id="meeting_id"' not in html and 'id="due_date"' not in html
    assert "<textarea" in html and "Add comment" in html  # an official may comment


def test_an_observer_has_no_comment_form(client, login_as):
    item = make_initiative(make_user("coordinator", partner_code="EU"))
    login_as("observer", partner_code="DE")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert "<textarea" not in html and "Add comment" not in html


def test_status_choices_come_in_the_life_cycles_order(client, login_as):
    """The first choice is the one a form pre-selects: it must not depend on the server process."""
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, status="ongoing")
    html = page_text(client.get(f"/programme/initiatives/{item.id}/status"))
    order = [s.label for s in InitiativeStatus if s in STATUS_TRANSITIONS[InitiativeStatus.ONGOING]]
    positions = [html.index(f">{label}</option>") for label in order]
    assert len(order) > 1 and positions == sorted(positions)


def test_the_status_forms_meetings_are_recent_and_those_the_reader_may_see(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    soon = utcnow().date() + timedelta(days=20)
    make_meeting(coordinator, title="<b>Quoted</b> & co", code="SOM-1", start_date=soon, end_date=soon)
    make_meeting(coordinator, title="Without code", code="", start_date=soon, end_date=soon)
    make_meeting(
        coordinator, title="Coordinators only", kind="coordinators", code="C-1", start_date=soon, end_date=soon
    )
    make_meeting(coordinator, title="Too old", code="OLD", start_date=date(2001, 1, 1), end_date=date(2001, 1, 1))
    db.session.commit()
    item = make_initiative(coordinator)
    html = page_text(client.get(f"/programme/initiatives/{item.id}/status"))
    assert f"{soon.isoformat()} SOM-1 &lt;b&gt;Quoted&lt;/b&gt; &amp; co</option>" in html
    assert f">{soon.isoformat()} Without code</option>" in html
    assert "Coordinators only" in html and "Too old" not in html


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


def test_reports_due_are_the_active_initiatives_without_a_recent_report(client, login_as, coordinator):
    author = make_user("official", partner_code="TH", name="Author")
    now = datetime.now(UTC)
    recent = make_initiative(coordinator, "ASEM-SOC-001", lead="TH", status="ongoing")
    _report(recent, author, now - timedelta(days=10))
    old = make_initiative(coordinator, "ASEM-SOC-002", lead="DE", co=["TH"], status="endorsed")
    _report(old, author, now - timedelta(days=365))
    never = make_initiative(coordinator, "ASEM-SOC-003", lead="TH", status="ongoing")
    make_initiative(coordinator, "ASEM-SOC-004", lead="TH", status="proposed")  # not active: nothing due
    finished = make_initiative(coordinator, "ASEM-SOC-005", lead="TH", status="ongoing")
    services.change_status(
        finished, "completed", effective=date(2026, 1, 1), meeting_id=None, note="", actor=coordinator
    )
    other = make_initiative(coordinator, "ASEM-SOC-006", lead="DE", status="ongoing")  # not the partner's
    db.session.commit()
    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    for item, due in ((recent, False), (old, True), (never, True), (finished, False), (other, False)):
        assert (f'href="/programme/initiatives/{item.id}/reports/new"' in html) is due, item.code
    assert "5 initiative(s) led or co-sponsored." in html


def test_a_partner_without_initiatives_has_nothing_due(client, login_as, coordinator):
    item = make_initiative(coordinator, "ASEM-SOC-010", lead="DE", status="ongoing")
    services.add_milestone(item, title="Late", kind="milestone", due=date(2020, 1, 1), actor=coordinator)
    db.session.commit()
    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    assert "0 initiative(s) led or co-sponsored." in html and "Late" not in html
    client.logout()
    login_as("official", partner_code="DE")
    assert "Late" in page_text(client.get("/"))


def test_no_programme_page_writes(client, login_as, full):
    """A GET reads: no INSERT, UPDATE or DELETE of the programme's tables or the audit trail."""
    item, meeting, _, report, procedure = full
    procedure.deadline = utcnow() - timedelta(minutes=1)  # past its deadline, not yet settled
    db.session.commit()
    tables = ("initiatives", "initiative_status_changes", "milestones", "progress_reports", "programme_comments")
    tables += ("silence_procedures", "silence_positions", "audit_entries")
    written = []

    def on_execute(_conn, _cursor, statement, *_args):
        words = statement.split()
        if words and words[0].upper() in {"INSERT", "UPDATE", "DELETE"} and any(t in statement for t in tables):
            written.append(statement)

    login_as("official", partner_code="VN")  # sponsors nothing: the report form is refused
    pages = [
        "/programme/",
        "/programme/export.csv",
        "/programme/partner",
        f"/programme/initiatives/{item.id}",
        f"/programme/initiatives/{item.id}/reports/new",
        "/programme/som-summary",
        "/programme/silence",
        f"/programme/silence/{procedure.id}",
    ]
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        for url in pages:
            client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert written == []
