"""A comment on an initiative itself: to the people who run it (its sponsors' officials and its named
contacts), once each, never to its author, as they chose; a comment on a report stays with the report."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.notify import preferences
from secretariat.notify.models import Category, Delivery, Notification
from secretariat.programme import reports
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of
from tests.programme.helpers import make_initiative

QUESTION = "When will the second workshop take place?"


def subject(partner: str, code: str) -> str:
    return f"Comment from {partner} on your initiative: Initiative {code}"


def comment(initiative, author, text=QUESTION, report=None):
    made = reports.add_comment(initiative, text, actor=author, report=report)
    db.session.commit()
    return made


def test_a_comment_reaches_the_sponsors_officials_and_the_contacts_once_each(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    lead, lead_colleague = reader("official", "TH"), reader("official", "TH")
    co_sponsor = reader("official", "DE")
    contact_elsewhere = reader("official", "FR")  # a named contact of a partner that does not sponsor it
    asker = reader("official", "JP")
    inactive_contact = reader("official", "KR", active=False)
    bystanders = [
        inactive_contact,
        reader("official", "JP"),  # the asker's colleague
        reader("observer", "TH"),  # observers read, they do not answer for a partner
        reader("official", "TH", active=False),
        reader("official", "IT"),
    ]
    initiative = make_initiative(
        coordinator,
        "ASEM-SOC-600",
        lead="TH",
        co=["DE"],
        status="ongoing",
        contacts=[
            lead.id,
            contact_elsewhere.id,
            inactive_contact.id,
        ],  # a lead official named as contact too: still one mail
    )
    made = comment(initiative, asker)
    deliver()
    mails = about(smtp_server, subject("Japan", "ASEM-SOC-600"))
    expected = [lead, lead_colleague, co_sponsor, contact_elsewhere]
    assert sorted(m["To"] for m in mails) == sorted(u.email for u in expected)
    assert len(smtp_server.messages) == len(expected)  # nothing else, nobody twice
    assert not smtp_server.recipients() & {u.email for u in [asker, coordinator, *bystanders]}
    for mail in mails:
        text = text_of(mail)
        assert "Initiative ASEM-SOC-600" in text and QUESTION not in text
        assert QUESTION not in mail.get_body(("html",)).get_content()
        assert link_of(mail) == f"http://localhost/programme/initiatives/{initiative.id}#comment-{made.id}"
    assert opens(app, contact_elsewhere, link_of(mails[0])) == 200
    page = app.test_client()
    page.login(lead.email)
    assert f'id="comment-{made.id}"' in page.get(f"/programme/initiatives/{initiative.id}").get_data(as_text=True)


def test_a_comment_by_the_lead_s_own_official_does_not_mail_that_official(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    lead, lead_colleague, co_sponsor = reader("official", "TH"), reader("official", "TH"), reader("official", "DE")
    initiative = make_initiative(
        coordinator, "ASEM-SOC-601", lead="TH", co=["DE"], status="ongoing", contacts=[lead.id]
    )
    comment(initiative, lead, "We will share the agenda next week.")
    deliver()
    mails = about(smtp_server, subject("Thailand", "ASEM-SOC-601"))
    assert sorted(m["To"] for m in mails) == sorted([lead_colleague.email, co_sponsor.email])
    assert lead.email not in smtp_server.recipients()


def test_a_coordinator_s_comment_reaches_the_sponsors_and_not_the_coordinator(app, smtp_server):
    coordinator, lead = reader("coordinator", "EU"), reader("official", "TH")
    initiative = make_initiative(coordinator, "ASEM-SOC-602", lead="TH", status="ongoing", contacts=[coordinator.id])
    comment(initiative, coordinator)
    deliver()
    assert [m["To"] for m in about(smtp_server, subject("European Union", "ASEM-SOC-602"))] == [lead.email]


def test_who_switched_reports_off_gets_nothing_and_the_digest_waits(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    wants_it, switched_off = reader("official", "TH"), reader("official", "TH")
    chose_nothing = reader("official", "DE")
    preferences.save(switched_off, {Category.REPORTS: Delivery.OFF}, 7)
    preferences.save(chose_nothing, {}, 7)
    db.session.commit()
    initiative = make_initiative(coordinator, "ASEM-SOC-603", lead="TH", co=["DE"], status="ongoing")
    comment(initiative, reader("official", "JP"))
    rows = {row.user_id: row for row in db.session.scalars(sa.select(Notification))}
    assert set(rows) == {wants_it.id, chose_nothing.id}
    assert not rows[wants_it.id].for_digest and rows[chose_nothing.id].for_digest  # the default: the digest
    assert {row.kind for row in rows.values()} == {"initiative_commented"}
    deliver()
    assert switched_off.email not in smtp_server.recipients()
    assert {wants_it.email, chose_nothing.email} <= smtp_server.recipients()


def test_a_comment_on_a_report_stays_with_the_reporting_partner_in_one_mail_each(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    reporter, reporters_colleague = reader("official", "DE"), reader("official", "DE")
    lead, contact = reader("official", "TH"), reader("official", "FR")
    commenter = reader("official", "JP")
    initiative = make_initiative(
        coordinator,
        "ASEM-SOC-604",
        lead="TH",
        co=["DE"],
        status="ongoing",
        contacts=[reporters_colleague.id, contact.id],  # a recipient of both, were both mailed
    )
    report = reports.submit_report(
        initiative,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        text="Confidential account of the progress.",
        milestones_done=set(),
        actor=reporter,
    )
    db.session.commit()
    comment(initiative, commenter, "Could you share the figures?", report=report)
    rows = list(db.session.scalars(sa.select(Notification).where(Notification.kind != "report_submitted")))
    assert sorted((row.user_id, row.kind) for row in rows) == sorted(
        (user.id, "report_commented") for user in [reporter, reporters_colleague]
    )
    deliver()
    mails = about(smtp_server, "Comment from Japan on your report: Initiative ASEM-SOC-604")
    assert sorted(m["To"] for m in mails) == sorted([reporter.email, reporters_colleague.email])
    assert not about(smtp_server, subject("Japan", "ASEM-SOC-604"))
    assert not smtp_server.recipients() & {lead.email, contact.email, commenter.email}
    assert "Could you share" not in text_of(mails[0])
