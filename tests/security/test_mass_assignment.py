"""Mass assignment: fields a form does not offer are ignored, whatever a crafted request adds.

The forms an official uses every day are the ones that matter most: a proposal, a progress report,
a comment. Each is posted with extra fields naming another partner, another author, a decided status,
a review, an id, a version; what is stored comes from the form's own fields and the signed-in user.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from secretariat.agenda.models import ItemProposal
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.programme.models import Comment, ProgressReport
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user
from tests.programme.helpers import make_initiative


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def crafted(coordinator):
    """Extra fields a forger would add: another partner, another person, a decided state, an id."""
    other_partner = db.session.scalar(sa.select(Partner).where(Partner.code == "DE"))
    return {
        "id": "1",
        "partner": "DE",
        "partner_id": str(other_partner.id),
        "author_id": str(coordinator.id),
        "proposer_id": str(coordinator.id),
        "status": "accepted",
        "decided_by_id": str(coordinator.id),
        "reviewed_by_id": str(coordinator.id),
        "reviewed_at": "2026-01-01T00:00:00",
        "role": "admin",
        "is_active": "",
        "version": "99",
    }


def test_a_proposal_ignores_fields_the_form_does_not_offer(client, coordinator, crafted):
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting")
    official = make_user("official", partner_code="TH")
    client.login(official.email)
    response = client.submit(
        f"/meetings/{meeting.id}/propose", {**crafted, "title": "Mekong water", "item_type": "discussion"}
    )
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(ItemProposal))
    assert (proposal.partner.code, proposal.proposer_id, proposal.status) == ("TH", official.id, "pending")
    assert proposal.decided_by_id is None and proposal.decided_at is None
    assert db.session.get(User, official.id).role == "official"


def test_a_progress_report_ignores_fields_the_form_does_not_offer(client, coordinator, crafted):
    initiative = make_initiative(coordinator, "ASEM-ECO-777", lead="TH", co=["DE"], status="ongoing")
    db.session.commit()
    official = make_user("official", partner_code="TH")
    client.login(official.email)
    response = client.submit(
        f"/programme/initiatives/{initiative.id}/reports/new",
        {**crafted, "period_start": "2026-01-01", "period_end": "2026-06-30", "text": "Two workshops held."},
    )
    assert response.status_code == 302
    report = db.session.scalar(sa.select(ProgressReport))
    assert (report.partner.code, report.author_id) == ("TH", official.id)
    assert report.reviewed_at is None and report.reviewed_by_id is None


def test_a_comment_ignores_fields_the_form_does_not_offer(client, coordinator, crafted):
    initiative = make_initiative(coordinator, "ASEM-ECO-778", lead="TH", status="ongoing")
    db.session.commit()
    official = make_user("official", partner_code="JP")
    client.login(official.email)
    response = client.submit(
        f"/programme/initiatives/{initiative.id}/comments",
        {**crafted, "text": "We support this."},
        page=f"/programme/initiatives/{initiative.id}",
    )
    assert response.status_code == 302
    comment = db.session.scalar(sa.select(Comment))
    assert comment.author_id == official.id
    assert db.session.get(User, official.id).role == "official"
