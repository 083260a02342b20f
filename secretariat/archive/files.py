"""Uploaded files: type by content sniffing, zip-bomb checks, content-addressed storage.

Their text is read later, outside the request, by the extraction worker (archive/extraction.py).
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

from secretariat import storage
from secretariat.archive import textextract
from secretariat.archive.textextract import (  # noqa: F401 (the types and limits, named here as before)
    DOCX,
    ODP,
    ODS,
    ODT,
    PDF,
    PPTX,
    TEXT_LIMIT,
    TXT,
    XLSX,
    ZIP_MAX_ENTRIES,
    ZIP_MAX_RATIO,
    ZIP_MAX_TOTAL,
    Extraction,
    extract_text,
)

#: what may be archived, decided from the bytes (the types are named in textextract)
PNG, JPEG, TIFF, GIF, WEBP = textextract.PNG, textextract.JPEG, textextract.TIFF, textextract.GIF, textextract.WEBP
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
    TIFF: ".tif",
    GIF: ".gif",
    WEBP: ".webp",
}


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
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF  # scanners' format
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        raise FileRefused("This is a program, not a document: programs cannot be archived.")
    # Before the text check: HTML in UTF-16 is not UTF-8 text, and must be named for what it is.
    if looks_like_markup(data):
        raise FileRefused("HTML and SVG files cannot be archived: save the page as PDF instead.")
    if _is_text(data):
        return TXT
    raise FileRefused(
        "This type of file cannot be archived. Accepted: PDF, Word (DOCX), OpenDocument (ODT), Excel (XLSX), "
        "PowerPoint (PPTX), plain text and images (PNG, JPEG, TIFF, GIF, WebP)."
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:65536]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


#: byte order marks, longest first (UTF-32 LE starts like UTF-16 LE)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: what a browser takes for HTML, SVG or XML when a document starts with it (WHATWG MIME sniffing's
#: HTML signatures, and more): a tag name followed by a space, ">" or "/"; a comment; any doctype;
#: an XML declaration or processing instruction
_MARKUP = re.compile(
    r"<(?:!doctype|!--|\?xml|(?:html|head|body|script|iframe|frame|frameset|h1|div|font|table|a|style|title|b|br|p"
    r"|svg|math|object|embed|img|meta|link|base|form|input|video|audio|template)[\s/>])",
    re.IGNORECASE,
)
#: skipped before the first character, with whitespace: byte order marks and invisible spaces
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def looks_like_markup(data: bytes) -> bool:
    """Whether the file starts like HTML, SVG or XML, past byte order marks, whitespace and case."""
    head, encoding = data[:4096], "utf-8"
    for bom, name in _BOMS:
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    start = head.decode(encoding, "ignore")
    while start and (start[0].isspace() or start[0] in _INVISIBLE):
        start = start.lstrip().lstrip(_INVISIBLE)
    return _MARKUP.match(start) is not None


def check_zip(archive: zipfile.ZipFile, size: int) -> None:
    """Refuse zip bombs before any decompression (see textextract.check_zip)."""
    try:
        textextract.check_zip(archive, size)
    except textextract.Unreadable as reason:
        raise FileRefused(str(reason)) from reason


def _sniff_zip(data: bytes) -> str:
    try:
        archive = textextract.open_zip(data)
    except zipfile.BadZipFile as exc:
        raise FileRefused("The file is damaged: it starts like an office document but cannot be opened.") from exc
    except textextract.Unreadable as reason:
        raise FileRefused(str(reason)) from reason
    with archive:
        check_zip(archive, len(data))
        names = set(archive.namelist())
        if "mimetype" in names:
            try:
                kind = textextract.Budget().read(archive, "mimetype", limit=200).decode("ascii", "replace").strip()
            except (textextract.Unreadable, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise FileRefused("The file is damaged: its “mimetype” part cannot be read.") from exc
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
# The bytes go through secretariat/storage.py, so that every server sees the same files and another
# kind of store could replace the folder. Names: aa/bb/<sha256>, as they always were on disk.


def storage_root() -> Path:
    return storage.files().root


def blob_name(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def blob_path(sha256: str) -> Path:
    return storage.files().path(blob_name(sha256))


def store(data: bytes) -> str:
    """Write the bytes under their SHA-256 (atomically: temporary file, fsync, rename); returns the hash."""
    digest = hashlib.sha256(data).hexdigest()
    name, files = blob_name(digest), storage.files()
    if files.exists(name):
        # Fresh again: the orphan sweep spares recent files, and a row is about to point at this one.
        files.touch(name)
        return digest
    files.put(name, data)
    return digest


def exists(sha256: str) -> bool:
    return storage.files().exists(blob_name(sha256))


def delete(sha256: str) -> None:
    storage.files().delete(blob_name(sha256))


def size(sha256: str) -> int:
    return storage.files().size(blob_name(sha256))


def blob_age_seconds(sha256: str) -> float:
    """How long ago the stored file was last written (0 if it is already gone)."""
    return storage.files().age_seconds(blob_name(sha256))


def open_blob(sha256: str) -> BinaryIO:
    return storage.files().open(blob_name(sha256))


def read(sha256: str) -> bytes:
    with storage.files().open(blob_name(sha256)) as fh:
        return fh.read()


def hash_of_stored(sha256: str) -> str | None:
    """The SHA-256 of the bytes now stored (None if missing), to detect tampering."""
    digest = hashlib.sha256()
    try:
        with storage.files().open(blob_name(sha256)) as fh:
            for chunk in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def age_seconds(path: Path) -> float:
    """How long ago the file was last written (0 if it is already gone)."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return 0.0


def stored_hashes() -> set[str]:
    names = storage.files().names("*/*/*")
    return {name.rsplit("/", 1)[-1] for name in names if re.fullmatch(r"[0-9a-f]{64}", name.rsplit("/", 1)[-1])}


def stray_temporaries() -> list[Path]:
    """Half-written files: a writer killed between mkstemp and rename leaves its ``.incoming-`` file."""
    files = storage.files()
    return sorted(files.path(name) for name in files.names("*/*/.incoming-*"))
