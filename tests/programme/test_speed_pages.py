"""The initiative page and the home page's programme part, now read as rows: everything they showed is still there.

The bench database has no silence procedures, contacts on few initiatives and no report due for
the bench accounts; these build each case and check the printed lines, links included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from secretariat.archive.models import Record
from secretariat.extensions import db
from secretariat.programme import initiative_page, reports, services, silence
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
    assert f'<option value="{meeting.id}">2027-03-10 SOM-X SOM &lt;Bangkok&gt; &amp; co</option>' in html
    assert "Change the status" in html


def test_the_home_page_names_what_is_due(client, login_as, full):
    item, _, _, report, procedure = full
    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    assert f'<a href="/programme/initiatives/{item.id}/reports/new">Progress report due: ASEM-SOC-777' in html
    assert 'Overdue &lt;one&gt; <span class="muted">ASEM-SOC-777 · due 2020-01-01</span>' in html
    assert f'<a href="/programme/silence/{procedure.id}">Silence procedure: Complete &lt;it&gt;</a>' in html
    assert "1 initiative(s) led or co-sponsored." in html


def test_the_home_page_names_the_reports_to_review(client, login_as, full):
    item, _, _, report, _ = full
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get("/"))
    assert (
        f'<a href="/programme/initiatives/{item.id}#report-{report.id}">Report to review: ASEM-SOC-777 by Thailand</a>'
        in html
    )
    assert f'<a href="/programme/initiatives/{item.id}#report-{report.id}">ASEM-SOC-777: report by Thailand</a>' in html


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        (initiative_page._CO_SPONSORS, initiative_page.CoSponsor),
        (initiative_page._CONTACTS, initiative_page.Contact),
        (initiative_page._MILESTONES, initiative_page.MilestoneRow),
        (initiative_page._HISTORY, initiative_page.Step),
        (initiative_page._REPORTS, initiative_page.Report),
        (initiative_page._COMMENTS, initiative_page.CommentRow),
        (initiative_page._PROCEDURES, initiative_page.Procedure),
    ],
)
def test_the_row_tuples_are_the_statements_columns(statement, kind):
    """The page's rows are made named tuples by position: their fields must be the columns, in order."""
    assert tuple(statement.selected_columns.keys()) == kind._fields


def test_a_reviewed_and_filed_report_prints_its_dates_and_record(client, login_as, full):
    """The report lines are made in Python (initiative_page.report_lines): what the template printed before."""
    item, _, _, report, _ = full
    record = db.session.scalar(sa.select(Record).where(Record.source_ref == f"progress-report:{report.id}"))
    assert record is not None and record.current_version
    report.reviewed_at = datetime(2020, 7, 2, 23, 59, tzinfo=UTC)
    db.session.commit()
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert (
        f'<article class="report" id="report-{report.id}" aria-labelledby="report-{report.id}-title">\n'
        f'    <h3 id="report-{report.id}-title">2020-01-01 to 2020-06-30 — Thailand</h3>\n'
        '    <p class="muted">Submitted 1 Jul 2020 by Reporting Official. Reviewed 2 Jul 2020.</p>'
    ) in html
    assert (
        f'<p><a href="/archive/records/{record.id}">Filed in the archive</a>'
        ' <span class="muted">(report and attachments)</span></p>'
    ) in html
    assert "Mark as reviewed" not in html  # reviewed: no form, even for a coordinator
    record.current_version = 0  # no version: the link without the note
    db.session.commit()
    html = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert f'<p><a href="/archive/records/{record.id}">Filed in the archive</a></p>' in html


def test_the_facts_row_is_the_initiative_then_the_facts():
    """facts() cuts its row after the initiative's columns: the rest are Facts' fields, in order."""
    width = len(initiative_page.InitiativeRow._fields)
    columns = tuple(initiative_page._FACTS.selected_columns.keys())
    assert columns[:width] == initiative_page.InitiativeRow._fields
    assert columns[width:] == initiative_page.Facts._fields[1:6]
