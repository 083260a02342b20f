"""The archive's front page is kept rendered per role and state of the index (archive/front_page.py):
what each reader sees is still exactly what they may see, as the archive and the clock move on."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import event

from secretariat.archive import services
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def front_page(client) -> tuple[int, str]:
    body = page_text(client.get("/archive/"))
    total = int(re.search(r"<h2 id=\"results-title\">(\d+) record", body).group(1))
    return total, body


def statements_of(client, url: str) -> int:
    count = 0

    def counted(*_args, **_kwargs):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


def test_a_coordinators_front_page_is_never_shown_to_an_official(app, client, login_as, coordinator):
    file_record(coordinator, "Public declaration on water", confidentiality="public")
    file_record(coordinator, "Coordinators' note on negotiating positions", confidentiality="coordinators")
    login_as("coordinator", partner_code="FR")
    total, body = front_page(client)
    assert total == 2 and "Coordinators&#39; note" in body and "File a record" in body
    official = app.test_client()
    assert official.login(make_user("official", partner_code="JP").email).status_code == 302
    total, body = front_page(official)
    assert total == 1 and "Public declaration on water" in body
    assert "negotiating" not in body and "File a record" not in body and "coordinators" not in body.split("<h1>")[1]


def test_the_front_page_is_computed_once_then_served_until_the_archive_changes(client, login_as, coordinator):
    file_record(coordinator, "Chair's statement of ASEM13", confidentiality="public")
    login_as("official")
    first = statements_of(client, "/archive/")
    again = statements_of(client, "/archive/")
    assert again < first  # the hits' rows are not read again
    assert front_page(client)[0] == 1
    file_record(coordinator, "Chair's statement of ASEM14", confidentiality="public")
    total, body = front_page(client)  # the index changed: computed afresh
    assert total == 2 and "ASEM14" in body


def test_a_withdrawn_record_leaves_a_partners_front_page_at_once(client, login_as, coordinator):
    record = file_record(coordinator, "Report later withdrawn", record_type="report")
    login_as("official")
    assert "Report later withdrawn" in front_page(client)[1]
    services.withdraw(record, "Filed in error", actor=coordinator)
    db.session.commit()
    services.sync()
    total, body = front_page(client)
    assert total == 0 and "Report later withdrawn" not in body


def test_an_embargo_passing_shows_the_record_on_the_front_page(client, login_as, coordinator):
    file_record(coordinator, "Statement under embargo", embargo_until=utcnow() + timedelta(seconds=2))
    login_as("official")
    assert front_page(client)[0] == 0  # kept in the cache, with no change to the index ...
    time.sleep(2.2)
    total, body = front_page(client)  # ... yet the date passing shows it
    assert total == 1 and "Statement under embargo" in body


def test_only_the_bare_address_is_kept(client, login_as, coordinator):
    file_record(coordinator, "Public declaration on water", confidentiality="public")
    file_record(coordinator, "Minutes of SOM", record_type="minutes", confidentiality="public")
    login_as("official")
    assert front_page(client)[0] == 2
    body = page_text(client.get("/archive/", query_string={"type": "minutes"}))
    assert "1 record" in body and "Public declaration" not in body
    body = page_text(client.get("/archive/", query_string={"q": "water"}))
    assert 'value="water"' in body and "Minutes of SOM" not in body
