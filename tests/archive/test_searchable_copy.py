"""Scanned paper: beside the original, the worker makes a searchable PDF/A copy with OCRmyPDF; the
original's bytes, hash and seal never change, and the copy is served with the original's checks.

Needs Tesseract with the script models, pdftoppm and pdftotext, and OCRmyPDF (installed by .ci/run).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import timedelta

import pypdf
import pytest
import sqlalchemy as sa

from secretariat import worker
from secretariat.archive import files, searchable_copy, services
from secretariat.archive.models import Blob, RecordFile, RecordVersion, SearchableCopy
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")
ImageFont = pytest.importorskip("PIL.ImageFont")

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ["The Asia-Europe Meeting adopted the Chair's Statement.", "Partners welcomed the Ulaanbaatar Declaration."]
WORDS = ["Asia-Europe", "Meeting", "adopted", "Statement", "Partners", "welcomed", "Ulaanbaatar", "Declaration"]


@pytest.fixture(autouse=True)
def ocrmypdf(app):
    missing = [tool for tool in ("tesseract", "pdftoppm", "pdftotext", "ocrmypdf", "prlimit") if not shutil.which(tool)]
    missing += [FONT] if not os.path.exists(FONT) else []
    if missing:
        if os.environ.get("REQUIRE_OCR") == "1":
            pytest.fail(f"REQUIRE_OCR=1 but missing: {missing}")
        pytest.skip(f"searchable copies need {missing} (see README)")
    app.config["EXTRACTION_RECOGNISE"] = True
    yield
    app.config.update(EXTRACTION_RECOGNISE=False, EXTRACTION_RECOGNISE_WALL_SECONDS=600)


def scan(kind: str = "pdf", *, dpi: bool = True) -> tuple[str, bytes]:
    """Two lines printed on a page and scanned at 300 dpi: a PDF holding only that image, or the image."""
    face = ImageFont.truetype(FONT, 44)
    page = Image.new("L", (2480, 400), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(LINES):
        draw.text((120, 100 + 90 * number), line, font=face, fill=0)
    out = io.BytesIO()
    if kind == "pdf":
        page.save(out, "PDF", resolution=300)
    else:
        page.save(out, kind.upper(), **({"dpi": (300, 300)} if dpi else {}))
    return f"scan.{kind}", out.getvalue()


def copies_job() -> str:
    """The worker's job, as `flask worker` runs it at each poll."""
    (job,) = [job for job in worker.jobs() if job.name == "searchable copies"]
    return worker.run_job(job)


def filed_file() -> RecordFile:
    row = db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()))
    db.session.refresh(row)
    return row


def sealed_state(row: RecordFile) -> tuple:
    """What the archive seals of the original: its row, its version's seal, its stored bytes' hash."""
    version = db.session.get(RecordVersion, row.version_id)
    db.session.refresh(version)
    return (
        row.blob_sha256,
        row.size,
        row.mime_type,
        row.filename,
        version.seal_sha256,
        files.hash_of_stored(row.blob_sha256),
    )


def text_layer(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)  # noqa: S607
    return done.stdout.decode()


def pdfa_part(data: bytes) -> tuple[str, str, list[str]]:
    """The PDF/A part and conformance its XMP metadata declares, and its output intents' kinds."""
    root = pypdf.PdfReader(io.BytesIO(data)).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    part = re.search(r'pdfaid:part(?:="|>)(\d)', xmp)
    conformance = re.search(r'pdfaid:conformance(?:="|>)(\w)', xmp)
    intents = [str(intent.get_object()["/S"]) for intent in root.get("/OutputIntents", [])]
    return (part.group(1) if part else "", conformance.group(1) if conformance else "", intents)


def download_url(record_id: int, file_id: int, copy: bool = False) -> str:
    return f"/archive/records/{record_id}/versions/1/files/{file_id}" + ("/searchable-copy" if copy else "")


def test_a_scanned_pdf_gets_a_searchable_pdfa_copy_and_the_original_stays_sealed(client, login_as):
    name, original = scan("pdf")
    coordinator = make_user("coordinator", partner_code="EU")
    record = file_record(coordinator, "Scanned chair's statement", files=[(name, original)])
    row = filed_file()
    assert row.text_recognised and row.text_status == "extracted"
    queued = db.session.get(SearchableCopy, row.id)
    assert (queued.status, queued.model) == ("pending", "Latin")  # the model recognition chose
    before = sealed_state(row)

    assert copies_job() == "1 searchable copy made."
    assert copies_job() == "0 searchable copies made."

    copy = db.session.get(SearchableCopy, row.id)
    db.session.refresh(copy)
    assert copy.status == "made" and copy.blob_sha256 != row.blob_sha256
    assert db.session.get(Blob, copy.blob_sha256).size == copy.size
    made = files.read(copy.blob_sha256)
    layer = text_layer(made)
    found = [word for word in WORDS if word in layer]
    print(f"\nsearchable copy: {len(made)} bytes, {len(found)} of {len(WORDS)} words in its text layer")
    assert len(found) >= len(WORDS) - 1, layer  # one word of a scan may be misread
    assert text_layer(original).strip() == ""  # the original has no text layer: it is left as it was
    assert pdfa_part(made) == ("2", "B", ["/GTS_PDFA1"])
    assert sealed_state(row) == before
    report = services.verify()
    assert report.problems == []

    login_as("official", partner_code="JP")
    page = page_text(client.get(f"/archive/records/{record.id}"))
    link = (
        f'<a href="{download_url(record.id, row.id, copy=True)}">'
        f"Searchable copy (PDF/A, text recognised, confidence {row.text_confidence}%)</a>"
    )
    assert link in page
    response = client.get(download_url(record.id, row.id, copy=True))
    assert response.status_code == 200 and response.data == made
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="scan (searchable).pdf"')
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get(download_url(record.id, row.id)).data == original  # byte for byte as uploaded


def test_an_image_without_a_resolution_is_copied_as_scanned_at_300_dpi(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Scanned letter", files=[scan("png", dpi=False)])
    row = filed_file()
    assert copies_job() == "1 searchable copy made."
    made = files.read(db.session.get(SearchableCopy, row.id).blob_sha256)
    reader = pypdf.PdfReader(io.BytesIO(made))
    assert len(reader.pages) == 1 and round(float(reader.pages[0].mediabox.width)) == 595  # 2480 px at 300 dpi
    assert "Ulaanbaatar" in text_layer(made)
    assert pdfa_part(made)[:2] == ("2", "B")


def test_a_partners_official_cannot_fetch_the_copy_of_a_coordinators_only_record(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    secret = file_record(coordinator, "Coordinators' scan", files=[scan("pdf")], confidentiality="coordinators")
    secret_file = filed_file()
    shared = file_record(coordinator, "Shared record", files=[scan("png")])
    assert copies_job() == "1 searchable copy made."
    assert copies_job() == "1 searchable copy made."

    login_as("official", partner_code="JP")
    assert client.get(f"/archive/records/{secret.id}").status_code == 404
    # Guessing ids: the secret record's own path, and a record the official may see with the secret file's id.
    assert client.get(download_url(secret.id, secret_file.id, copy=True)).status_code == 404
    assert client.get(download_url(shared.id, secret_file.id, copy=True)).status_code == 404
    assert client.get(download_url(secret.id, secret_file.id)).status_code == 404

    client.logout()
    login_as("coordinator", partner_code="EU")
    assert client.get(download_url(secret.id, secret_file.id, copy=True)).status_code == 200


def test_a_failure_is_shown_tried_again_a_few_times_and_never_loses_the_original(app, client, login_as, runner):
    name, original = scan("pdf")
    coordinator = make_user("coordinator", partner_code="EU")
    record = file_record(coordinator, "Scan that times out", files=[(name, original)])
    row = filed_file()
    before = sealed_state(row)
    app.config["EXTRACTION_RECOGNISE_WALL_SECONDS"] = 0.2  # OCRmyPDF cannot even start in that time

    assert copies_job() == "0 searchable copies made, 1 failed."
    copy = db.session.get(SearchableCopy, row.id)
    db.session.refresh(copy)
    assert (copy.status, copy.attempts, copy.problem) == ("pending", 1, "it took longer than 0.2 seconds")
    left = subprocess.run(["pgrep", "-f", "searchable-copy-"], capture_output=True, check=False)  # noqa: S607
    assert left.stdout == b""  # stopped with its session
    assert copies_job() == "0 searchable copies made."  # the next try waits a while

    login_as("official", partner_code="JP")
    page = page_text(client.get(f"/archive/records/{record.id}"))
    assert "the last try failed (it took longer than 0.2 seconds) and it will be tried again" in page

    for attempt in (2, 3):
        db.session.execute(sa.update(SearchableCopy).values(claimed_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
        assert copies_job() == "0 searchable copies made, 1 failed."
        db.session.refresh(copy)
        assert copy.attempts == attempt
    assert (copy.status, copy.attempts, copy.blob_sha256) == ("failed", searchable_copy.MAX_ATTEMPTS, None)
    db.session.execute(sa.update(SearchableCopy).values(claimed_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert copies_job() == "0 searchable copies made."  # given up: no more tries

    page = page_text(client.get(f"/archive/records/{record.id}"))
    assert "No searchable copy could be made: it took longer than 0.2 seconds (the original is kept as filed)" in page
    assert "searchable-copy" not in page
    assert client.get(download_url(record.id, row.id, copy=True)).status_code == 404
    assert client.get(download_url(record.id, row.id)).data == original
    assert sealed_state(row) == before

    app.config["EXTRACTION_RECOGNISE_WALL_SECONDS"] = 600
    result = runner.invoke(args=["archive", "searchable-copies", "--retry-failed"])
    assert result.output == "1 file(s) queued; 1 searchable copies made, 0 failed (the worker tries again).\n"
    assert sealed_state(row) == before


def test_an_ocrmypdf_error_is_named(app):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Scan", files=[scan("pdf")])
    row = filed_file()
    db.session.execute(sa.update(SearchableCopy).values(model="Klingon"))
    db.session.commit()
    assert copies_job() == "0 searchable copies made, 1 failed."
    copy = db.session.get(SearchableCopy, row.id)
    db.session.refresh(copy)
    assert copy.problem == "the recognition model it needs is not installed on this server"


def test_the_command_makes_the_copies_of_files_recognised_before(runner):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Scanned last year", files=[scan("tiff")])
    row = filed_file()
    db.session.execute(sa.delete(SearchableCopy))  # recognised before copies were made
    db.session.commit()

    result = runner.invoke(args=["archive", "searchable-copies"])
    assert result.output == "1 file(s) queued; 1 searchable copies made, 0 failed (the worker tries again).\n"
    copy = db.session.get(SearchableCopy, row.id)
    assert copy.status == "made" and copy.model == ""  # its model chosen again, as recognition chooses it
    assert "Ulaanbaatar" in text_layer(files.read(copy.blob_sha256))
    assert runner.invoke(args=["archive", "searchable-copies"]).output.startswith("0 file(s) queued; 0 searchable")


def test_a_file_kept_in_a_new_version_keeps_its_copy(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    record = file_record(coordinator, "Scanned report", files=[scan("pdf")])
    first = filed_file()
    assert copies_job() == "1 searchable copy made."
    data = {**services.record_metadata(record), "record_date": record.record_date, "title": "Scanned report (final)"}
    services.revise_record(
        record,
        data,
        [],
        keep_file_ids={first.id},
        change_note="title",
        expected_version=record.version,
        actor=coordinator,
    )
    db.session.commit()
    kept = filed_file()
    assert kept.id != first.id and kept.blob_sha256 == first.blob_sha256
    assert (kept.text_recognised, kept.text_confidence) == (first.text_recognised, first.text_confidence)
    copy, earlier = db.session.get(SearchableCopy, kept.id), db.session.get(SearchableCopy, first.id)
    assert (copy.status, copy.blob_sha256) == ("made", earlier.blob_sha256)  # the same bytes, not made again

    login_as("official", partner_code="JP")
    page = page_text(client.get(f"/archive/records/{record.id}"))
    url = f"/archive/records/{record.id}/versions/2/files/{kept.id}/searchable-copy"
    assert f'<a href="{url}">Searchable copy (PDF/A, text recognised' in page
    assert client.get(url).data == files.read(earlier.blob_sha256)
