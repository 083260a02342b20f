"""Neighbouring paths of issue 25 found by its second review: each test failed on main before its fix."""

from __future__ import annotations

from datetime import date

import pytest

from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

PARTNER_ROLES = ["official", "observer"]


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


# --- a version's sealed metadata names a coordinators' meeting by its id ---------------------------


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_version_page_does_not_give_a_hidden_meetings_id(client, login_as, coordinator, role):
    """The record page shows a partner no meeting for a record of a coordinators' meeting; the version
    page printed its sealed metadata whole, ``Meeting id`` and ``Embargo meeting id`` included."""
    hidden = make_meeting(
        coordinator, kind="coordinators", title="Retreat", start_date=date(2026, 5, 1), end_date=date(2026, 5, 1)
    )
    record = file_record(coordinator, "Press line", meeting_id=hidden.id)
    login_as(role, partner_code="JP")
    body = page_text(client.get(f"/archive/records/{record.id}/versions/1"))
    assert "Press line" in body
    assert f"<dt>Meeting id</dt><dd>{hidden.id}</dd>" not in body
    assert f"/meetings/{hidden.id}" not in body


def test_coordinators_still_read_the_meeting_of_a_version(client, login_as, coordinator):
    hidden = make_meeting(
        coordinator, kind="coordinators", title="Retreat", start_date=date(2026, 5, 1), end_date=date(2026, 5, 1)
    )
    record = file_record(coordinator, "Press line", meeting_id=hidden.id)
    login_as("coordinator", partner_code="EU")
    body = page_text(client.get(f"/archive/records/{record.id}/versions/1"))
    assert f"<dt>Meeting id</dt><dd>{hidden.id}</dd>" in body
