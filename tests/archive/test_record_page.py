"""The record page: what it prints, and who may open it (archive/access.py)."""

from datetime import UTC, datetime

from secretariat.archive import services
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text


def test_page_shows_facts_partners_current_files_and_versions(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title="ASEM Foreign Ministers' Meeting <14>")
    record = file_record(
        coordinator,
        "Chair's Statement & annex",
        files=[("statement-v1.pdf", pdf("first"))],
        meeting_id=meeting.id,
        partners=["TH", "JP"],
        tags="connectivity",
        confidentiality="public",
    )
    services.revise_record(
        record,
        {**services.record_metadata(record), "record_date": record.record_date},
        [services.prepare_upload("statement-v2.pdf", pdf("second"))],
        keep_file_ids=set(),
        change_note="Corrected <figures>",
        expected_version=record.version,
        actor=coordinator,
    )
    db.session.commit()
    login_as("official")
    body = page_text(client.get(f"/archive/records/{record.id}"))
    assert "<h1>Chair&#39;s Statement &amp; annex</h1>" in body
    assert "<dt>Type</dt><dd>Chair&#39;s statement</dd>" in body
    assert f'<a href="/meetings/{meeting.id}">ASEM Foreign Ministers&#39; Meeting &lt;14&gt;</a>' in body
    assert "<dt>Partners</dt><dd>Japan, Thailand</dd>" in body  # by name
    assert (
        "<dt>Confidentiality</dt><dd>Public (may be published)</dd>" in body and "<dt>Version</dt><dd>v2</dd>" in body
    )
    # the current version's files only, linked under its number; every version, the latest first
    assert f"/archive/records/{record.id}/versions/2/files/" in body and "statement-v2.pdf" in body
    assert "statement-v1.pdf" not in body
    assert body.index(">v2</a>") < body.index(">v1</a>") and "Corrected &lt;figures&gt;" in body


def _signed_in(app, role: str):
    """A client of its own: signing a client in again while it is signed in keeps the first user."""
    other = app.test_client()
    other.login(make_user(role).email)
    return other


def test_embargo_by_meeting_hides_the_record_until_it_closes_and_says_so_to_coordinators(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title="SOM Budapest")
    add(meeting, coordinator, "Opening")
    record = file_record(coordinator, "Draft chair's statement", embargo_meeting_id=meeting.id)
    dated = file_record(coordinator, "Press release", embargo_until=datetime(2999, 1, 1, 9, 30, tzinfo=UTC))
    client.login(coordinator.email)
    body = page_text(client.get(f"/archive/records/{record.id}"))
    assert "Under embargo: only coordinators see this record until SOM Budapest is closed." in body
    body = page_text(client.get(f"/archive/records/{dated.id}"))
    assert "Under embargo: only coordinators see this record until 1 January 2999, 10:30 Brussels time." in body
    official = _signed_in(app, "official")
    assert official.get(f"/archive/records/{record.id}").status_code == 404
    assert official.get(f"/archive/records/{dated.id}").status_code == 404
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held", "closed")
    body = page_text(official.get(f"/archive/records/{record.id}"))
    assert "Draft chair&#39;s statement" in body and "Under embargo" not in body


def test_withdrawn_and_coordinators_records_are_not_found_by_officials(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    secret = file_record(coordinator, "Coordinators' note", confidentiality="coordinators")
    withdrawn = file_record(coordinator, "Superseded statement")
    services.withdraw(withdrawn, "Superseded by the final text", actor=coordinator)
    db.session.commit()
    client.login(coordinator.email)
    body = page_text(client.get(f"/archive/records/{withdrawn.id}"))
    assert "<strong>Withdrawn</strong> on" in body and "Superseded by the final text" in body
    assert client.get(f"/archive/records/{secret.id}").status_code == 200
    official = _signed_in(app, "official")
    for record in (secret, withdrawn):
        response = official.get(f"/archive/records/{record.id}")
        assert response.status_code == 404 and record.title not in page_text(response)
    assert official.get("/archive/records/999999").status_code == 404
