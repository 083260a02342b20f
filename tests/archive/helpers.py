"""Builders for archive tests: real files of each kind, records filed through the services."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from markupsafe import escape

from secretariat.archive import services
from secretariat.extensions import db
from tests.factories import run_worker


def docx(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return out.getvalue()


def odt(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            f"<office:body><office:text><text:p>{text}</text:p></office:text></office:body>"
            "</office:document-content>",
        )
    return out.getvalue()


def pdf(text: str) -> bytes:
    """A minimal valid PDF with one line of text (pypdf can read it back)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
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


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def file_record(actor, title="Chair's Statement of ASEM13", files=(), **overrides):
    data = {
        "title": title,
        "record_type": "chairs_statement",
        "record_date": date(2021, 11, 26),
        "meeting_id": None,
        "language": "en",
        "description_source": "",
        "tags": "",
        "confidentiality": "restricted",
        "embargo_until": None,
        "embargo_meeting_id": None,
        "partners": [],
    }
    data.update(overrides)
    prepared = [services.prepare_upload(name, content) for name, content in files]
    record = services.create_record(data, prepared, actor=actor)
    db.session.commit()
    services.sync()
    if prepared:
        run_worker()  # the files' text, as the worker reads it after an upload
    return record


def snippet_html(pieces) -> str:
    """A hit's snippet as the search page writes it: each piece escaped, the marked ones in <mark>."""
    return "".join(f"<mark>{escape(text)}</mark>" if marked else str(escape(text)) for text, marked in pieces)
