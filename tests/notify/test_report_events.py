"""Progress reports: submitted (to the coordinators), reviewed or commented (to the sponsoring partner)."""

from __future__ import annotations

from datetime import date

from secretariat.extensions import db
from secretariat.programme import reports
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of
from tests.programme.helpers import make_initiative


def submit(initiative, official):
    report = reports.submit_report(
        initiative,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        text="Confidential account of the progress.",
        milestones_done=set(),
        actor=official,
    )
    db.session.commit()
    return report


def test_a_report_reaches_the_coordinators(app, smtp_server):
    coordinators = [reader("coordinator", "EU"), reader("coordinator", "TH")]
    thailand = reader("official", "TH")
    others = [reader("official", "DE"), reader("observer", "TH"), reader("admin", "EU")]
    initiative = make_initiative(coordinators[0], "ASEM-ECO-500", lead="TH", co=["DE"], status="ongoing")
    report = submit(initiative, thailand)
    deliver()
    mails = about(smtp_server, "Progress report from Thailand: Initiative ASEM-ECO-500")
    assert {m["To"] for m in mails} == {u.email for u in coordinators}
    assert not {m["To"] for m in smtp_server.messages} & {u.email for u in [thailand, *others]}
    assert "Confidential account" not in text_of(mails[0])
    assert link_of(mails[0]) == f"http://localhost/programme/initiatives/{initiative.id}#report-{report.id}"
    assert opens(app, coordinators[1], link_of(mails[0])) == 200


def test_a_review_reaches_the_officials_of_the_reporting_partner(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    author, colleague = reader("official", "TH"), reader("official", "TH")
    co_sponsor, observer = reader("official", "DE"), reader("observer", "TH")
    initiative = make_initiative(coordinator, "ASEM-ECO-501", lead="TH", co=["DE"], status="ongoing")
    report = submit(initiative, author)
    reports.mark_reviewed(report, actor=coordinator)
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Progress report reviewed: Initiative ASEM-ECO-501")
    assert {m["To"] for m in mails} == {author.email, colleague.email}
    assert not {m["To"] for m in smtp_server.messages} & {co_sponsor.email, observer.email}
    assert opens(app, colleague, link_of(mails[0])) == 200


def test_a_comment_on_a_report_reaches_the_reporting_partner_not_its_author(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    author = reader("official", "TH")
    commenter, commenters_colleague = reader("official", "DE"), reader("official", "DE")
    initiative = make_initiative(coordinator, "ASEM-ECO-502", lead="TH", co=["DE"], status="ongoing")
    report = submit(initiative, author)
    reports.add_comment(initiative, "Could you share the figures?", actor=commenter, report=report)
    own = reports.add_comment(initiative, "Figures follow.", actor=author, report=report)
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Comment from Germany on your report: Initiative ASEM-ECO-502")
    assert [m["To"] for m in mails] == [author.email]
    assert "Could you share" not in text_of(mails[0])
    assert not about(smtp_server, "Comment from Thailand on your report: Initiative ASEM-ECO-502")  # own comment
    assert own.author_id == author.id
    assert commenters_colleague.email not in {m["To"] for m in smtp_server.messages}
    assert opens(app, author, link_of(mails[0])) == 200
