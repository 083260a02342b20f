"""Neighbouring paths of issue 25 found by its second review: each test failed on main before its fix."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.timeutil import utcnow
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


# --- an account inserted with SQL passed `archive verify` ------------------------------------------


def test_an_account_inserted_by_sql_is_reported(runner):
    """Someone with write access to the database adds a coordinator of their own (a password hash
    they know): every other account's role is checked against the chain, this one was not."""
    from secretariat.auth.passwords import hash_password
    from tests.factories import partner
    from tests.security.tampering import tamper

    make_user("coordinator", partner_code="EU")
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0
    tamper(
        "INSERT INTO users (email, display_name, partner_id, role, is_active, password_hash, created_at, updated_at) "
        "VALUES ('mole@example.org', 'Mole', :partner, 'coordinator', :yes, :hash, :now, :now)",
        partner=partner("EU").id,
        yes=True,
        hash=hash_password("a long and perfectly fine passphrase"),
        now=utcnow(),
    )
    mole = db.session.scalar(sa.text("SELECT id FROM users WHERE email = 'mole@example.org'"))
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 1, result.output
    assert f"user {mole} is not in the audit trail" in result.output, result.output
