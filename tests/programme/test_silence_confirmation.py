"""Breaking silence cannot be undone and decides the procedure: it asks first, saying so and to whom."""

import pytest
import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.programme.models import SilencePosition
from tests.factories import make_user, page_text
from tests.programme.test_reports_and_silence import start


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_breaking_silence_asks_first(client, coordinator):
    procedure = start(coordinator)
    client.login(make_user("official", partner_code="JP").email)
    url = f"/programme/silence/{procedure.id}"
    page = page_text(client.get(url))
    assert '<dialog id="confirm-break-silence"' in page and 'data-confirm="confirm-break-silence"' in page
    asked = client.submit(f"{url}/position", {"position": "broke_silence", "reason": "Too early"}, page=url)
    body = page_text(asked)
    assert asked.status_code == 200 and "Break silence on behalf of Japan?" in body
    assert "shown to all 53 partners: “Too early”" in body and "cannot be changed afterwards" in body
    assert 'name="reason" value="Too early"' in body and 'name="confirmed" value="yes"' in body
    assert db.session.scalar(sa.select(sa.func.count(SilencePosition.id))) == 0
    done = client.submit(
        f"{url}/position", {"position": "broke_silence", "reason": "Too early", "confirmed": "yes"}, page=url
    )
    assert done.status_code == 302
    assert db.session.scalar(sa.select(SilencePosition.reason)) == "Too early"


def test_agreeing_does_not_ask(client, coordinator):
    procedure = start(coordinator)
    client.login(make_user("official", partner_code="JP").email)
    url = f"/programme/silence/{procedure.id}"
    assert client.submit(f"{url}/position", {"position": "agreed"}, page=url).status_code == 302
    assert db.session.scalar(sa.select(SilencePosition.position)) == "agreed"
