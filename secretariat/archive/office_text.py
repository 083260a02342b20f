"""The words of an office document's XML parts, in reading order: what a person sees on the page.

Imports only the standard library and defusedxml: it runs inside the extraction child (see
textextract.py), which must not load the application. The zip container has been opened, checked
and read within its budget before any part reaches this module.

One walk for all six formats: an element's text, then each child, then the child's tail. Reading
every text node this way keeps what a list of "text tags" loses (the words of a hyperlink, the words
after a bookmark, a span inside a span); the format only decides where lines break, which elements
are spaces, which hold no document text at all (deleted revisions, field codes, the fallback copy
of a text box) and which attributes carry text (a sheet's name).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from defusedxml.ElementTree import fromstring as parse_xml

#: elements ending a line of text (paragraphs, headings, table rows, list items, slide paragraphs)
LINE_ENDS = frozenset({"p", "h", "tr", "table-row", "list-item", "br", "line-break", "cr"})
#: elements that are white space
SPACES = frozenset({"tab", "s", "tc", "table-cell", "covered-table-cell"})
#: elements whose content is not the document's text
SKIPPED = frozenset(
    {
        "delText",  # DOCX: text deleted in a tracked change
        "instrText",  # DOCX: a field's code ("HYPERLINK https://…"), not its result
        "Fallback",  # markup compatibility: the same text box a second time, for older programs
        "rPh",  # XLSX: phonetic reading of Japanese text, a second copy of the words
        "tracked-changes",  # ODF: deleted text kept for the revision history
        "annotation",  # ODF: reviewers' comments, with their authors and dates (DOCX keeps them apart)
        "automatic-styles",
        "font-face-decls",
        "scripts",
        "forms",
        "sequence-decls",
        "variable-decls",
        "user-field-decls",
    }
)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attribute(element, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def xml_text(xml: bytes, *, sheets: bool = False) -> str:
    """The text of one XML part of a DOCX, PPTX, ODT, ODS or ODP file; ``sheets``: with the tables' names."""
    # defusedxml refuses entity expansion, external entities and DTD tricks in hostile documents.
    out: list[str] = []
    _walk(parse_xml(xml), out, sheets)
    return "".join(out)


def _walk(element, out: list[str], sheets: bool = False) -> None:
    tag = _local(element.tag)
    if tag in SKIPPED:
        return
    if sheets and tag == "table" and (name := _attribute(element, "name")):
        out.append(f"\n{name}\n")  # a spreadsheet's sheet name (ODS)
    if tag == "s":  # ODF: a run of spaces, counted in text:c
        out.append(" " * min(int(_attribute(element, "c") or 1), 100))
    elif tag in SPACES:
        out.append(" ")
    if element.text:
        out.append(element.text)
    for child in element:
        _walk(child, out, sheets)
        if child.tail:
            out.append(child.tail)
    if tag in LINE_ENDS:
        out.append("\n")


# --- XLSX: cells are numbers or indexes into a table of strings ------------------------------------

#: number formats Excel builds in that show dates and times (ECMA-376 18.8.30)
BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})


def _is_date_format(code: str) -> bool:
    """A custom number format shows a date if it has date or time letters outside quotes and brackets."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code)
    return bool(re.search(r"[dmyhs]", bare, re.IGNORECASE))


def xlsx_text(parts: dict[str, bytes]) -> str:
    """Every sheet's name and cells (strings shared or inline, numbers, dates, booleans), row by row."""
    shared = [xml_text_of(si) for si in _elements(parts.get("xl/sharedStrings.xml"), "si")]
    date_styles, date1904 = _date_styles(parts.get("xl/styles.xml")), False
    sheet_names = []
    if workbook := parts.get("xl/workbook.xml"):
        root = parse_xml(workbook)
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "sheet":
                sheet_names.append(_attribute(element, "name") or "")
            elif tag == "workbookPr":
                date1904 = (_attribute(element, "date1904") or "").lower() in ("1", "true")
    sheets = sorted((name for name in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)), key=natural_key)
    out = []
    for index, name in enumerate(sheets):
        if index < len(sheet_names) and sheet_names[index]:
            out.append(sheet_names[index])
        for row in _elements(parts[name], "row"):
            cells = [_cell_text(c, shared, date_styles, date1904) for c in row if _local(c.tag) == "c"]
            if line := " ".join(cell for cell in cells if cell):
                out.append(line)
    return "\n".join(out)


def _elements(xml: bytes | None, tag: str) -> list:
    """The elements of a part with this local name, in document order."""
    if not xml:
        return []
    return [element for element in parse_xml(xml).iter() if _local(element.tag) == tag]


def _date_styles(xml: bytes | None) -> list[bool]:
    """For each cell style (cellXfs, by index): whether its number format shows a date."""
    if not xml:
        return []
    root = parse_xml(xml)
    custom = {}
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            custom[int(_attribute(element, "numFmtId") or -1)] = _attribute(element, "formatCode") or ""
    styles = []
    for element in root.iter():
        if _local(element.tag) == "cellXfs":
            for xf in element:
                fmt = int(_attribute(xf, "numFmtId") or 0)
                styles.append(fmt in BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_format(custom[fmt])))
    return styles


def _cell_text(cell, shared: list[str], date_styles: list[bool], date1904: bool) -> str:
    kind = _attribute(cell, "t") or "n"
    if kind == "inlineStr":
        return "".join(xml_text_of(child) for child in cell if _local(child.tag) == "is")
    value = next((child.text or "" for child in cell if _local(child.tag) == "v"), "")
    if not value:
        return ""
    if kind == "s":
        index = int(value)
        return shared[index] if 0 <= index < len(shared) else ""
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "e":
        return ""
    if kind == "n":
        style = int(_attribute(cell, "s") or 0)
        if style < len(date_styles) and date_styles[style]:
            return _serial_date(float(value), date1904)
    return value  # numbers as written, formula results (str), ISO dates (d)


def xml_text_of(element) -> str:
    out: list[str] = []
    _walk(element, out)
    return "".join(out)


def _serial_date(serial: float, date1904: bool) -> str:
    """Excel's day count as an ISO date (and time, when it has one)."""
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)  # 1899-12-30: Excel's 1900 leap-year bug
    try:
        moment = epoch + timedelta(days=serial)
    except OverflowError:
        return str(serial)
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat(sep=" ")


def natural_key(name: str) -> list:
    """slide2 before slide10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
