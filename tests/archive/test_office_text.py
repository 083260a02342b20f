"""Office files read faithfully: every sentence a person sees in documents written by LibreOffice.

The documents (tests/archive/office_documents/, made by make.py there) hold headings, hyperlinks,
spans, bookmarks, footnotes, endnotes, lists, tables, text boxes, sheet names, strings, numbers,
dates and slide notes, in English, French, German, Japanese, Thai, Vietnamese, Korean and Russian.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from secretariat.archive import extraction, textextract

DOCUMENTS = Path(__file__).parent / "office_documents"
EXPECTED = json.loads((DOCUMENTS / "expected.json").read_text(encoding="utf-8"))
MIME = {
    "odt": textextract.ODT,
    "docx": textextract.DOCX,
    "ods": textextract.ODS,
    "xlsx": textextract.XLSX,
    "odp": textextract.ODP,
    "pptx": textextract.PPTX,
}


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sentence_of_an_office_document_is_read(name):
    result = textextract.extract_text((DOCUMENTS / name).read_bytes(), MIME[name.rsplit(".", 1)[1]])
    assert result.status == "extracted"
    text = _words(result.text)
    missing = {element: sentence for element, sentence in EXPECTED[name].items() if sentence not in text}
    assert missing == {}


@pytest.mark.parametrize("name", ["statement.odt", "statement.docx"])
def test_a_text_box_is_read_once_and_paragraphs_stay_apart(name):
    text = textextract.extract_text((DOCUMENTS / name).read_bytes(), MIME[name.rsplit(".", 1)[1]]).text
    # Word keeps a second copy of a text box for older programs: it is not the document's text twice.
    assert text.count("Helsinki") == 1
    assert "connectivity.\nThe partners" in text  # two paragraphs, two lines: snippets do not run them together


def test_the_extraction_child_reads_them_as_the_worker_does(tmp_path):
    """The worker's isolated child (python -I textextract.py) finds its sibling reader without the application."""
    limits = extraction.Limits(memory_mb=512, cpu_seconds=30, wall_seconds=60)
    result = extraction.extract_in_child(str(DOCUMENTS / "statement.odt"), textextract.ODT, limits)
    assert result.status == "extracted"
    assert EXPECTED["statement.odt"]["hyperlink"] in _words(result.text)


def _xlsx(sheet_xml: str, *, styles: str = "", date1904: bool = False) -> bytes:
    """A workbook as other programs than office suites write it (reports, exports): inline strings."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {ns}><workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="Export" sheetId="1"/></sheets></workbook>',
        )
        if styles:
            archive.writestr("xl/styles.xml", f"<styleSheet {ns}>{styles}</styleSheet>")
        archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>")
    return buffer.getvalue()


def test_inline_strings_numbers_booleans_and_dates_of_a_generated_workbook():
    styles = (
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd&quot;/&quot;mm&quot;/&quot;yyyy"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
    )
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Exported by the registry</t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>rich </t></r><r><t>run</t></r></is></c></row>'
        '<row r="2"><c r="A2"><v>42.5</v></c><c r="B2" t="b"><v>1</v></c><c r="C2" t="e"><v>#DIV/0!</v></c></row>'
        '<row r="3"><c r="A3" s="1"><v>46317</v></c><c r="B3" s="2"><v>35065</v></c></row>'
    )
    text = textextract.extract_text(_xlsx(rows, styles=styles), textextract.XLSX).text
    assert text.splitlines() == ["Export", "Exported by the registry rich run", "42.5 TRUE", "2026-10-22 1996-01-01"]


def test_a_workbook_counting_days_from_1904():
    styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    text = textextract.extract_text(
        _xlsx('<row r="1"><c r="A1" s="1"><v>44855</v></c></row>', styles=styles, date1904=True), textextract.XLSX
    ).text
    assert "2026-10-22" in text


def test_an_odt_hyperlink_and_the_words_after_a_bookmark():
    """The issue's own example: "Agreed at <text:a>ASEM13</text:a> in Phnom Penh" lost all but "Agreed at"."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<office:body><office:text><text:p>Agreed at <text:a xlink:href="https://example.org">ASEM13</text:a>'
        ' in Phnom Penh</text:p><text:p>Text before<text:bookmark text:name="b"/> and after a bookmark</text:p>'
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>Deleted words</text:p></text:deletion>"
        "</text:changed-region></text:tracked-changes></office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", content)
    text = textextract.extract_text(buffer.getvalue(), textextract.ODT).text
    assert text == "Agreed at ASEM13 in Phnom Penh\nText before and after a bookmark"
