"""Bulk import of historical records from the browser: a .zip (or the manifest and its files), a
preview of every line with its problems, then all filed or none (issue 28, point 16)."""

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from secretariat.archive.models import Record
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.archive.helpers import pdf
from tests.factories import page_text

HEADER = "files,title,type,date,meeting,partners,language,confidentiality,tags,description\n"
GOOD = (
    HEADER + "asem1.pdf,Chairman's Statement ASEM1,chairs_statement,1996-03-02,,TH,en,public,summit,First summit\n"
    "notes.txt,Notes of the first summit,report,1996-03-03,,,en,restricted,,\n"
)
BAD = (
    HEADER + "asem1.pdf,Chairman's Statement ASEM1,chairs_statement,1996-03-02,,TH,en,public,summit,First summit\n"
    "virus.pdf,Bad file,report,1996-03-02,,,en,restricted,,\n"
    "missing.pdf,Missing file,report,1996-13-02,ASEM99,XX,en,secret,,\n"
)
FILES = {"asem1.pdf": pdf("Bangkok 1996"), "notes.txt": b"Notes taken in Bangkok.", "virus.pdf": b"MZ" + b"\0" * 200}


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def upload(client, files: dict[str, bytes]):
    return client.submit(
        "/archive/import",
        {"files": [(io.BytesIO(data), name) for name, data in files.items()]},
        content_type="multipart/form-data",
    )


def records() -> int:
    return db.session.scalar(sa.select(sa.func.count(Record.id)))


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', body).group(1)


@pytest.fixture
def coordinator(client, login_as):
    return login_as("coordinator", partner_code="EU")


def test_the_preview_shows_every_line_with_its_problems_and_files_nothing(client, coordinator):
    response = upload(client, {"records.zip": zipped({"manifest.csv": BAD.encode(), **FILES})})
    body = page_text(response)
    assert response.status_code == 400
    assert "6 problems: nothing will be filed" in body  # every line checked, not stopped at the first
    assert "Line 3: “virus.pdf”: This is a program" in body
    assert "Line 4: file “missing.pdf” is not in the folder." in body
    assert "Line 4: partner “XX” is unknown." in body and "Line 4: confidentiality" in body
    assert re.search(r"<th scope=\"row\">2</th>.*?Ready", body, re.S)  # the right line says so
    assert "nothing will be filed" in body and 'name="token"' not in body
    assert records() == 0


def test_a_right_manifest_is_previewed_then_filed_whole_and_audited(client, coordinator):
    body = page_text(
        upload(
            client,
            {
                "records.zip": zipped(
                    {
                        "history/manifest.csv": GOOD.encode(),
                        **{f"history/{n}": d for n, d in FILES.items() if n != "virus.pdf"},
                    }
                )
            },
        )
    )
    assert "File these 2 records" in body
    assert records() == 0  # a preview files nothing
    response = client.submit("/archive/import/file", {"token": token_of(body)}, page="/archive/import")
    assert response.status_code == 302
    assert records() == 2
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "archive.bulk_import"))
    assert entry is not None and '"count":2' in entry.details
    # The same upload cannot be filed twice.
    again = client.submit(
        "/archive/import/file", {"token": token_of(body)}, page="/archive/import", follow_redirects=True
    )
    assert "unknown or has expired" in page_text(again) and records() == 2


def test_the_manifest_and_its_files_can_be_chosen_together(client, coordinator):
    files = {"manifest.csv": GOOD.encode(), "asem1.pdf": FILES["asem1.pdf"], "notes.txt": FILES["notes.txt"]}
    body = page_text(upload(client, files))
    client.submit("/archive/import/file", {"token": token_of(body)}, page="/archive/import")
    assert records() == 2


def test_an_upload_is_filed_only_by_who_sent_it(client, coordinator, login_as):
    body = page_text(upload(client, {"manifest.csv": GOOD.encode(), **FILES}))
    token = token_of(body)
    client.logout()
    login_as("coordinator", partner_code="EU")
    response = client.submit("/archive/import/file", {"token": token}, page="/archive/import", follow_redirects=True)
    assert "unknown or has expired" in page_text(response) and records() == 0


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt", "dir\\..\\escape.txt"])
def test_a_zip_member_that_names_a_path_outside_is_refused(client, coordinator, name, tmp_path):
    response = upload(client, {"records.zip": zipped({"manifest.csv": GOOD.encode(), name: b"x", **FILES})})
    assert response.status_code == 400
    assert "does not belong in an upload" in page_text(response)
    assert records() == 0


def test_partners_users_may_not_import(client, login_as):
    login_as("official")
    assert client.get("/archive/import").status_code == 403
    assert client.submit("/archive/import/file", {"token": "0" * 32}, page="/account").status_code == 403
