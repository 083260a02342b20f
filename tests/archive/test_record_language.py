"""Each record and each file has a language: detected at filing, stored, corrected by the coordinator filing it.

The record's language is the filer's choice, or with the form's default ("Detect automatically")
the detector's reading of its title and description. Each file's is detected when its text is read
(the worker, for an upload) and shown on the record's page, where a coordinator corrects it: the
correction is audited and the record is indexed again in that language.
"""

import io
import json
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from secretariat.archive import searching, services
from secretariat.archive.models import Record, RecordFile, RecordVersion
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.archive.helpers import docx, file_record
from tests.factories import make_user, page_text, run_worker

#: a sentence in each language, as a partner would file it
TEXTS = {
    "fr": "Les délégations ont adopté une déclaration commune sur la sécurité alimentaire et la pêche durable.",
    "zh": "各国代表团在北京通过了主席声明，并讨论了可持续发展与互联互通的合作。",
    "ja": "東京で開かれた閣僚会合では、防災と高齢化社会への対応について意見が交わされました。",
    "th": "การประชุมที่กรุงเทพมหานครได้รับรองแถลงการณ์ร่วมว่าด้วยความร่วมมือด้านการท่องเที่ยวอย่างยั่งยืน",
    "en": "The ministers met in Brussels and adopted a joint statement on sustainable connectivity.",
}


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def _file_through_the_form(client, title: str, description: str, uploads, language: str | None = None):
    data = {
        "title": title,
        "record_type": "report",
        "record_date": "2024-05-20",
        "confidentiality": "restricted",
        "description_source": description,
        "files": [(io.BytesIO(content), name) for name, content in uploads],
    }
    if language is not None:
        data["language"] = language
    response = client.submit("/archive/records/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _files(record_id: int) -> dict[str, RecordFile]:
    rows = db.session.scalars(
        sa.select(RecordFile)
        .join(RecordVersion, RecordVersion.id == RecordFile.version_id)
        .where(RecordVersion.record_id == record_id)
        .order_by(RecordFile.id)
    )
    return {row.filename: row for row in rows}


def found(query: str, reader) -> list[str]:
    return [obj.title for _, obj, *_ in searching.run(MultiDict({"q": query}), reader).hits]


def test_the_form_offers_detection_first_and_chooses_it(client, coordinator):
    client.login(coordinator.email)
    page = page_text(client.get("/archive/records/new"))
    select = re.search(r'<select[^>]*name="language".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option([^>]*)value="([^"]+)"', select)
    assert options[0][1] == "auto" and "selected" in select.split("</option>")[0]
    assert "Detect automatically" in select


def test_each_files_language_is_detected_when_filed_french_chinese_japanese_thai(client, coordinator):
    client.login(coordinator.email)
    uploads = [(f"text-{code}.txt", text.encode()) for code, text in TEXTS.items()]
    uploads.append(("note-fr.docx", docx(TEXTS["fr"])))
    record_id = _file_through_the_form(client, "Statements of the partners", "", uploads)
    assert {row.language for row in _files(record_id).values()} == {None}  # the worker has not read them
    run_worker()
    db.session.expire_all()
    languages = {name: row.language for name, row in _files(record_id).items()}
    assert languages == {
        "text-fr.txt": "fr",
        "text-zh.txt": "zh",
        "text-ja.txt": "ja",
        "text-th.txt": "th",
        "text-en.txt": "en",
        "note-fr.docx": "fr",
    }
    # the record page says each file's language, in words
    page = page_text(client.get(f"/archive/records/{record_id}"))
    for name in ("French", "Chinese", "Japanese", "Thai", "English"):
        assert f"· {name} ·" in page


@pytest.mark.parametrize("code", ["fr", "zh", "ja", "th"])
def test_the_records_language_is_detected_at_filing_when_asked(client, coordinator, code):
    client.login(coordinator.email)
    record_id = _file_through_the_form(client, TEXTS[code][:12], TEXTS[code], [])
    assert db.session.get(Record, record_id).language == code
    reader = make_user("official")
    assert found(f"lang:{code}", reader) == [TEXTS[code][:12]]


def test_the_filers_choice_stands_and_english_is_the_fallback(client, coordinator):
    client.login(coordinator.email)
    chosen = _file_through_the_form(client, "Déclaration", TEXTS["fr"], [], language="de")
    assert db.session.get(Record, chosen).language == "de"
    too_short = _file_through_the_form(client, "Note", "", [])
    assert db.session.get(Record, too_short).language == "en"


def test_generated_text_gets_its_language_at_filing(app, coordinator):
    prepared = services.prepare_generated_text("statement.txt", TEXTS["zh"])
    assert prepared.language == "zh"
    record = file_record(coordinator, "声明", language="auto")
    assert record.language == "en"  # a title of two characters says too little


@pytest.fixture
def french_record(coordinator):
    """A record filed with a French file (detected) and an English description, as the worker leaves it."""
    record = file_record(
        coordinator,
        "Joint statement",
        description_source="Adopted at the ministerial meeting.",
        files=[("declaration.txt", TEXTS["fr"].encode())],
    )
    return record.id


def _correct(client, record_id: int, file_id: int, language: str, page: str | None = None):
    return client.submit(
        f"/archive/records/{record_id}/files/{file_id}/language",
        {"language": language},
        page=page or f"/archive/records/{record_id}",
    )


def test_the_coordinator_corrects_a_files_language_audited_and_reindexed(client, coordinator, french_record):
    row = _files(french_record)["declaration.txt"]
    assert row.language == "fr"
    reader = make_user("official")
    assert found("lang:fr", reader) == ["Joint statement"]
    client.login(coordinator.email)
    page = page_text(client.get(f"/archive/records/{french_record}"))
    assert f'<label for="file-language-{row.id}">Language of declaration.txt</label>' in page
    response = _correct(client, french_record, row.id, "it")
    assert response.status_code == 302
    db.session.expire_all()
    assert _files(french_record)["declaration.txt"].language == "it"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "archive.file_language"))
    details = json.loads(entry.details)
    assert details["before"] == "fr" and details["after"] == "it"
    assert details["file_id"] == row.id and str(entry.object_id) == str(french_record)
    # indexed again, in the language set: found under Italian, no longer under French
    assert found("lang:it", reader) == ["Joint statement"]
    assert found("lang:fr", reader) == []
    assert "Italian" in page_text(client.get(f"/archive/records/{french_record}"))
    # the version filed stays as sealed: the correction is not a new version
    assert db.session.get(Record, french_record).current_version == 1
    assert services.verify().problems == []


def test_a_language_not_in_the_list_is_refused(client, coordinator, french_record):
    row = _files(french_record)["declaration.txt"]
    client.login(coordinator.email)
    response = _correct(client, french_record, row.id, "xx<script>")
    assert response.status_code == 302
    db.session.expire_all()
    assert _files(french_record)["declaration.txt"].language == "fr"
    assert "Choose a language from the list." in page_text(client.get(response.headers["Location"]))


def test_a_correction_without_its_csrf_token_is_refused(client, coordinator, french_record):
    row = _files(french_record)["declaration.txt"]
    client.login(coordinator.email)
    response = client.post(f"/archive/records/{french_record}/files/{row.id}/language", data={"language": "it"})
    assert response.status_code == 400
    db.session.expire_all()
    assert _files(french_record)["declaration.txt"].language == "fr"


@pytest.mark.parametrize("role", ["official", "observer"])
def test_who_may_not_edit_cannot_correct_and_is_not_shown_the_form(client, coordinator, french_record, role):
    """An official of another partner (or an observer) reads the record but may not correct it: 403."""
    row = _files(french_record)["declaration.txt"]
    reader = make_user(role, partner_code="TH")
    client.login(reader.email)
    page = page_text(client.get(f"/archive/records/{french_record}"))
    assert "French" in page and "Correct the language" not in page
    response = _correct(client, french_record, row.id, "it")
    assert response.status_code == 403
    db.session.expire_all()
    assert _files(french_record)["declaration.txt"].language == "fr"
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "archive.file_language")) is None


def test_a_file_of_another_record_or_of_an_earlier_version_is_not_found(client, coordinator, french_record):
    other = file_record(coordinator, "Other record", files=[("other.txt", TEXTS["en"].encode())])
    other_file = _files(other.id)["other.txt"]
    client.login(coordinator.email)
    assert _correct(client, french_record, other_file.id, "it").status_code == 404
    # a new version copies the file: the first version's row is history, not corrected
    record = db.session.get(Record, french_record)
    first = _files(french_record)["declaration.txt"]
    services.revise_record(
        record,
        {**services.record_metadata(record), "record_date": record.record_date},
        [],
        keep_file_ids={first.id},
        change_note="Description clarified",
        expected_version=record.version,
        actor=coordinator,
    )
    db.session.commit()
    assert _correct(client, french_record, first.id, "it").status_code == 404
    copy = db.session.scalar(
        sa.select(RecordFile).where(RecordFile.filename == "declaration.txt", RecordFile.id != first.id)
    )
    assert copy.language == "fr"  # the copy keeps the language found for the file
    assert _correct(client, french_record, copy.id, "it").status_code == 302


def test_a_coordinators_only_record_is_not_found_by_a_partner_who_guesses_its_file(client, coordinator):
    secret = file_record(
        coordinator, "Secret note", confidentiality="coordinators", files=[("s.txt", TEXTS["fr"].encode())]
    )
    row = _files(secret.id)["s.txt"]
    client.login(make_user("official").email)
    assert client.get(f"/archive/records/{secret.id}").status_code == 404
    assert _correct(client, secret.id, row.id, "it", page="/archive/").status_code in (403, 404)
