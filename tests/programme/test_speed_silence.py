"""Programme pages ask whether a silence procedure is due with a cheap query before settling any."""

from __future__ import annotations

from datetime import timedelta

from secretariat.extensions import db
from secretariat.programme import silence
from secretariat.programme.models import SilenceProcedure
from secretariat.timeutil import utcnow
from tests.factories import make_user, page_text
from tests.programme.test_reports_and_silence import start


def test_any_due_agrees_with_settle_due_at_the_deadline(app):
    coordinator = make_user("coordinator", partner_code="EU")
    assert silence.any_due() is False
    procedure = start(coordinator)
    just_before = procedure.deadline - timedelta(microseconds=1)
    assert silence.any_due(now=just_before) is False and silence.settle_due(now=just_before) == []
    assert silence.any_due(now=procedure.deadline) is True
    assert [p.id for p in silence.settle_due(now=procedure.deadline)] == [procedure.id]
    db.session.commit()
    assert silence.any_due(now=procedure.deadline + timedelta(days=1)) is False  # decided: no longer open


def test_a_list_page_settles_what_is_due(client):
    coordinator = make_user("coordinator", partner_code="EU")
    procedure = start(coordinator)
    procedure.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.login(make_user("official").email)
    assert client.get("/programme/").status_code == 200
    db.session.expire_all()
    assert db.session.get(SilenceProcedure, procedure.id).outcome == "adopted"
    assert "Adopted (no objection)" in page_text(client.get(f"/programme/silence/{procedure.id}"))
