"""A save that lost the race is merged field by field with the one that won (secretariat/web/merge.py):
the other person's changes to fields this person never touched survive, this person's changes are
kept, and a field both changed is shown side by side for a choice."""

import re
from html.parser import HTMLParser

import pytest

from secretariat.agenda.models import AgendaItem, Meeting
from secretariat.extensions import db
from tests.agenda.helpers import add, item_form, make_meeting, set_status
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU", name="Alice Coordinator")


@pytest.fixture
def two(app, coordinator):
    """Alice and Bob, two coordinators signed in in two browsers."""
    bob = make_user("coordinator", partner_code="KH", name="Bob Coordinator")
    alice_client, bob_client = app.test_client(), app.test_client()
    alice_client.login(coordinator.email)
    bob_client.login(bob.email)
    return alice_client, bob_client


def base_of(response) -> str:
    found = re.search(r'name="edit_base" value="([^"]+)"', page_text(response))
    assert found, "the form carries the values it started from"
    return found.group(1)


@pytest.fixture
def item(coordinator):
    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Connectivity")
    set_status(meeting, coordinator, "drafting")
    return item


def _item(item_id: int) -> AgendaItem:
    db.session.expire_all()
    return db.session.get(AgendaItem, item_id)


def test_a_field_only_the_other_changed_keeps_their_value(two, item):
    alice, bob = two
    url = f"/meetings/{item.meeting_id}/items/{item.id}/edit"
    bob_base = base_of(bob.get(url))  # Bob opens the form first
    alice_base = base_of(alice.get(url))
    assert (
        alice.submit(url, item_form("Connectivity", presenter="Chair", version="1", edit_base=alice_base)).status_code
        == 302
    )
    response = bob.submit(url, item_form("Digital connectivity", version="1", edit_base=bob_base))
    assert response.status_code == 302  # nothing clashes: saved, merged
    saved = _item(item.id)
    assert (saved.title, saved.presenter, saved.version) == ("Digital connectivity", "Chair", 3)
    notice = page_text(bob.get(response.headers["Location"]))
    assert "Presenter" in notice and "Alice Coordinator" in notice  # who changed what


def test_a_field_both_changed_is_a_choice(two, item):
    alice, bob = two
    url = f"/meetings/{item.meeting_id}/items/{item.id}/edit"
    bob_base = base_of(bob.get(url))
    alice.submit(
        url,
        item_form(
            "Connectivity", presenter="Chair", duration_minutes="45", version="1", edit_base=base_of(alice.get(url))
        ),
    )
    response = bob.submit(
        url, item_form("Digital connectivity", presenter="Vice-chair", version="1", edit_base=bob_base)
    )
    body = page_text(response)
    assert response.status_code == 409
    assert "Someone else saved this item" in body
    assert 'name="choose-presenter" value="theirs"' in body and 'name="choose-presenter" value="mine"' in body
    assert 'Keep theirs: <span class="merge-choice__value">Chair</span>' in body
    assert "Vice-chair</span>" in body and "also changed by Alice Coordinator" in body
    assert 'value="Digital connectivity"' in body  # Bob's own change stays in the form
    assert 'name="duration_minutes" type="number" value="45"' in body  # Alice's, untouched by Bob, shown
    assert 'name="version" type="hidden" value="2"' in body
    assert _item(item.id).title == "Connectivity"  # nothing of Bob's saved yet
    again = base_of(response)
    # Saving without choosing asks again; nothing is written.
    unanswered = bob.submit(
        url,
        item_form("Digital connectivity", presenter="Vice-chair", duration_minutes="45", version="2", edit_base=again),
    )
    assert unanswered.status_code == 409 and _item(item.id).presenter == "Chair"
    chosen = bob.submit(
        url,
        item_form(
            "Digital connectivity",
            presenter="Vice-chair",
            duration_minutes="45",
            version="2",
            edit_base=again,
            **{"choose-presenter": "theirs"},
        ),
    )
    assert chosen.status_code == 302
    saved = _item(item.id)
    assert (saved.title, saved.presenter, saved.duration_minutes) == ("Digital connectivity", "Chair", 45)


def test_choosing_mine_takes_mine(two, item):
    alice, bob = two
    url = f"/meetings/{item.meeting_id}/items/{item.id}/edit"
    bob_base = base_of(bob.get(url))
    alice.submit(url, item_form("Connectivity", presenter="Chair", version="1", edit_base=base_of(alice.get(url))))
    response = bob.submit(url, item_form("Connectivity", presenter="Vice-chair", version="1", edit_base=bob_base))
    assert response.status_code == 409
    chosen = bob.submit(
        url,
        item_form(
            "Connectivity",
            presenter="Vice-chair",
            version="2",
            edit_base=base_of(response),
            **{"choose-presenter": "mine"},
        ),
    )
    assert chosen.status_code == 302 and _item(item.id).presenter == "Vice-chair"


def test_a_forged_base_asks_rather_than_overwrites(two, item):
    alice, bob = two
    url = f"/meetings/{item.meeting_id}/items/{item.id}/edit"
    alice.submit(url, item_form("Connectivity", presenter="Chair", version="1", edit_base=base_of(alice.get(url))))
    forged = bob.submit(url, item_form("Connectivity", presenter="", version="1", edit_base="e30.forged"))
    assert forged.status_code == 409 and 'name="choose-presenter"' in page_text(forged)
    assert _item(item.id).presenter == "Chair"


class _Fields(HTMLParser):
    """The values a form sends as the page shows it: inputs, checked boxes, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "radio", "checkbox"):
            self.values.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "input" and a.get("type") in ("radio", "checkbox") and "checked" in a:
            self.values.setdefault(a["name"], []).append(a.get("value") or "on")
        elif tag == "select":
            self._select = a.get("name")
            self.values.setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value") or "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += data


def form_as_shown(response, **changes) -> dict:
    parser = _Fields()
    parser.feed(page_text(response))
    data = {k: (v if len(v) != 1 else v[0]) for k, v in parser.values.items() if k != "csrf_token"}
    data.update(changes)
    return data


def test_a_meeting_edited_by_two_is_merged(two, coordinator):
    alice, bob = two
    meeting = make_meeting(coordinator)
    url = f"/meetings/{meeting.id}/edit"
    bob_page = bob.get(url)
    assert alice.submit(url, form_as_shown(alice.get(url), chair="Thailand")).status_code == 302
    response = bob.submit(url, form_as_shown(bob_page, city="Antwerp"))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Meeting, meeting.id)
    assert (saved.city, saved.chair) == ("Antwerp", "Thailand")
    assert "Chair" in page_text(bob.get(response.headers["Location"]))  # the notice names the field kept
    # Both change the theme: a choice, with the other's value beside this person's.
    bob_page = bob.get(url)
    alice.submit(url, form_as_shown(alice.get(url), theme="Connectivity"))
    clash = bob.submit(url, form_as_shown(bob_page, theme="Sustainability"))
    assert clash.status_code == 409 and 'name="choose-theme"' in page_text(clash)
    assert bob.submit(url, form_as_shown(clash, **{"choose-theme": "mine"})).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).theme == "Sustainability"
