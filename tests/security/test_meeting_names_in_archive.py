"""A record partners may open does not name the coordinators' meeting it belongs to: not on its page,
not in its search hit, not in the meeting-kind counts or filter (issue 25, sibling of item 3)."""

from __future__ import annotations

import pytest

from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

PARTNER_ROLES = ["official", "observer"]


@pytest.fixture
def shared(app):
    """A restricted record a coordinator filed by hand under a coordinators' meeting."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, kind="coordinators", title="Retreat capybaraname", code="CM-CAPY")
    record = file_record(coordinator, "Shared outcome", meeting_id=meeting.id, description_source="shared outcome")
    return record, meeting


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partners_see_the_record_but_not_its_coordinators_meeting(client, login_as, shared, role):
    record, meeting = shared
    login_as(role)
    page = client.get(f"/archive/records/{record.id}")
    assert page.status_code == 200
    body = page_text(page)
    assert "capybaraname" not in body and f'/meetings/{meeting.id}"' not in body
    results = page_text(client.get("/archive/", query_string={"q": "outcome"}))
    assert "Shared outcome" in results
    assert "capybaraname" not in results
    assert "Coordinators&#39; Meeting" not in results
    for query in ({"q": "outcome", "meeting_kind": "coordinators"}, {"q": "meeting:CM-CAPY"}):
        filtered = page_text(client.get("/archive/", query_string=query))
        assert "Shared outcome" not in filtered.split('id="results-title"')[1], query


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_coordinators_meeting_without_code_cannot_be_probed_by_id(client, login_as, role):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, kind="coordinators", title="Uncoded", code=None)
    file_record(coordinator, "Uncoded outcome", meeting_id=meeting.id)
    login_as(role)
    body = page_text(client.get("/archive/", query_string={"q": f"meeting:{meeting.id}"}))
    assert "Uncoded outcome" not in body.split('id="results-title"')[1]


def test_coordinators_see_the_meeting_named(client, login_as, shared):
    record, meeting = shared
    login_as("coordinator", partner_code="EU")
    assert "capybaraname" in page_text(client.get(f"/archive/records/{record.id}"))
    results = page_text(client.get("/archive/", query_string={"q": "outcome"}))
    assert "capybaraname" in results and "Coordinators&#39; Meeting" in results
    assert "Shared outcome" in page_text(client.get("/archive/", query_string={"q": "meeting:CM-CAPY"}))
