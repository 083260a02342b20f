"""Every version of a record keeps its own level: a partner sees a version only if both its own
sealed level (and embargo) and the record's current ones let them (issue 25, item 2).

The attacker is an official or an observer who knows (or guesses) record, version and file ids.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from secretariat.archive import services
from secretariat.archive.models import RecordFile, RecordVersion
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text, run_worker

PARTNER_ROLES = ["official", "observer"]


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def revise(record, actor, *, files=(), keep_files=(), note="Revised", **changes):
    """File the next version of ``record`` with these metadata changes (as the revise form does)."""
    data = services.record_metadata(record)
    data["record_date"] = record.record_date
    data["embargo_until"] = record.embargo_until
    data["meeting_id"] = record.meeting_id
    data.update(changes)
    prepared = [services.prepare_upload(name, content) for name, content in files]
    services.revise_record(
        record,
        data,
        prepared,
        keep_file_ids={f.id for f in keep_files},
        change_note=note,
        expected_version=record.version,
        actor=actor,
    )
    db.session.commit()
    services.sync()
    return record


def version_files(record, number: int) -> list[RecordFile]:
    version = db.session.scalar(
        sa.select(RecordVersion).where(RecordVersion.record_id == record.id, RecordVersion.number == number)
    )
    return list(version.files)


def search_total(client, query: str) -> tuple[int, str]:
    body = page_text(client.get("/archive/", query_string={"q": query}))
    return int(re.search(r"<h2 id=\"results-title\">(\d+) record", body).group(1)), body


@pytest.fixture
def lowered(coordinator):
    """Filed at coordinators' level with a confidential file, then revised to restricted with a new one."""
    record = file_record(
        coordinator,
        "Coordinators draft zebraquartz",
        confidentiality="coordinators",
        files=[("negotiating-positions.pdf", pdf("falconmarker negotiating positions"))],
    )
    revise(
        record,
        coordinator,
        title="Statement for partners",
        confidentiality="restricted",
        files=[("statement.pdf", pdf("public wording"))],
        note="Cleaned for partners okapinote",
    )
    run_worker()  # the new file's text is read outside the request
    return record


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_version_filed_above_the_partners_level_stays_hidden_after_the_record_is_lowered(
    client, login_as, lowered, role
):
    v1_file = version_files(lowered, 1)[0]
    v2_file = version_files(lowered, 2)[0]
    login_as(role)
    base = f"/archive/records/{lowered.id}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/versions/2").status_code == 200
    assert client.get(f"{base}/versions/2/files/{v2_file.id}").status_code == 200
    assert client.get(f"{base}/versions/1").status_code == 404
    assert client.get(f"{base}/versions/1/files/{v1_file.id}").status_code == 404
    # The v1 file's id under the version the partner may see, and guesses around it.
    for file_id in range(max(1, v1_file.id - 3), v2_file.id + 4):
        if file_id != v2_file.id:
            assert client.get(f"{base}/versions/2/files/{file_id}").status_code == 404
            assert client.get(f"{base}/versions/1/files/{file_id}").status_code == 404


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_the_record_page_neither_links_nor_describes_a_hidden_version(client, login_as, lowered, role):
    login_as(role)
    body = page_text(client.get(f"/archive/records/{lowered.id}"))
    assert f"/archive/records/{lowered.id}/versions/2" in body
    assert f"/archive/records/{lowered.id}/versions/1" not in body
    assert ">v1<" not in body
    hidden_seal = db.session.scalar(
        sa.select(RecordVersion.seal_sha256).where(RecordVersion.record_id == lowered.id, RecordVersion.number == 1)
    )
    assert hidden_seal[:16] not in body
    for marker in ("zebraquartz", "negotiating-positions", "falconmarker"):
        assert marker not in body
    # and the version the partner may see says what it is
    assert "okapinote" in body


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_search_finds_nothing_of_a_hidden_earlier_version(client, login_as, lowered, role):
    login_as(role)
    for word in ("zebraquartz", "falconmarker", "negotiating"):
        assert search_total(client, word)[0] == 0  # (the page echoes the words asked for)
    assert search_total(client, "wording")[0] == 1


def test_coordinators_see_every_version_of_a_lowered_record(client, login_as, lowered):
    v1_file = version_files(lowered, 1)[0]
    login_as("coordinator", partner_code="EU")
    base = f"/archive/records/{lowered.id}"
    body = page_text(client.get(base))
    assert f"{base}/versions/1" in body and f"{base}/versions/2" in body
    assert body.count("not shown to partners") == 1  # v1, filed for coordinators
    assert "zebraquartz" in page_text(client.get(f"{base}/versions/1"))
    assert client.get(f"{base}/versions/1/files/{v1_file.id}").status_code == 200


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_raising_a_record_to_coordinators_hides_every_version(client, login_as, coordinator, role):
    record = file_record(coordinator, "Once for partners", files=[("old.pdf", pdf("old text"))])
    v1_file = version_files(record, 1)[0]
    revise(record, coordinator, confidentiality="coordinators", keep_files=[v1_file], note="Raised")
    v2_file = version_files(record, 2)[0]
    login_as(role)
    base = f"/archive/records/{record.id}"
    for url in (
        base,
        f"{base}/versions/1",
        f"{base}/versions/2",
        f"{base}/versions/1/files/{v1_file.id}",
        f"{base}/versions/2/files/{v2_file.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert search_total(client, "partners")[0] == 0


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_middle_version_above_the_partners_level_is_the_only_one_hidden(client, login_as, coordinator, role):
    record = file_record(coordinator, "Three versions", files=[("first.pdf", pdf("first"))])
    revise(
        record, coordinator, confidentiality="coordinators", files=[("mid.pdf", pdf("middle"))], note="Secret middle"
    )
    revise(record, coordinator, confidentiality="restricted", files=[("last.pdf", pdf("last"))], note="Back out")
    login_as(role)
    base = f"/archive/records/{record.id}"
    assert client.get(f"{base}/versions/1").status_code == 200
    assert client.get(f"{base}/versions/2").status_code == 404
    assert client.get(f"{base}/versions/3").status_code == 200
    assert client.get(f"{base}/versions/2/files/{version_files(record, 2)[0].id}").status_code == 404
    body = page_text(client.get(base))
    assert "Secret middle" not in body and "mid.pdf" not in body
    assert f"{base}/versions/1" in body and f"{base}/versions/3" in body


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_version_keeps_its_own_embargo_after_a_later_version_lifts_it(client, login_as, coordinator, role):
    record = file_record(
        coordinator,
        "Embargoed first",
        embargo_until=utcnow() + timedelta(days=5),
        files=[("early.pdf", pdf("embargoed words"))],
    )
    revise(record, coordinator, embargo_until=None, files=[("release.pdf", pdf("release"))], note="Released")
    login_as(role)
    base = f"/archive/records/{record.id}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/versions/2").status_code == 200
    assert client.get(f"{base}/versions/1").status_code == 404
    assert client.get(f"{base}/versions/1/files/{version_files(record, 1)[0].id}").status_code == 404
    assert "early.pdf" not in page_text(client.get(base))


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_version_embargoed_until_a_meeting_stays_hidden_until_it_closes(client, login_as, coordinator, role):
    meeting = make_meeting(coordinator)
    record = file_record(coordinator, "Until the meeting", embargo_meeting_id=meeting.id)
    revise(record, coordinator, embargo_meeting_id=None, note="Released early")
    login_as(role)
    base = f"/archive/records/{record.id}"
    assert client.get(f"{base}/versions/2").status_code == 200
    assert client.get(f"{base}/versions/1").status_code == 404


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_withdrawn_record_hides_every_version(client, login_as, coordinator, role):
    record = file_record(coordinator, "Withdrawn later", confidentiality="public", files=[("a.pdf", pdf("a"))])
    revise(record, coordinator, keep_files=version_files(record, 1), note="Second")
    services.withdraw(record, "Wrong text", actor=coordinator)
    db.session.commit()
    services.sync()
    login_as(role)
    base = f"/archive/records/{record.id}"
    for number in (1, 2):
        assert client.get(f"{base}/versions/{number}").status_code == 404
        assert client.get(f"{base}/versions/{number}/files/{version_files(record, number)[0].id}").status_code == 404


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_current_version_sealed_above_the_record_row_hides_the_record(client, login_as, coordinator, role):
    """The sealed metadata wins over a row lowered behind the application's back (strictest of the two)."""
    record = file_record(coordinator, "Sealed for coordinators", confidentiality="coordinators")
    db.session.execute(sa.text("UPDATE records SET confidentiality = 'restricted' WHERE id = :id"), {"id": record.id})
    db.session.commit()
    login_as(role)
    assert client.get(f"/archive/records/{record.id}").status_code == 404
    assert client.get(f"/archive/records/{record.id}/versions/1").status_code == 404


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_search_files_the_current_text_under_the_strictest_of_row_and_seal(client, login_as, coordinator, role):
    """The index holds the current version's text: it obeys that version's sealed level and embargo too."""
    sealed_high = file_record(
        coordinator, "Sealed high", confidentiality="coordinators", description_source="quokkaword positions"
    )
    sealed_embargo = file_record(
        coordinator,
        "Sealed embargo",
        embargo_until=utcnow() + timedelta(days=5),
        description_source="wombatword wording",
    )
    db.session.execute(
        sa.text("UPDATE records SET confidentiality = 'restricted' WHERE id = :id"), {"id": sealed_high.id}
    )
    db.session.execute(sa.text("UPDATE records SET embargo_until = NULL WHERE id = :id"), {"id": sealed_embargo.id})
    db.session.commit()
    services.rebuild()
    login_as(role)
    for word in ("quokkaword", "wombatword", "sealed"):
        assert search_total(client, word)[0] == 0, word
    assert client.get(f"/archive/records/{sealed_embargo.id}").status_code == 404


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_file_of_another_record_is_not_served_under_a_visible_version(client, login_as, lowered, coordinator, role):
    secret = file_record(
        coordinator, "Other secret", confidentiality="coordinators", files=[("other.pdf", pdf("other secret"))]
    )
    secret_file = version_files(secret, 1)[0]
    v1_file = version_files(lowered, 1)[0]
    login_as(role)
    for number in (1, 2):
        for file_id in (secret_file.id, v1_file.id):
            url = f"/archive/records/{lowered.id}/versions/{number}/files/{file_id}"
            assert client.get(url).status_code == 404, url
    assert client.get(f"/archive/records/{secret.id}/versions/1/files/{secret_file.id}").status_code == 404
