"""The meeting page's rendered agenda comes from the cache between changes, for each audience apart,
and never carries anything personal."""

import re

from sqlalchemy import event

from secretariat.agenda import items
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def statements_of(client, url: str) -> tuple[int, str]:
    count = [0]

    def on_execute(*_args, **_kwargs):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        body = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return count[0], body


def agenda_of(body: str) -> str:
    return body[body.index('<ol class="agenda"') : body.index("</ol>", body.index('<ol class="agenda"'))]


def test_the_draft_is_read_once_per_change_and_each_page_keeps_its_own_token(app):
    first = make_user("coordinator", partner_code="EU")
    second = make_user("coordinator", partner_code="TH")
    meeting = make_meeting(first)
    opening = add(meeting, first, "Opening", lead_partners=["JP"], coordinator_notes="Seating plan")
    add(meeting, first, "Closing")
    set_status(meeting, first, "drafting")
    url = f"/meetings/{meeting.id}"
    one, two = app.test_client(), app.test_client()
    one.login(first.email)
    two.login(second.email)
    missed, body_one = statements_of(one, url)
    hit, body_two = statements_of(two, url)
    assert hit == missed - 2  # the items and their lead partners are not read again
    assert agenda_of(body_one) == agenda_of(body_two) and "csrf_token" not in agenda_of(body_one)
    tokens = (re.search(r'data-csrf="([^"]+)"', body_one)[1], re.search(r'data-csrf="([^"]+)"', body_two)[1])
    assert tokens[0] != tokens[1]
    # A move changes the key: the next page shows the new order.
    items.move_item(meeting, opening, "down", actor=first)
    db.session.commit()
    assert page_text(two.get(url)).index("Closing") < page_text(two.get(url)).index("Opening")


def test_partners_never_get_the_coordinators_draft(app, client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening", coordinator_notes="Seating plan")
    set_status(meeting, coordinator, "drafting", "circulated")
    add(meeting, coordinator, "Not circulated yet", coordinator_notes="Draft only")
    coord = app.test_client()
    coord.login(coordinator.email)
    body = page_text(coord.get(f"/meetings/{meeting.id}"))
    assert "Not circulated yet" in body and "Seating plan" in body
    login_as("official", partner_code="JP")
    body = page_text(client.get(f"/meetings/{meeting.id}"))
    assert "Opening" in body and "Not circulated yet" not in body and "Seating plan" not in body
    assert "Edit" not in agenda_of(body)
