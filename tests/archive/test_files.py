"""Uploads: content sniffing, refusals with reasons, zip bombs, hostile names, storage, downloads."""

import io
import zipfile

import pytest

from secretariat.archive import files, services
from secretariat.archive.files import FileRefused
from tests.archive.helpers import PNG_1PX, docx, file_record, odt, pdf
from tests.factories import make_user, page_text


@pytest.mark.parametrize(
    "name, data, mime",
    [
        ("statement.pdf", pdf("Chair statement"), files.PDF),
        ("notes.docx", docx("Connectivity"), files.DOCX),
        ("notes.odt", odt("Connectivity"), files.ODT),
        ("readme.txt", "Plain text, UTF-8: Hà Nội".encode(), files.TXT),
        ("photo.png", PNG_1PX, files.PNG),
        ("renamed.exe", pdf("a pdf named .exe"), files.PDF),  # the name does not decide
    ],
)
def test_type_is_decided_by_content(app, name, data, mime):
    assert files.sniff(data) == mime


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "program"),
        (b"\x7fELF\x02\x01" + b"\x00" * 100, "program"),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "HTML and SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "HTML and SVG"),
        (b"\x00\x01\x02\x03binary junk", "cannot be archived"),
        (b"PK\x03\x04 damaged zip", "damaged"),
    ],
)
def test_refused_with_a_reason(app, data, reason):
    with pytest.raises(FileRefused, match=reason):
        files.sniff(data)


def test_a_pdf_named_file_that_is_an_executable_is_refused_on_upload(client, login_as):
    login_as("coordinator")
    response = client.submit(
        "/archive/records/new",
        {
            "title": "Looks innocent",
            "record_type": "report",
            "record_date": "2024-01-01",
            "language": "en",
            "confidentiality": "restricted",
            "files": [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 500), "report.pdf")],
        },
        content_type="multipart/form-data",
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "programs cannot be archived" in body and 'value="Looks innocent"' in body


def test_zip_bomb_is_refused_before_decompression(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))  # 50 MB of zeros, a few KB compressed
    with pytest.raises(FileRefused, match="zip bomb"):
        files.sniff(out.getvalue())


def test_too_many_entries_is_refused(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in range(files.ZIP_MAX_ENTRIES + 1):
            z.writestr(f"x/{n}", "")
    with pytest.raises(FileRefused, match="too many parts"):
        files.sniff(out.getvalue())


def test_xml_entity_expansion_in_office_files_is_not_expanded(app):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="w"><w:t>&b;</w:t></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", laughs)
    extraction = files.extract_text(out.getvalue(), files.DOCX)
    assert extraction.status == "failed" and extraction.text == ""


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        ("", "document.pdf"),
        ("a" * 400 + ".pdf", "a" * 150 + ".pdf"),
        ("Déclaration de Hà Nội 漢字.pdf", "Déclaration de Hà Nội 漢字.pdf"),
        ("evil\r\nX-Header: 1.pdf", "evilX-Header: 1.pdf"),
        ("report.exe", "report.pdf"),
    ],
)
def test_hostile_file_names_are_stored_safely(app, name, expected):
    assert files.clean_filename(name, files.PDF) == expected


def test_bytes_are_content_addressed_outside_the_web_root(app):
    prepared = services.prepare_upload("a.txt", b"same bytes")
    again = services.prepare_upload("b.txt", b"same bytes")
    assert prepared.sha256 == again.sha256
    path = files.blob_path(prepared.sha256)
    assert path.read_bytes() == b"same bytes"
    assert "static" not in str(path) and str(path).startswith(app.config["ARCHIVE_STORAGE"])
    assert not list(path.parent.glob(".incoming-*"))  # no temporary file left behind


def test_text_is_extracted_and_failure_is_reported(app):
    assert files.extract_text(pdf("Phnom Penh"), files.PDF).text == "Phnom Penh"
    assert "Connectivity" in files.extract_text(docx("Connectivity"), files.DOCX).text
    assert "Mekong" in files.extract_text(odt("Mekong"), files.ODT).text
    broken = files.extract_text(b"%PDF-1.4 garbage", files.PDF)
    assert broken.status == "failed"


def test_upload_over_the_limit_is_413_with_a_clear_message(app, client, login_as):
    login_as("coordinator")
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = client.submit(
            "/archive/records/new",
            {
                "title": "Big",
                "record_type": "report",
                "record_date": "2024-01-01",
                "language": "en",
                "confidentiality": "restricted",
                "files": [(io.BytesIO(b"x" * 10_000), "big.txt")],
            },
            content_type="multipart/form-data",
            page="/archive/records/new",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 50 * 1024 * 1024
    assert response.status_code == 413
    assert "larger than the 2 KB this site accepts. Nothing was saved." in page_text(response)


def test_downloads_are_attachments_that_never_render(client, login_as):
    coordinator = make_user("coordinator")
    record = file_record(
        coordinator,
        files=[
            ("page.txt", b"not html: <b>bold</b> <script>alert(1)</script>"),
            ('Déclaration "finale".pdf', pdf("x")),
        ],
    )
    login_as("official")
    page = page_text(client.get(f"/archive/records/{record.id}"))
    found = set(__import__("re").findall(r'href="(/archive/records/\d+/versions/1/files/\d+)"', page))
    links = sorted(found, key=lambda link: int(link.rsplit("/", 1)[1]))  # in filing order (9 before 10)
    text_response = client.get(links[0])
    assert text_response.headers["Content-Type"].startswith("text/plain")
    assert text_response.headers["Content-Disposition"].startswith("attachment;")
    assert text_response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in text_response.headers["Content-Security-Policy"]
    assert "sandbox" in text_response.headers["Content-Security-Policy"]
    pdf_response = client.get(links[1])
    disposition = pdf_response.headers["Content-Disposition"]
    assert 'filename="D_claration _finale_.pdf"' in disposition
    assert "filename*=UTF-8''D%C3%A9claration%20%22finale%22.pdf" in disposition


def test_orphans_and_missing_bytes_are_found(app, runner):
    coordinator = make_user("coordinator")
    record = file_record(coordinator, files=[("kept.txt", b"kept bytes")])
    orphan = files.store(b"bytes written before a crash, no row")
    result = runner.invoke(args=["archive", "sweep"])
    assert f"orphan {orphan}" in result.output and files.blob_path(orphan).exists()
    result = runner.invoke(args=["archive", "sweep", "--remove"])
    assert "may be an upload in progress" in result.output and files.blob_path(orphan).exists()  # too recent
    result = runner.invoke(args=["archive", "sweep", "--remove", "--grace-minutes", "0"])
    assert "(removed)" in result.output and not files.blob_path(orphan).exists()
    kept = services.current_version(record).files[0].blob_sha256
    files.blob_path(kept).unlink()
    result = runner.invoke(args=["archive", "sweep"])
    assert result.exit_code == 1 and f"MISSING bytes for {kept}" in result.output
