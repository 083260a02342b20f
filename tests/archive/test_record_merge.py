"""Two coordinators revising one record: the metadata is merged field by field (secretariat/web/merge.py);
the merge is shown before saving, since files must be chosen again."""

import pytest

from secretariat.archive.models import Record
from secretariat.extensions import db
from tests.agenda.test_merge_conflicts import form_as_shown
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU", name="Alice Coordinator")


def test_a_record_revised_by_two_is_merged(app, coordinator):
    record = file_record(coordinator, "Report")
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(make_user("coordinator", partner_code="SG", name="Bob Coordinator").email)
    url = f"/archive/records/{record.id}/revise"
    bob_page = bob.get(url)
    done = alice.submit(url, form_as_shown(alice.get(url), tags="Connectivity", change_note="Tagged"))
    assert done.status_code == 302
    shown = bob.submit(url, form_as_shown(bob_page, title="Report, corrected", change_note="Title"))
    body = page_text(shown)
    assert shown.status_code == 409 and "Someone else filed a new version" in body
    assert "Tags" in body and "Alice Coordinator" in body and 'value="connectivity"' in body
    assert 'value="Report, corrected"' in body and "choose-" not in body  # nothing clashes
    assert bob.submit(url, form_as_shown(shown)).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Record, record.id)
    assert (saved.title, saved.tags) == ("Report, corrected", "connectivity")
    assert saved.current_version == 3
