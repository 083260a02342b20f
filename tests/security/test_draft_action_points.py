"""Action points of minutes not yet adopted are the coordinators' draft: no partner reads them
(meeting page, home page, print view) nor marks them done, until the minutes are adopted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from secretariat.agenda import minutes
from secretariat.agenda.models import ActionPoint
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text

MARKER = "zqdraftpoint"
#: roles that may not read a draft (administrators neither: drafts are the coordinators' work)
NOT_COORDINATORS = ("official", "observer", "admin")


@pytest.fixture
def held(app):
    """A held SOM with draft minutes and an action point of Japan's, with or without minutes."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    return coordinator, meeting


def _point(meeting, coordinator) -> ActionPoint:
    point = minutes.add_action_point(
        meeting, text=f"Host {MARKER}", partner_code="JP", due=None, item_id=None, actor=coordinator
    )
    db.session.commit()
    return point


def _draft_minutes(meeting, coordinator) -> None:
    minutes.save_minutes(meeting, summary="Met.", decisions={}, expected_version=0, actor=coordinator)
    db.session.commit()


@pytest.mark.parametrize("with_minutes", [True, False], ids=["draft-minutes", "no-minutes"])
@pytest.mark.parametrize("role", NOT_COORDINATORS)
def test_partners_do_not_read_action_points_of_draft_minutes(client, login_as, held, role, with_minutes):
    coordinator, meeting = held
    if with_minutes:
        _draft_minutes(meeting, coordinator)
    point = _point(meeting, coordinator)
    login_as(role, partner_code="JP")
    for url in (f"/meetings/{meeting.id}", "/", f"/meetings/{meeting.id}/minutes/print"):
        assert MARKER not in page_text(client.get(url)), url
    if role == "official":  # the one who could mark it done once adopted
        assert client.submit(f"/meetings/action-points/{point.id}/done", page="/").status_code == 404
        db.session.refresh(point)
        assert point.done_at is None


def test_coordinators_read_them_and_partners_do_once_adopted(app, client, login_as, held):
    coordinator, meeting = held
    _draft_minutes(meeting, coordinator)
    point = _point(meeting, coordinator)
    login_as("coordinator", partner_code="JP")
    assert MARKER in page_text(client.get(f"/meetings/{meeting.id}"))
    assert MARKER in page_text(client.get("/"))  # a coordinator of the responsible partner
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    official = app.test_client()
    official.login(make_user("official", partner_code="JP").email)
    assert MARKER in page_text(official.get(f"/meetings/{meeting.id}"))
    assert MARKER in page_text(official.get("/"))
    assert official.submit(f"/meetings/action-points/{point.id}/done", page="/").status_code == 302
    assert db.session.scalar(sa.select(ActionPoint.done_at).where(ActionPoint.id == point.id)) is not None


def test_no_action_point_is_added_to_adopted_minutes(held):
    coordinator, meeting = held
    _draft_minutes(meeting, coordinator)
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    with pytest.raises(minutes.MinutesRefused):
        _point(meeting, coordinator)
