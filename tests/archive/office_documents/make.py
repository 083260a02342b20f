# ruff: noqa: E501  (the flat OpenDocument sources are long lines of XML, kept as LibreOffice reads them)
"""Make the office documents of tests/archive/test_office_text.py with LibreOffice (run once, by hand).

    apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
    python tests/archive/office_documents/make.py

The sources are flat OpenDocument files written here (sources/*.fodt, .fods, .fodp); LibreOffice
converts each into the formats people send (ODT and DOCX, ODS and XLSX, ODP and PPTX), so the files
the test reads are written by an office suite, not by us. The sentences every file must yield are
in expected.json. Both the sources and the results are committed; the test does not run LibreOffice.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404: a developer's script, run by hand
import tempfile
from pathlib import Path

HERE = Path(__file__).parent

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)

#: sentences of the text document, by the element that holds them
TEXT = {
    "heading": "Chair's Statement of the Fourteenth Asia-Europe Meeting",
    "hyperlink": "Leaders met in Phnom Penh and agreed on connectivity.",
    "bookmark": "The partners welcomed the report of the senior officials.",
    "footnote": "The footnote names the Bangkok ministerial meeting.",
    "endnote": "The endnote recalls the Hanoi summit of 2004.",
    "list": "First listed priority: sustainable connectivity.",
    "table": "A cell of the table names the Madrid summit.",
    "text box": "Words inside a text box about the Helsinki summit.",
    "French": "Les partenaires ont adopté la déclaration de Bruxelles.",
    "German": "Die Partner begrüßten die Erklärung von Ulaanbaatar.",
    "Japanese": "首脳は東京で会合し、連結性について合意した。",
    "Thai": "ผู้นำประชุมกันที่กรุงเทพมหานคร",
}

FODT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:body><office:text>
<text:h text:outline-level="1">{TEXT["heading"]}</text:h>
<text:p>Leaders met in <text:a xlink:type="simple" xlink:href="https://aseminfoboard.org/">Phnom Penh</text:a> and agreed on connectivity.</text:p>
<text:p>The partners <text:span>welcomed</text:span> the report<text:bookmark text:name="report"/> of the senior officials.</text:p>
<text:p>A sentence with a footnote<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>{TEXT["footnote"]}</text:p></text:note-body></text:note> and an endnote<text:note text:id="edn1" text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>{TEXT["endnote"]}</text:p></text:note-body></text:note>.</text:p>
<text:list><text:list-item><text:p>{TEXT["list"]}</text:p></text:list-item><text:list-item><text:p>Second listed priority: people-to-people links.</text:p></text:list-item></text:list>
<table:table table:name="Summits"><table:table-column table:number-columns-repeated="2"/>
<table:table-row><table:table-cell office:value-type="string"><text:p>{TEXT["table"]}</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>2018</text:p></table:table-cell></table:table-row>
</table:table>
<text:p><draw:frame draw:name="Box" text:anchor-type="paragraph" svg:width="8cm" svg:height="2cm"><draw:text-box><text:p>{TEXT["text box"]}</text:p></draw:text-box></draw:frame></text:p>
<text:p>{TEXT["French"]}</text:p>
<text:p>{TEXT["German"]}</text:p>
<text:p>{TEXT["Japanese"]}</text:p>
<text:p>{TEXT["Thai"]}</text:p>
</office:text></office:body></office:document>
"""

#: what the spreadsheets hold: sheet names, strings in three languages, a number, a date
SHEET = {
    "sheet name": "Budget 2026",
    "second sheet name": "Calendrier",
    "string": "Connectivity fund for partners",
    "French string": "Réunion des ministres des Affaires étrangères",
    "Vietnamese string": "Hội nghị Thượng đỉnh Á-Âu",
    "number": "1250000",
    "date": "2026-10-22",
}

FODS = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:date-style style:name="iso"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
<style:style style:name="isodate" style:family="table-cell" style:data-style-name="iso"/>
</office:automatic-styles>
<office:body><office:spreadsheet>
<table:table table:name="{SHEET["sheet name"]}">
<table:table-column table:number-columns-repeated="2"/>
<table:table-row><table:table-cell office:value-type="string"><text:p>{SHEET["string"]}</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1250000"><text:p>1250000</text:p></table:table-cell></table:table-row>
</table:table>
<table:table table:name="{SHEET["second sheet name"]}">
<table:table-column table:number-columns-repeated="2"/>
<table:table-row><table:table-cell office:value-type="string"><text:p>{SHEET["French string"]}</text:p></table:table-cell><table:table-cell table:style-name="isodate" office:value-type="date" office:date-value="2026-10-22"><text:p>2026-10-22</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>{SHEET["Vietnamese string"]}</text:p></table:table-cell></table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document>
"""

SLIDES = {
    "title": "Asia-Europe Meeting: the road to Bangkok",
    "body": "Thirty years of dialogue between Asia and Europe.",
    "Korean": "아시아유럽정상회의는 서울에서 열렸다.",
    "Russian": "Партнёры обсудили устойчивое развитие.",
    "notes": "Speaker notes: thank the host of the Brussels summit.",
}

FODP = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:body><office:presentation>
<draw:page draw:name="one">
<draw:frame presentation:class="title" svg:x="2cm" svg:y="1cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>{SLIDES["title"]}</text:p></draw:text-box></draw:frame>
<draw:frame svg:x="2cm" svg:y="5cm" svg:width="20cm" svg:height="6cm"><draw:text-box><text:p>{SLIDES["body"]}</text:p><text:p>{SLIDES["Korean"]}</text:p></draw:text-box></draw:frame>
<presentation:notes><draw:frame presentation:class="notes" svg:x="2cm" svg:y="12cm" svg:width="17cm" svg:height="10cm"><draw:text-box><text:p>{SLIDES["notes"]}</text:p></draw:text-box></draw:frame></presentation:notes>
</draw:page>
<draw:page draw:name="two">
<draw:frame svg:x="2cm" svg:y="5cm" svg:width="20cm" svg:height="6cm"><draw:text-box><text:p>{SLIDES["Russian"]}</text:p></draw:text-box></draw:frame>
</draw:page>
</office:presentation></office:body></office:document>
"""


def main() -> None:
    sources = HERE / "sources"
    sources.mkdir(exist_ok=True)
    made = {"statement": (FODT, ["odt", "docx"], TEXT), "budget": (FODS, ["ods", "xlsx"], SHEET)}
    made["slides"] = (FODP, ["odp", "pptx"], SLIDES)
    expected = {}
    with tempfile.TemporaryDirectory() as profile:
        for stem, (source, formats, sentences) in made.items():
            suffix = {"statement": "fodt", "budget": "fods", "slides": "fodp"}[stem]
            path = sources / f"{stem}.{suffix}"
            path.write_text(source, encoding="utf-8")
            for fmt in formats:
                subprocess.run(  # noqa: S603, S607  # nosec B603 B607
                    ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                     "--outdir", str(HERE), str(path)],
                    check=True,
                )
                expected[f"{stem}.{fmt}"] = sentences
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
