"""Text recognition of scanned paper per language, and text extraction of the office fixtures.

Recognition: for each language of the project's test corpus (tests/archive/data/languages.json), a
full A4 page printed at 300 dpi in an installed font (the fonts of tests/archive/test_recognition.py),
filled with the language's known text (its title and sentence in that corpus, and the lines of the
recognition test in that language), is saved as a PDF holding only that image; the PDF goes through
textextract.extract_text with recognition on, the function the extraction worker's child runs
(pdftoppm, then Tesseract's script detection and the script's model, archive/ocr.py). Printed per
language: the words of the page, the words recognised (the known words found in the recognised
text, in order, each matched exactly after lower-casing: difflib's matching blocks), their share,
Tesseract's mean word confidence and seconds per page. Words are what search reads: words between
spaces; the segmenter's words for Chinese, Japanese and Thai; characters for Khmer, Lao and Burmese,
which have no segmenter in the index.

Extraction: each office fixture (tests/archive/office_documents/, made by LibreOffice) through the
same function, and which of its expected sentences (expected.json) are in the text, as the test
checks them.

    python bench/recognition.py                    # every language with a font, then the fixtures
    python bench/recognition.py --languages en ja th --pages 2
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import shutil
import subprocess  # nosec B404: tesseract --version only
import sys
import time
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secretariat.archive import ocr, textextract  # noqa: E402
from secretariat.archive.search import languages  # noqa: E402

CORPUS = ROOT / "tests" / "archive" / "data" / "languages.json"
OFFICE = ROOT / "tests" / "archive" / "office_documents"
OFFICE_TYPES = {
    "odt": textextract.ODT,
    "docx": textextract.DOCX,
    "ods": textextract.ODS,
    "xlsx": textextract.XLSX,
    "odp": textextract.ODP,
    "pptx": textextract.PPTX,
}
#: the recognition test's fonts (tests/archive/test_recognition.py): Latin, Greek, Cyrillic,
#: Vietnamese and Lao in DejaVu Sans, Chinese, Japanese and Korean in Noto Sans CJK, Thai in Norasi
FONTS = {
    "latin": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "thai": "/usr/share/fonts/truetype/tlwg/Norasi.ttf",
}
FONT_OF = {"zh": "cjk", "ja": "cjk", "ko": "cjk", "th": "thai"}
#: the recognition test's lines (tests/archive/test_recognition.py, SCANS), by language
TEST_LINES = {
    "en": ["The Asia-Europe Meeting adopted the Chair's Statement."],
    "fr": ["Les partenaires ont adopté la déclaration de Bruxelles."],
    "de": ["Die Partner begrüßten die Erklärung von Ulaanbaatar."],
    "ru": ["Партнёры обсудили устойчивое развитие.", "Встреча министров иностранных дел."],
    "ja": ["アジア欧州会合の首脳は東京で会合した。", "連結性について合意した。"],
    "zh": ["亚欧会议领导人在北京举行会议。", "伙伴们同意加强互联互通。"],
    "ko": ["아시아유럽정상회의는 서울에서 열렸다.", "정상들은 연결성에 합의했다."],
    "th": ["ผู้นำประชุมกันที่กรุงเทพมหานคร", "การประชุมเอเชียยุโรป"],
}
#: an A4 page at 300 dpi, its margins, the type (44 px: 10.5 points) and the line spacing
PAGE = (2480, 3508)
MARGIN = 150
SIZE = 44
LEADING = 90
SEGMENTED = ("zh", "ja", "th")


def font_for(lang: str, text: str) -> ImageFont.FreeTypeFont | None:
    """The language's font, if it has a glyph for every letter of the text (else it prints boxes)."""
    face = ImageFont.truetype(FONTS[FONT_OF.get(lang, "latin")], SIZE)
    missing = bytes(face.getmask("\U0010fffd"))  # the font's "no glyph" box
    letters = {ch for ch in text if unicodedata.category(ch)[0] == "L"}
    return None if any(bytes(face.getmask(ch)) == missing for ch in letters) else face


def wrap(line: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """The line cut to the page's width: between words, or between characters where there is no space."""
    spaced = " " in line
    pieces = line.split(" ") if spaced else list(line)
    out, current = [], ""
    for piece in pieces:
        candidate = f"{current} {piece}" if spaced and current else current + piece
        if current and face.getlength(candidate) > width:
            out.append(current)
            current = piece
        else:
            current = candidate
    return [*out, current] if current else out


def page_lines(lines: list[str], face: ImageFont.FreeTypeFont) -> list[str]:
    """The known lines, again and again, until the page is full."""
    rows = (PAGE[1] - 2 * MARGIN) // LEADING
    out: list[str] = []
    while len(out) < rows:
        for line in lines:
            out.extend(wrap(line, face, PAGE[0] - 2 * MARGIN))
    return out[:rows]


def scanned_pdf(rows: list[str], face: ImageFont.FreeTypeFont, pages: int) -> bytes:
    """The rows printed on each page, saved as a PDF holding only the pages' images (as a scanner does)."""
    images = []
    for _ in range(pages):
        image = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(image)
        for number, row in enumerate(rows):
            draw.text((MARGIN, MARGIN + LEADING * number), row, font=face, fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return out.getvalue()


def tokens(text: str, lang: str) -> list[str]:
    """The words of ``text`` as search reads them, lower-cased (see the module's docstring)."""
    out = []
    for word in languages.WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        for part in languages.split_word(word):
            if not languages.UNSPACED_RUN.fullmatch(part) or lang == "ko":
                out.append(part)
            elif lang in SEGMENTED:
                out.extend(w for w in languages._segment(part, lang) if w.strip())  # noqa: SLF001
            else:
                out.extend(part)
    return out


def matched(known: list[str], found: list[str]) -> int:
    """The known words found in the recognised ones, in order, each word matching exactly."""
    blocks = difflib.SequenceMatcher(None, known, found, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks)


def recognise(data: bytes) -> tuple[textextract.Extraction, str, float]:
    """The extraction child's function on the PDF; the model that read it; wall seconds."""
    used = {}
    recognise_pdf = ocr.recognise_pdf

    def watched(*args):  # only notes which model read the pages: the figures are extract_text's
        result = recognise_pdf(*args)
        used["model"] = result.model
        return result

    ocr.recognise_pdf = watched
    try:
        start = time.perf_counter()
        result = textextract.extract_text(data, textextract.PDF, recognise=True)
        return result, used.get("model", "-"), time.perf_counter() - start
    finally:
        ocr.recognise_pdf = recognise_pdf


def bench_recognition(codes: list[str] | None, pages: int) -> None:
    entries = [e for e in json.loads(CORPUS.read_text(encoding="utf-8"))["records"] if not codes or e["lang"] in codes]
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    print(f"{version.stdout.splitlines()[0]}; models: {', '.join(ocr.installed_models())}")
    print(f"an A4 page at 300 dpi, {SIZE} px type; {pages} page(s) a document; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'lang':5} {'font':6} {'model':9} {'unit':5} {'words':>6} {'found':>6} {'ratio':>6} {'conf':>6} {'s/page':>7}"
    )
    totals = [0, 0]
    for entry in entries:
        lang = entry["lang"]
        lines = [entry["title"], entry["text"], *TEST_LINES.get(lang, [])]
        face = font_for(lang, "".join(lines))
        unit = "word" if lang not in ("km", "lo", "my") else "char"
        named = f"{lang:5} {FONT_OF.get(lang, 'latin'):6}"
        if face is None:
            print(f"{lang:5} {'none':6} {'':9} {unit:5}   (no installed font prints this script)")
            continue
        rows = page_lines(lines, face)
        known = tokens("\n".join(rows), lang) * pages
        result, model, seconds = recognise(scanned_pdf(rows, face, pages))
        if result.status != "extracted":
            print(f"{named} {model:9} {unit:5} {len(known):6}   {result.status}: {result.problem}")
            continue
        found = matched(known, tokens(result.text, lang))
        if unit == "word":
            totals[0] += len(known)
            totals[1] += found
        print(
            f"{named} {model:9} {unit:5} {len(known):6} {found:6}"
            f" {found / len(known):6.1%} {result.confidence:5}% {seconds / pages:7.1f}"
        )
    if totals[0]:
        print(f"{'all':5} {'':6} {'':9} {'word':5} {totals[0]:6} {totals[1]:6} {totals[1] / totals[0]:6.1%}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def bench_office() -> None:
    expected = json.loads((OFFICE / "expected.json").read_text(encoding="utf-8"))
    print(f"\n{'fixture':16} {'found':>7} {'ms':>6}   missing")
    for name in sorted(expected, key=lambda n: list(OFFICE_TYPES).index(n.rsplit(".", 1)[1])):
        data = (OFFICE / name).read_bytes()
        start = time.perf_counter()
        result = textextract.extract_text(data, OFFICE_TYPES[name.rsplit(".", 1)[1]])
        ms = (time.perf_counter() - start) * 1000
        text = re.sub(r"\s+", " ", result.text)  # as tests/archive/test_office_text.py reads it
        missing = [element for element, sentence in expected[name].items() if sentence not in text]
        found = len(expected[name]) - len(missing)
        print(f"{name:16} {found:3}/{len(expected[name]):<3} {ms:6.1f}   {', '.join(missing) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", nargs="*", help="codes of the test corpus (all by default)")
    parser.add_argument("--pages", type=int, default=1, help="pages a document (each the same)")
    parser.add_argument("--no-office", action="store_true", help="recognition only")
    args = parser.parse_args()
    if shutil.which("tesseract") is None or shutil.which("pdftoppm") is None:
        sys.exit("needs Tesseract and pdftoppm (see the README: .ci/run installs them)")
    bench_recognition(args.languages, args.pages)
    if not args.no_office:
        bench_office()


if __name__ == "__main__":
    main()
