"""Scanned paper: text rendered in several languages to images and image-only PDFs, filed, recognised
by the extraction worker with Tesseract, and found.

Needs Tesseract with the script models, pdftoppm and the fonts (installed by .ci/run; see README).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from secretariat.archive.models import RecordFile
from secretariat.extensions import db
from tests.archive.helpers import file_record, pdf
from tests.factories import make_user, page_text

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")
ImageFont = pytest.importorskip("PIL.ImageFont")

FONTS = {
    "latin": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "thai": "/usr/share/fonts/truetype/tlwg/Norasi.ttf",
}
#: per document: its font, its lines, the words a reader would search for, and how it is scanned
SCANS = {
    "English, French, German": (
        "latin",
        [
            "The Asia-Europe Meeting adopted the Chair's Statement.",
            "Les partenaires ont adopté la déclaration de Bruxelles.",
            "Die Partner begrüßten die Erklärung von Ulaanbaatar.",
        ],
        ["Chair's", "Statement", "partenaires", "déclaration", "Bruxelles", "Partner", "Erklärung", "Ulaanbaatar"],
        "pdf",
    ),
    "Russian": (
        "latin",
        ["Партнёры обсудили устойчивое развитие.", "Встреча министров иностранных дел."],
        ["обсудили", "устойчивое", "развитие", "Встреча", "министров", "иностранных"],
        "pdf",
    ),
    "Greek": (
        "latin",
        ["Οι εταίροι συζήτησαν τη βιώσιμη ανάπτυξη.", "Συνάντηση των υπουργών εξωτερικών στην Αθήνα."],
        ["εταίροι", "συζήτησαν", "βιώσιμη", "ανάπτυξη", "υπουργών", "Αθήνα"],
        "pdf",
    ),
    # read by the Vietnamese script model: the Latin one, which script detection names, drops its tones
    "Vietnamese": (
        "latin",
        ["Các bộ trưởng đã thảo luận về biến đổi khí hậu.", "Nông nghiệp bền vững tại Hà Nội."],
        ["trưởng", "thảo", "luận", "biến", "đổi", "nghiệp", "vững", "Nội"],
        "pdf",
    ),
    "Japanese": (
        "cjk",
        ["アジア欧州会合の首脳は東京で会合した。", "連結性について合意した。"],
        ["東京", "首脳", "連結性", "合意"],
        "pdf",
    ),
    "Chinese": (
        "cjk",
        ["亚欧会议领导人在北京举行会议。", "伙伴们同意加强互联互通。"],
        ["北京", "会议", "伙伴", "互联互通"],
        "tiff",
    ),
    "Korean": (
        "cjk",
        ["아시아유럽정상회의는 서울에서 열렸다.", "정상들은 연결성에 합의했다."],
        ["서울에서", "열렸다", "연결성에", "합의했다"],
        "png",
    ),
    "Thai": (
        "thai",
        ["ผู้นำประชุมกันที่กรุงเทพมหานคร", "การประชุมเอเชียยุโรป"],
        ["ผู้นำ", "ประชุม", "กรุงเทพมหานคร", "เอเชีย", "ยุโรป"],
        "pdf",
    ),
}


@pytest.fixture(autouse=True)
def tesseract(app):
    missing = [tool for tool in ("tesseract", "pdftoppm") if shutil.which(tool) is None]
    missing += [path for path in FONTS.values() if not os.path.exists(path)]
    if missing:
        if os.environ.get("REQUIRE_OCR") == "1":
            pytest.fail(f"REQUIRE_OCR=1 but missing: {missing}")
        pytest.skip(f"text recognition needs {missing} (see README)")
    app.config["EXTRACTION_RECOGNISE"] = True
    yield
    app.config["EXTRACTION_RECOGNISE"] = False


def scan(font: str, lines: list[str], kind: str) -> tuple[str, bytes]:
    """The lines printed on a page and scanned at 300 dpi: an image, or a PDF holding only that image."""
    face = ImageFont.truetype(FONTS[font], 44)
    page = Image.new("L", (2480, 200 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((120, 100 + 90 * number), line, font=face, fill=0)
    out = io.BytesIO()
    if kind == "pdf":
        page.save(out, "PDF", resolution=300)
    else:
        page.save(out, kind.upper(), dpi=(300, 300))
    return f"scan.{'tif' if kind == 'tiff' else kind}", out.getvalue()


@pytest.mark.parametrize("language", list(SCANS))
def test_scanned_paper_is_recognised_and_its_words_found(client, login_as, language):
    font, lines, words, kind = SCANS[language]
    coordinator = make_user("coordinator", partner_code="EU")
    record = file_record(coordinator, f"Scanned letter ({language})", files=[scan(font, lines, kind)])
    row = db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()))
    db.session.refresh(row)
    assert row.text_status == "extracted" and row.text_recognised
    text = row.extracted_text
    recognised = [word for word in words if word in text]
    print(f"\n{language}: {len(recognised)} of {len(words)} words recognised, confidence {row.text_confidence}%")
    assert len(recognised) >= len(words) - 1, text  # one word in a scan may be misread
    assert row.text_confidence >= 60

    login_as("official")
    body = page_text(client.get(f"/archive/records/{record.id}"))
    assert f"text recognised in the scanned pages ({row.text_confidence}% confidence)" in body
    if language in ("English, French, German", "Russian", "Korean"):  # written with spaces between words
        word = recognised[-1].rstrip(".")
        results = page_text(client.get("/archive/", query_string={"q": word}))
        assert re.search(r'<h2 id="results-title">1 record', results), word


def test_a_pdf_with_a_text_layer_is_read_not_recognised(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Typed", files=[("typed.pdf", pdf("Ulaanbaatar declaration"))])
    row = db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()))
    db.session.refresh(row)
    assert row.text_status == "extracted" and not row.text_recognised and row.text_confidence is None


def test_the_wall_clock_stops_recognition_and_the_programs_it_started(app):
    app.config.update(EXTRACTION_WALL_SECONDS=1, EXTRACTION_RECOGNISE_WALL_SECONDS=1)
    try:
        name, data = scan("latin", SCANS["English, French, German"][1] * 8, "pdf")
        coordinator = make_user("coordinator", partner_code="EU")
        file_record(coordinator, "A long scan", files=[(name, data)])
    finally:
        app.config.update(EXTRACTION_WALL_SECONDS=60, EXTRACTION_RECOGNISE_WALL_SECONDS=600)
    row = db.session.scalar(sa.select(RecordFile).order_by(RecordFile.id.desc()))
    db.session.refresh(row)
    assert (row.text_status, row.text_problem) == ("failed", "it took longer than 1 seconds")
    left = subprocess.run(["pgrep", "-f", "tesseract stdin"], capture_output=True, check=False)  # noqa: S607
    assert left.stdout == b""  # killed with the child's session, not left running
