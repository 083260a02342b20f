"""Agenda item proposals: submitted (to the coordinators), accepted or declined (to the proposing partner)."""

from __future__ import annotations

from secretariat.agenda import proposals, services
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting
from tests.notify.conftest import about, deliver, link_of, opens, reader, text_of


def drafting_meeting(coordinator):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    services.change_status(meeting, "drafting", actor=coordinator)
    db.session.commit()
    return meeting


def propose(meeting, official, title="Water security in the Mekong"):
    proposal = proposals.propose(
        meeting,
        {
            "title": title,
            "item_type": "discussion",
            "description_source": "Our confidential reasoning.",
            "duration_minutes": 20,
        },
        actor=official,
    )
    db.session.commit()
    return proposal


def test_a_proposal_reaches_the_coordinators_only(app, smtp_server):
    coordinators = [reader("coordinator", "EU"), reader("coordinator", "TH")]
    official = reader("official", "VN")
    others = [reader("official", "FR"), reader("observer", "VN"), reader("admin", "EU")]
    meeting = drafting_meeting(coordinators[0])
    propose(meeting, official)
    deliver()
    mails = about(smtp_server, "Item proposed by Viet Nam: Water security in the Mekong")
    assert {m["To"] for m in mails} == {u.email for u in coordinators}
    assert not {m["To"] for m in smtp_server.messages} & {u.email for u in [official, *others]}
    assert "Our confidential reasoning" not in text_of(mails[0])
    assert link_of(mails[0]) == f"http://localhost/meetings/{meeting.id}#proposals"
    assert opens(app, coordinators[1], link_of(mails[0])) == 200


def test_acceptance_reaches_the_officials_of_the_proposing_partner(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    proposer, colleague = reader("official", "VN"), reader("official", "VN")
    others = [reader("official", "FR"), reader("observer", "VN")]
    meeting = drafting_meeting(coordinator)
    proposal = propose(meeting, proposer)
    proposals.accept(meeting, proposal, actor=coordinator)
    db.session.commit()
    deliver()
    mails = about(smtp_server, "Proposal accepted: Water security in the Mekong")
    assert {m["To"] for m in mails} == {proposer.email, colleague.email}
    assert not [m for m in smtp_server.messages if m["To"] in {u.email for u in others}]
    assert opens(app, colleague, link_of(mails[0])) == 200


def test_a_refusal_carries_its_reason_to_the_proposing_partner(app, smtp_server):
    coordinator = reader("coordinator", "EU")
    proposer = reader("official", "VN")
    other = reader("official", "FR")
    meeting = drafting_meeting(coordinator)
    proposal = propose(meeting, proposer)
    proposals.decline(meeting, proposal, "Already covered under item 3.", actor=coordinator)
    db.session.commit()
    deliver()
    (mail,) = about(smtp_server, "Proposal declined: Water security in the Mekong")
    assert mail["To"] == proposer.email
    assert "Reason: Already covered under item 3." in text_of(mail)
    assert other.email not in {m["To"] for m in smtp_server.messages}
    assert opens(app, proposer, link_of(mail)) == 200
