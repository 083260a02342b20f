"""What `make security-scan` found, kept found: each case is a request the scanners sent that once
answered 500.

wapiti's CRLF module replaced the hidden "version" field of the edit forms (the version the person
started from, read with int()) with "http://www.google.fr\\r\\nwapiti: 3.2.3 version": the edit pages
of meetings, agenda items, initiatives and records answered 500 with a traceback in the log. A
tampered form is now refused like any invalid form: 400, the page again, nothing saved.
"""

from __future__ import annotations

import io

import pytest

from secretariat.agenda.models import AgendaItem, Meeting
from secretariat.archive.models import Record
from secretariat.extensions import db
from secretariat.programme.models import Initiative
from tests.agenda.helpers import add, make_meeting
from tests.archive.helpers import file_record
from tests.factories import make_user
from tests.programme.helpers import make_initiative

TAMPERED = "http://www.google.fr\r\nwapiti: 3.2.3 version"


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_meeting_edit_with_a_tampered_version(client, coordinator):
    meeting = make_meeting(coordinator)
    client.login(coordinator.email)
    form = {"kind": "som", "start_date": "2027-03-10", "end_date": "2027-03-11", "format": "hybrid", "host": "BE"}
    response = client.submit(f"/meetings/{meeting.id}/edit", {**form, "title": "Renamed", "version": TAMPERED})
    assert response.status_code == 400
    assert "Reload the page and try again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).title != "Renamed"


def test_agenda_item_edit_with_a_tampered_version(client, coordinator):
    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Opening")
    client.login(coordinator.email)
    url = f"/meetings/{meeting.id}/items/{item.id}/edit"
    form = {"title": "Renamed", "item_type": "discussion", "duration_minutes": "30", "version": TAMPERED}
    response = client.submit(url, form)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).title == "Opening"


def test_initiative_edit_with_a_tampered_version(client, coordinator):
    item = make_initiative(coordinator)
    client.login(coordinator.email)
    form = {"code": item.code, "title": "Renamed", "pillar": "economic", "lead_partner": "SG", "version": TAMPERED}
    response = client.submit(f"/programme/initiatives/{item.id}/edit", form)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Initiative, item.id).title != "Renamed"


def test_record_revision_with_a_tampered_version(client, coordinator):
    record = file_record(coordinator, "Chair's statement", files=[("v1.txt", b"first wording")])
    client.login(coordinator.email)
    response = client.submit(
        f"/archive/records/{record.id}/revise",
        {
            "title": "Renamed",
            "record_type": "chairs_statement",
            "record_date": "2021-11-26",
            "language": "en",
            "confidentiality": "restricted",
            "change_note": "crafted",
            "version": TAMPERED,
            "files": [(io.BytesIO(b"second wording"), "v2.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Record, record.id).current_version == 1
