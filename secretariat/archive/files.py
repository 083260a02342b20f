"""Uploaded files: type by content sniffing, zip-bomb checks, content-addressed storage, text extraction."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml.ElementTree import fromstring as parse_xml
from flask import current_app

#: what may be archived, decided from the bytes
PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT, PNG, JPEG, GIF, WEBP = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
)
EXTENSIONS = {
    PDF: ".pdf",
    DOCX: ".docx",
    XLSX: ".xlsx",
    PPTX: ".pptx",
    ODT: ".odt",
    ODS: ".ods",
    ODP: ".odp",
    TXT: ".txt",
    PNG: ".png",
    JPEG: ".jpg",
    GIF: ".gif",
    WEBP: ".webp",
}

#: limits for office files (zip containers), checked before anything is decompressed
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL = 300 * 1024 * 1024
ZIP_MAX_RATIO = 200
TEXT_LIMIT = 2_000_000  # characters of extracted text kept per file


class FileRefused(Exception):
    """The upload cannot be archived; the message tells the user why."""


# --- sniffing ------------------------------------------------------------------------------------


def sniff(data: bytes) -> str:
    """The file's type from its first bytes (and, for zip containers, their manifest)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        raise FileRefused("This is a program, not a document: programs cannot be archived.")
    if _is_text(data):
        if _looks_like_markup(data):
            raise FileRefused("HTML and SVG files cannot be archived: save the page as PDF instead.")
        return TXT
    raise FileRefused(
        "This type of file cannot be archived. Accepted: PDF, Word (DOCX), OpenDocument (ODT), Excel (XLSX), "
        "PowerPoint (PPTX), plain text and images (PNG, JPEG, GIF, WebP)."
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:65536]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_markup(data: bytes) -> bool:
    start = data[:2048].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<head", b"<body"))


def check_zip(archive: zipfile.ZipFile, size: int) -> None:
    """Refuse zip bombs before any decompression: too many entries, too large, too compressed."""
    entries = archive.infolist()
    if len(entries) > ZIP_MAX_ENTRIES:
        raise FileRefused("The office file has too many parts to be a document.")
    total = sum(entry.file_size for entry in entries)
    if total > ZIP_MAX_TOTAL or total > ZIP_MAX_RATIO * max(size, 1):
        raise FileRefused("The office file expands to far more than its size (a “zip bomb”); it was refused.")
    for entry in entries:
        if entry.filename.startswith("/") or ".." in entry.filename.split("/"):
            raise FileRefused("The office file contains unsafe paths.")


def _sniff_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileRefused("The file is damaged: it starts like an office document but cannot be opened.") from exc
    with archive:
        check_zip(archive, len(data))
        names = set(archive.namelist())
        if "mimetype" in names:
            kind = _read_limited(archive, "mimetype", 200).decode("ascii", "replace").strip()
            if kind in (ODT, ODS, ODP):
                return kind
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
            if "ppt/presentation.xml" in names:
                return PPTX
    raise FileRefused("Zip archives are not accepted; upload the documents themselves.")


def _read_limited(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileRefused("A part of the office file is larger than allowed.")
    return data


# --- names ---------------------------------------------------------------------------------------


def clean_filename(name: str, mime: str) -> str:
    """A safe display name: no path, no control characters, bounded length, the extension its type has."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:150].strip(" .") or "document"
    return stem + EXTENSIONS.get(mime, "")


# --- storage -------------------------------------------------------------------------------------


def storage_root() -> Path:
    return Path(current_app.config["ARCHIVE_STORAGE"])


def blob_path(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256")
    return storage_root() / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes) -> str:
    """Write the bytes under their SHA-256 (atomically: temporary file, fsync, rename); returns the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = blob_path(digest)
    if target.exists():
        # Fresh again: the orphan sweep spares recent files, and a row is about to point at this one.
        os.utime(target)
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return digest


def read(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()


def hash_of_stored(sha256: str) -> str | None:
    """The SHA-256 of the bytes now on disk (None if missing), to detect tampering."""
    path = blob_path(sha256)
    if not path.exists():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def age_seconds(path: Path) -> float:
    """How long ago the file was last written (0 if it is already gone)."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return 0.0


def stored_hashes() -> set[str]:
    root = storage_root()
    if not root.exists():
        return set()
    return {p.name for p in root.glob("*/*/*") if re.fullmatch(r"[0-9a-f]{64}", p.name)}


def stray_temporaries() -> list[Path]:
    """Half-written files: a writer killed between mkstemp and rename leaves its ``.incoming-`` file."""
    root = storage_root()
    return sorted(root.glob("*/*/.incoming-*")) if root.exists() else []


# --- text extraction -------------------------------------------------------------------------------


@dataclass
class Extraction:
    status: str  # extracted, empty, failed
    text: str


def extract_text(data: bytes, mime: str) -> Extraction:
    """Plain text for search; never raises: a file whose text cannot be read is still archived."""
    try:
        if mime == TXT:
            text = data.decode("utf-8")
        elif mime == PDF:
            text = _pdf_text(data)
        elif mime in (DOCX, ODT, PPTX, XLSX, ODS, ODP):
            text = _office_text(data, mime)
        else:
            return Extraction("empty", "")
    except Exception as exc:  # broken or hostile files: keep the bytes, report no text
        current_app.logger.info("text extraction failed (%s): %s", mime, exc)
        return Extraction("failed", "")
    text = re.sub(r"[ \t]+", " ", text).strip()[:TEXT_LIMIT]
    return Extraction("extracted" if text else "empty", text)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = []
    for page in reader.pages[:2000]:
        parts.append(page.extract_text() or "")
        if sum(len(p) for p in parts) > TEXT_LIMIT:
            break
    return "\n".join(parts)


OFFICE_PARTS = {
    DOCX: re.compile(r"word/(document|footnotes|endnotes|header\d*|footer\d*)\.xml"),
    PPTX: re.compile(r"ppt/slides/slide\d+\.xml"),
    XLSX: re.compile(r"xl/sharedStrings\.xml"),
    ODT: re.compile(r"content\.xml"),
    ODS: re.compile(r"content\.xml"),
    ODP: re.compile(r"content\.xml"),
}


def _office_text(data: bytes, mime: str) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_zip(archive, len(data))
        for name in sorted(archive.namelist()):
            if OFFICE_PARTS[mime].fullmatch(name):
                xml = _read_limited(archive, name, 50 * 1024 * 1024)
                parts.append(_xml_text(xml))
    return "\n".join(parts)


def _xml_text(xml: bytes) -> str:
    # defusedxml refuses entity expansion, external entities and DTD tricks in hostile documents.
    root = parse_xml(xml)
    chunks = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if element.text and tag in ("t", "span", "p", "h", "s"):
            chunks.append(element.text)
        if tag in ("p", "h", "br", "tab"):
            chunks.append("\n" if tag != "tab" else " ")
        if element.tail and tag in ("span", "s", "tab", "line-break"):
            chunks.append(element.tail)
    return "".join(chunks)
