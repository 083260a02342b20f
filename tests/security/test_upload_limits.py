"""Denial of service by upload: zip bombs of every compression method, text extraction kept out of
the request and bounded in a child process, HTML recognised past byte order marks and whitespace."""

from __future__ import annotations

import bz2
import io
import os
import struct
import time
import zipfile
import zlib

import pytest
import sqlalchemy as sa

from secretariat.archive import extraction, files, services, textextract
from secretariat.archive.files import FileRefused
from secretariat.archive.models import Record, RecordFile
from secretariat.extensions import db
from secretariat.timeutil import utcnow
from tests.archive.helpers import docx, pdf
from tests.factories import make_user, page_text, run_worker

RECORD_FORM = {
    "title": "Hostile annex",
    "record_type": "report",
    "record_date": "2024-01-01",
    "language": "en",
    "confidentiality": "restricted",
}
#: what a hostile file may cost, at most, on a slow and busy machine
QUICK = 8.0


# --- hostile files, built here -----------------------------------------------------------------------


def raw_zip(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip written by hand: (name, method, compressed bytes, declared size, CRC) per entry, sizes as claimed."""
    out, central = io.BytesIO(), []
    for name, method, payload, declared, crc in entries:
        offset = out.tell()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(payload), declared, len(name), 0)
        out.write(header + name.encode() + payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(payload),
                declared,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name.encode()
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def bzip2_docx_bomb(expanded: int = 64 * 1024 * 1024) -> bytes:
    """A DOCX of a few hundred bytes whose document.xml is bzip2 expanding to ``expanded`` bytes, declared as 1 KB."""
    packed = bz2.compress(b"\x00" * expanded)
    return raw_zip(
        [
            ("[Content_Types].xml", zipfile.ZIP_STORED, b"<Types/>", 8, zlib.crc32(b"<Types/>")),
            ("word/document.xml", zipfile.ZIP_BZIP2, packed, 1024, 0),
        ]
    )


def bulky_docx(xml_size: int, parts: int = 1) -> bytes:
    """A DOCX with ``xml_size`` bytes of paragraphs in its document.xml and ``parts - 1`` headers, with enough
    noise to pass the ratio check. Written in chunks to the zip (fast level): the test never holds the XML whole.
    """
    unit = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    block = unit * (64 * 1024 // len(unit))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in ["word/document.xml"] + [f"word/header{n}.xml" for n in range(1, parts)]:
            with archive.open(name, "w", force_zip64=True) as part:
                part.write(b'<w:document xmlns:w="w"><w:body>')
                written = 0
                while written < xml_size // parts:
                    noise = b"<w:p><w:r><w:t>" + os.urandom(200).hex().encode() + b"</w:t></w:r></w:p>"
                    part.write(block + noise)
                    written += len(block) + len(noise)
                part.write(b"</w:body></w:document>")
    return out.getvalue()


def pdf_with_a_huge_stream(expanded: int = 200 * 1024 * 1024) -> bytes:
    """A one-page PDF whose content stream is a flate stream of ``expanded`` bytes (a few hundred KB on disk)."""
    compressor = zlib.compressobj(1)
    packed = b"".join(compressor.compress(b" " * (16 * 1024 * 1024)) for _ in range(expanded // (16 * 1024 * 1024)))
    packed += compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length " + str(len(packed)).encode() + b" /Filter /FlateDecode >>\nstream\n" + packed + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def upload(client, name: str, data: bytes):
    return client.submit(
        "/archive/records/new",
        {**RECORD_FORM, "files": [(io.BytesIO(data), name)]},
        content_type="multipart/form-data",
        page="/archive/records/new",
    )


def filed_file() -> RecordFile:
    db.session.expire_all()
    return db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()))


@pytest.fixture
def limits(app):
    """Change the extraction limits for one test."""
    saved = {
        key: app.config[key] for key in ("EXTRACTION_MEMORY_MB", "EXTRACTION_CPU_SECONDS", "EXTRACTION_WALL_SECONDS")
    }

    def set_limits(**values):
        app.config.update({f"EXTRACTION_{key.upper()}": value for key, value in values.items()})

    yield set_limits
    app.config.update(saved)


# --- item 6: zip bombs of every compression method ------------------------------------------------


def test_a_bzip2_docx_bomb_is_refused_at_upload_with_the_reason(client, login_as):
    login_as("coordinator")
    bomb = bzip2_docx_bomb()
    assert len(bomb) < 1024
    started = time.monotonic()
    response = upload(client, "bomb.docx", bomb)
    assert time.monotonic() - started < QUICK
    assert response.status_code == 400
    assert "compressed with bzip2, which office programs do not use" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


@pytest.mark.parametrize(
    "method, name", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA"), (9, "Deflate64"), (99, "method 99")]
)
def test_every_compression_method_but_stored_and_deflate_is_refused(app, method, name):
    bomb = raw_zip(
        [
            ("[Content_Types].xml", zipfile.ZIP_STORED, b"<Types/>", 8, zlib.crc32(b"<Types/>")),
            ("word/document.xml", method, b"\x00" * 64, 64, 0),
        ]
    )
    with pytest.raises(FileRefused, match=f"compressed with {name}"):
        files.sniff(bomb)


def test_a_bzip2_mimetype_part_is_refused_before_it_is_read(app):
    """An ODT names its type in its first part, which sniffing reads: a bomb there is refused unread."""
    bomb = raw_zip([("mimetype", zipfile.ZIP_BZIP2, bz2.compress(b"\x00" * (64 * 1024 * 1024)), 39, 0)])
    with pytest.raises(FileRefused, match="bzip2"):
        files.sniff(bomb)


def test_a_bomb_already_in_the_store_is_refused_by_the_extraction_too(app):
    """Files archived before the checks existed reach the worker: its reader refuses them too, unread."""
    started = time.monotonic()
    extraction_ = textextract.extract_text(bzip2_docx_bomb(), files.DOCX)
    assert time.monotonic() - started < QUICK
    assert extraction_.status == "failed" and "bzip2" in extraction_.problem


def test_decompressed_bytes_are_counted_while_streaming_per_part_and_per_file(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(3):  # three parts of 40 MB: each under the part limit, together over the file's
            with archive.open(f"word/header{n}.xml", "w") as part:
                for _ in range(40):
                    part.write(b"<a/>" * (256 * 1024))
    with zipfile.ZipFile(out) as archive:
        budget = textextract.Budget()
        budget.read(archive, "word/header0.xml")
        budget.read(archive, "word/header1.xml")
        with pytest.raises(textextract.Unreadable, match="the document expands to more than 100 MB"):
            budget.read(archive, "word/header2.xml")
        with pytest.raises(textextract.Unreadable, match="a part of the document expands to more than 1 MB"):
            textextract.Budget().read(archive, "word/header0.xml", limit=1024 * 1024)


def test_a_pdf_with_a_huge_flate_stream_is_bounded(app):
    bomb = pdf_with_a_huge_stream()
    assert len(bomb) < 2 * 1024 * 1024
    started = time.monotonic()
    path = files.blob_path(files.store(bomb))
    extraction_ = extraction.extract_in_child(str(path), files.PDF, extraction.Limits.from_config())
    assert time.monotonic() - started < QUICK
    assert extraction_.status == "failed"
    assert extraction_.problem == "a part of the PDF expands to more than 50 MB"


# --- item 7: extraction out of the request, in a limited child ---------------------------------------


@pytest.mark.parametrize(
    "parts, reason",
    [
        (1, "a part of the document expands to more than 50 MB"),
        (6, "the document expands to more than 100 MB"),  # six parts of 48 MB, each under the part limit
    ],
)
def test_a_docx_of_290_mb_of_xml_is_filed_at_once_and_the_worker_records_why_it_has_no_text(
    client, login_as, parts, reason
):
    login_as("coordinator")
    bulky = bulky_docx(290 * 1024 * 1024, parts)
    assert len(bulky) < 5 * 1024 * 1024
    started = time.monotonic()
    response = upload(client, "bulky.docx", bulky)
    assert time.monotonic() - started < QUICK
    assert response.status_code == 302
    record_page = response.headers["Location"]
    assert filed_file().text_status == "pending"
    assert "text being extracted: searchable in a moment" in page_text(client.get(record_page))

    started = time.monotonic()
    assert run_worker() == 1
    assert time.monotonic() - started < QUICK
    row = filed_file()
    assert (row.text_status, row.text_problem) == ("failed", reason)
    assert f"text could not be extracted: {reason} (archived all the same)" in page_text(client.get(record_page))


def test_the_memory_limit_stops_the_child_and_the_reason_is_recorded(client, login_as, limits):
    login_as("coordinator")
    limits(memory_mb=128)
    assert upload(client, "heavy.docx", bulky_docx(20 * 1024 * 1024)).status_code == 302
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < QUICK
    row = filed_file()
    assert (row.text_status, row.text_problem) == ("failed", "it needed more than 128 MB of memory")


def test_the_cpu_limit_stops_the_child(client, login_as, limits):
    login_as("coordinator")
    limits(memory_mb=4096, cpu_seconds=1, wall_seconds=60)
    assert upload(client, "slow.docx", bulky_docx(40 * 1024 * 1024)).status_code == 302
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < QUICK
    row = filed_file()
    assert (row.text_status, row.text_problem) == ("failed", "it needed more than 1 seconds of processing")


def test_the_wall_clock_limit_stops_the_child(client, login_as, limits):
    login_as("coordinator")
    limits(memory_mb=4096, cpu_seconds=60, wall_seconds=1)
    assert upload(client, "slow.docx", bulky_docx(40 * 1024 * 1024)).status_code == 302
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < QUICK
    row = filed_file()
    assert (row.text_status, row.text_problem) == ("failed", "it took longer than 1 seconds")


def test_an_upload_becomes_searchable_once_the_worker_ran(client, login_as, runner):
    login_as("coordinator")
    response = upload(client, "note.docx", docx("Zanzibarian connectivity"))
    assert response.status_code == 302
    assert "Zanzibarian" not in page_text(client.get("/archive/?q=zanzibarian"))  # filed, text pending
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 file(s) extracted." in result.output
    assert "Hostile annex" in page_text(client.get("/archive/?q=zanzibarian"))
    assert "text being extracted" not in page_text(client.get(response.headers["Location"]))


def test_generated_text_is_searchable_at_once_and_uploads_wait_for_the_worker(app):
    generated = services.prepare_generated_text("agenda.txt", "Filed automatically\n\nItem 1. Opening")
    uploaded = services.prepare_upload("agenda.txt", b"Item 1. Opening")
    image = services.prepare_upload("photo.png", bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 64)
    assert (generated.text_status, generated.text) == ("extracted", "Filed automatically\n\nItem 1. Opening")
    assert (uploaded.text_status, uploaded.text) == ("pending", "")
    assert image.text_status == "empty"  # nothing to read: no job (recognition is off in the tests)
    app.config["EXTRACTION_RECOGNISE"] = True
    try:
        scan = services.prepare_upload("scan.png", bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 64)
        assert scan.text_status == "pending"
    finally:
        app.config["EXTRACTION_RECOGNISE"] = False
    with pytest.raises(FileRefused, match="HTML"):  # generated text is checked as an upload would be
        services.prepare_generated_text("x.txt", "<html><script>alert(1)</script>")


def test_workers_never_take_the_same_file_and_a_dead_workers_claim_is_taken_again(app, limits):
    coordinator = make_user("coordinator")
    services.create_record(
        {**RECORD_FORM, "record_date": utcnow().date(), "partners": []},
        [services.prepare_upload(f"n{n}.txt", f"note {n}".encode()) for n in range(2)],
        actor=coordinator,
    )
    db.session.commit()
    config = extraction.Limits.from_config()
    first, second = extraction.claim(config), extraction.claim(config)
    assert first and second and first[0] != second[0]
    assert extraction.claim(config) is None  # both taken
    # The first worker died: past the wall-clock limit and the margin, its claim is taken again.
    db.session.execute(
        sa.update(RecordFile)
        .where(RecordFile.id == first[0])
        .values(text_claimed_at=utcnow() - extraction.CLAIM_MARGIN * 3)
    )
    db.session.commit()
    again = extraction.claim(config)
    assert again == (first[0], 2)
    # The late worker's result is not written over the new claim's.
    extraction._finish(first[0], 1, textextract.Extraction("extracted", "stale"))
    db.session.commit()
    assert filed_file_by_id(first[0]).text_status == "extracting"
    extraction.extract_one(*again, config)
    assert filed_file_by_id(first[0]).extracted_text == "note 0"
    # Interrupted too often: given up, with the reason.
    db.session.execute(
        sa.update(RecordFile)
        .where(RecordFile.id == second[0])
        .values(text_claimed_at=utcnow() - extraction.CLAIM_MARGIN * 3, text_attempts=extraction.MAX_ATTEMPTS)
    )
    db.session.commit()
    assert extraction.claim(config) is None
    assert filed_file_by_id(second[0]).text_problem == "its reading was interrupted 3 times"


def filed_file_by_id(file_id: int) -> RecordFile:
    db.session.expire_all()
    return db.session.get(RecordFile, file_id)


def test_a_file_kept_in_a_new_version_before_its_text_was_read_is_read_too(app):
    coordinator = make_user("coordinator")
    record = services.create_record(
        {**RECORD_FORM, "record_date": utcnow().date(), "partners": []},
        [services.prepare_upload("kept.pdf", pdf("Ulaanbaatar"))],
        actor=coordinator,
    )
    db.session.commit()
    kept = services.current_version(record).files[0]
    services.revise_record(
        record,
        {**services.record_metadata(record), "record_date": record.record_date},
        [],
        keep_file_ids={kept.id},
        change_note="Title unchanged",
        expected_version=record.version,
        actor=coordinator,
    )
    db.session.commit()
    assert run_worker() == 2
    db.session.expire_all()
    assert [f.extracted_text for f in services.current_version(record).files] == ["Ulaanbaatar"]


# --- item 8: HTML past byte order marks, whitespace and case -------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf<html><script>alert(1)</script></html>",  # UTF-8 BOM
        b"\xef\xbb\xbf<script>alert(1)</script>",
        b"\xff\xfe" + "<html><body>x</body></html>".encode("utf-16-le"),  # UTF-16 LE BOM
        b"\xfe\xff" + "<script>alert(1)</script>".encode("utf-16-be"),  # UTF-16 BE BOM
        b"\xff\xfe\x00\x00" + "<svg onload=alert(1)>".encode("utf-32-le"),  # UTF-32 LE BOM
        b"   \r\n\t\n<html>",  # leading whitespace
        b"\n\n<!DoCtYpE HtMl><p>x",  # case
        b"<SCRIPT>alert(1)</SCRIPT>",
        b"\xef\xbb\xbf \n <svg xmlns='http://www.w3.org/2000/svg'/>",
        b"\xe2\x80\x8b<iframe src=x>",  # zero-width space
        b"\xef\xbb\xbf\xef\xbb\xbf<html>",  # two BOMs
        b"  <?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'>alert(1)</x:script>",
        b"<!-- a comment --><b>x</b>",
        b"<body onload=alert(1)>",
        b"<img/src=x onerror=alert(1)>",
    ],
)
def test_html_is_recognised_past_byte_order_marks_whitespace_and_case(app, data):
    with pytest.raises(FileRefused, match="HTML and SVG files cannot be archived"):
        files.sniff(data)


@pytest.mark.parametrize(
    "data",
    [
        b"Minutes of the SOM. The <html> element is mentioned later.",
        b"<3 thank you all",
        b"a < b and b > c",
        b"\xef\xbb\xbfPlain text with a BOM",
        b"  <<< not a tag",
    ],
)
def test_plain_text_that_merely_contains_brackets_is_still_text(app, data):
    assert files.sniff(data) == files.TXT


def test_an_upload_of_html_behind_a_bom_is_refused_with_the_reason(client, login_as):
    login_as("coordinator")
    response = upload(client, "notes.txt", b"\xef\xbb\xbf\r\n  <HTML><script>alert(1)</script>")
    assert response.status_code == 400
    assert "HTML and SVG files cannot be archived" in page_text(response)


def test_the_worker_loop_extracts_as_files_arrive_and_stops_on_sigterm(app, client, login_as):
    """`flask worker` as `make run` starts it: a loop in its own process, on the same database and storage."""
    import signal
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from secretariat import create_app\n"
        "from secretariat import worker\n"
        "app = create_app('testing', {'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'ARCHIVE_STORAGE': sys.argv[2],"
        " 'ARCHIVE_INDEX': sys.argv[3]})\n"
        "with app.app_context():\n"
        "    print('ready', flush=True)\n"
        "    worker.run_forever(poll_seconds=0.2)\n"
        "print('stopped', flush=True)\n"
    )
    config = app.config
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            program,
            str(db.engine.url.render_as_string(hide_password=False)),
            config["ARCHIVE_STORAGE"],
            config["ARCHIVE_INDEX"],
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline() == "ready\n"
        login_as("coordinator")
        assert upload(client, "loop.docx", docx("Samarkand")).status_code == 302
        deadline = time.monotonic() + QUICK
        while filed_file().text_status != "extracted" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert filed_file().extracted_text == "Samarkand"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=QUICK) == 0
        assert worker.stdout.read() == "stopped\n"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
