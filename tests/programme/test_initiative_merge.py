"""Two coordinators editing one initiative: merged field by field (secretariat/web/merge.py)."""

import pytest

from secretariat.extensions import db
from secretariat.programme.models import Initiative
from tests.agenda.test_merge_conflicts import form_as_shown
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU", name="Alice Coordinator")


def test_an_initiative_edited_by_two_is_merged(app, coordinator):
    item = make_initiative(coordinator)
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(make_user("coordinator", partner_code="SG", name="Bob Coordinator").email)
    url = f"/programme/initiatives/{item.id}/edit"
    bob_page = bob.get(url)
    assert alice.submit(url, form_as_shown(alice.get(url), co_sponsors=["JP", "KR"])).status_code == 302
    response = bob.submit(url, form_as_shown(bob_page, title="Bob's title"))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Initiative, item.id)
    assert saved.title == "Bob's title" and sorted(p.code for p in saved.co_sponsors) == ["JP", "KR"]
    notice = page_text(bob.get(response.headers["Location"]))
    assert "Co-sponsoring partners" in notice and "Alice Coordinator" in notice

    bob_page = bob.get(url)
    alice.submit(url, form_as_shown(alice.get(url), summary_source="Alice's summary"))
    clash = bob.submit(url, form_as_shown(bob_page, summary_source="Bob's summary", title="Bob's second title"))
    body = page_text(clash)
    assert clash.status_code == 409 and 'name="choose-summary_source"' in body
    assert "Alice&#39;s summary" in body and "Bob&#39;s summary" in body
    assert bob.submit(url, form_as_shown(clash, **{"choose-summary_source": "theirs"})).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Initiative, item.id)
    assert (saved.title, saved.summary_source) == ("Bob's second title", "Alice's summary")
