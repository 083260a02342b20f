"""The text of an uploaded document, for search, read with every decompression counted as it streams.

Run by the extraction worker in a child process (``python -I textextract.py PATH MIME MEMORY_MB
CPU_SECONDS``, see archive/extraction.py), which sets its own memory and CPU limits before it
reads a byte of the file. So this module imports nothing of the application: only the standard
library, defusedxml and (for PDFs) pypdf. Upload checks (archive/files.py) use its zip checks too.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from contextlib import nullcontext
from dataclasses import asdict, dataclass

if __package__:
    from secretariat.archive import ocr, office_text
else:  # the extraction child runs this file as a script, isolated (-I): its siblings, not the application
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ocr
    import office_text

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
TXT = "text/plain"
PNG, JPEG, TIFF, GIF, WEBP = "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp"
#: images whose text Tesseract recognises (scanned paper)
IMAGES = frozenset({PNG, JPEG, TIFF, GIF, WEBP})

#: types whose text is read
WITH_TEXT = frozenset({PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT}) | IMAGES

#: limits for office files (zip containers)
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL = 300 * 1024 * 1024  # declared sizes, checked before anything is decompressed
ZIP_MAX_RATIO = 200
#: bytes of central directory: ZIP_MAX_ENTRIES entries of ordinary names fit many times over, and
#: zipfile turns every entry listed into an object when it opens the file (before any count)
ZIP_MAX_DIRECTORY = 2 * 1024 * 1024
#: Python's zipfile hands a bzip2 or LZMA part whole to the decompressor, which may allocate
#: gigabytes from one kilobyte read; deflate is decompressed in bounded steps. Office programs
#: write only these two methods.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
ZIP_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}
#: bytes actually decompressed, counted while reading: one part, and all parts of one file
PART_LIMIT = 50 * 1024 * 1024
FILE_LIMIT = 100 * 1024 * 1024
#: a PDF's streams, each (pypdf's own limits, lowered)
PDF_STREAM_LIMIT = 50 * 1024 * 1024
PDF_MAX_PAGES = 2000
CHUNK = 64 * 1024
TEXT_LIMIT = 2_000_000  # characters of extracted text kept per file
#: the child's exit status when its memory limit stopped it
OUT_OF_MEMORY = 3


class Unreadable(Exception):
    """The document's text cannot be read; the message says why, in words for the record page."""


@dataclass
class Extraction:
    status: str  # extracted, empty, failed
    text: str
    #: why the text could not be extracted (failed only), shown on the record page
    problem: str = ""
    #: the text was recognised in images of the pages (scanned paper), with this mean confidence (0–100)
    recognised: bool = False
    confidence: int | None = None
    #: the Tesseract model that recognised it (ocr.py), for the searchable copy
    model: str = ""


# --- zip containers --------------------------------------------------------------------------------


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip container, opened only if its central directory is of a document's size.

    A 47 MB file can list a million entries; zipfile builds an object for each one as it opens
    the file (460 MB, 5 s), so the directory's size is read first from the end record, the same
    one zipfile reads (its ZIP64 form included).
    """
    fp = io.BytesIO(data)
    try:
        end = zipfile._EndRecData(fp)  # noqa: SLF001 (zipfile's own reader of the end record)
    except OSError as exc:
        raise zipfile.BadZipFile("no end record") from exc
    if end is None:
        raise zipfile.BadZipFile("no end record")
    if end[zipfile._ECD_SIZE] > ZIP_MAX_DIRECTORY:  # noqa: SLF001
        raise Unreadable("The office file has too many parts to be a document.")
    return zipfile.ZipFile(fp)


def check_zip(archive: zipfile.ZipFile, size: int) -> None:
    """Refuse zip bombs before any decompression: too many parts, unusual compression, too large, too compressed."""
    entries = archive.infolist()
    if len(entries) > ZIP_MAX_ENTRIES:
        raise Unreadable("The office file has too many parts to be a document.")
    for entry in entries:
        if entry.compress_type not in ZIP_METHODS:
            method = ZIP_METHOD_NAMES.get(entry.compress_type, f"method {entry.compress_type}")
            raise Unreadable(
                f"The office file is compressed with {method}, which office programs do not use: "
                "save it again from the office program."
            )
        if entry.flag_bits & 0x1:
            raise Unreadable("The office file is encrypted: save it again without a password.")
        if entry.filename.startswith("/") or ".." in entry.filename.replace("\\", "/").split("/"):
            raise Unreadable("The office file contains unsafe paths.")
    total = sum(entry.file_size for entry in entries)
    if total > ZIP_MAX_TOTAL or total > ZIP_MAX_RATIO * max(size, 1):
        raise Unreadable("The office file expands to far more than its size (a “zip bomb”); it was refused.")


class Budget:
    """Decompressed bytes left for one file; each part also has its own limit."""

    def __init__(self, total: int = FILE_LIMIT):
        self.left = total

    def read(self, archive: zipfile.ZipFile, name: str, limit: int = PART_LIMIT) -> bytes:
        """A part's bytes, read in chunks: stops as soon as the part or the file passes its limit."""
        info = archive.getinfo(name)
        if info.compress_type not in ZIP_METHODS:  # never reached after check_zip; a second lock on the door
            raise Unreadable("The office file uses a compression method that is not accepted.")
        chunks, size = [], 0
        with archive.open(info) as part:
            while chunk := part.read(CHUNK):
                size += len(chunk)
                self.left -= len(chunk)
                if size > limit:
                    raise Unreadable(f"a part of the document expands to more than {limit // (1024 * 1024)} MB")
                if self.left < 0:
                    raise Unreadable(f"the document expands to more than {FILE_LIMIT // (1024 * 1024)} MB")
                chunks.append(chunk)
        return b"".join(chunks)


#: the parts that hold a document's text, read in this order (a slide before its notes)
OFFICE_PARTS = {
    DOCX: re.compile(r"word/(document|footnotes|endnotes|header\d*|footer\d*)\.xml"),
    PPTX: re.compile(r"ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml"),
    XLSX: re.compile(r"xl/(sharedStrings|workbook|styles|worksheets/sheet\d+)\.xml"),
    ODT: re.compile(r"content\.xml"),
    ODS: re.compile(r"content\.xml"),
    ODP: re.compile(r"content\.xml"),
}


def _part_order(mime: str):
    """Headers, body, footnotes in a DOCX; slide 2 before slide 10, each slide before its notes."""
    docx = ["header", "document", "footnotes", "endnotes", "footer"]

    def key(name: str):
        if mime == DOCX:
            stem = re.sub(r"\d*\.xml$", "", name.removeprefix("word/"))
            return (docx.index(stem), office_text.natural_key(name))
        if mime == PPTX:
            number = int(re.search(r"(\d+)\.xml$", name).group(1))
            return (number, "notes" in name)
        return (0, office_text.natural_key(name))

    return key


def _office_text(data: bytes, mime: str) -> str:
    budget = Budget()
    with open_zip(data) as archive:
        check_zip(archive, len(data))
        # Every text part is read (and counted) before any is parsed: a document over the file's
        # limit is refused before the costly part, whatever the number of its parts.
        names = sorted((n for n in archive.namelist() if OFFICE_PARTS[mime].fullmatch(n)), key=_part_order(mime))
        xml_parts = {name: budget.read(archive, name) for name in names}
    if mime == XLSX:
        return office_text.xlsx_text(xml_parts)
    parts, length = [], 0
    for xml in xml_parts.values():
        parts.append(office_text.xml_text(xml, sheets=mime == ODS))
        length += len(parts[-1])
        if length > TEXT_LIMIT:
            break
    return "\n".join(parts)


# --- PDF -------------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text layer, and its number of pages."""
    import pypdf
    from pypdf.errors import LimitReachedError

    # pypdf bounds each stream it decompresses (75 MB by default); ours are lower, and it never runs
    # an outside program (jbig2dec) on a hostile file.
    limits = {
        "maximum_declared_stream_length": PDF_STREAM_LIMIT,
        "array_based_stream_maximum_output_length": PDF_STREAM_LIMIT,
        "zlib_maximum_output_length": PDF_STREAM_LIMIT,
        "lzw_maximum_output_length": PDF_STREAM_LIMIT,
        "run_length_maximum_output_length": PDF_STREAM_LIMIT,
        "brotli_maximum_output_length": PDF_STREAM_LIMIT,
        "jbig2_maximum_output_length": PDF_STREAM_LIMIT,
        "image_maximum_buffer_size": PDF_STREAM_LIMIT,
        "stream_decoding_work_maximum_length": 2 * PDF_STREAM_LIMIT,
        "jbig2dec_binary": None,
    }
    parts, length = [], 0
    try:
        # pypdf before 7 has no configuration, only its own fixed limits (75 MB a stream).
        configured = pypdf.apply_configuration(**limits) if hasattr(pypdf, "apply_configuration") else nullcontext()
        with configured:
            reader = pypdf.PdfReader(io.BytesIO(data))
            page_count = len(reader.pages)
            for page in reader.pages[:PDF_MAX_PAGES]:
                # extract_text() passes over a stream past the limit in silence (an empty page): read
                # the page's contents first, so that the limit is reported as the reason.
                page.get_contents()
                parts.append(page.extract_text() or "")
                length += len(parts[-1])
                if length > TEXT_LIMIT:
                    break
    except LimitReachedError as exc:
        raise Unreadable(f"a part of the PDF expands to more than {PDF_STREAM_LIMIT // (1024 * 1024)} MB") from exc
    return "\n".join(parts), page_count


# --- entry points ----------------------------------------------------------------------------------


def extract_text(data: bytes, mime: str, *, recognise: bool = False) -> Extraction:
    """Plain text for search; never raises: a file whose text cannot be read is still archived.

    ``recognise``: read the text of images and of PDFs without a text layer with Tesseract (the
    worker's child only: it takes seconds a page).
    """
    # Without Tesseract on this host scanned paper is archived as it was before: "no searchable text".
    recognise = recognise and ocr.available()
    try:
        if mime == TXT:
            text = data.decode("utf-8")
        elif mime == PDF:
            text, pages = _pdf_text(data)
            if recognise and not text.strip() and pages:  # pages that are only images: scanned paper
                return _recognised(ocr.recognise_pdf(data, pages))
        elif mime in IMAGES:
            return _recognised(ocr.recognise_image(data)) if recognise else Extraction("empty", "")
        elif mime in OFFICE_PARTS:
            text = _office_text(data, mime)
        else:
            return Extraction("empty", "")
    except (Unreadable, ocr.NotRecognisable) as reason:
        return Extraction("failed", "", str(reason).rstrip("."))
    except MemoryError:
        raise  # the child's memory limit: reported by its parent, which knows the limit
    except Exception:  # broken or hostile files: keep the bytes, report no text
        return Extraction("failed", "", "the file is damaged or uses features that cannot be read")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n[ \n]*", "\n", text).strip()[:TEXT_LIMIT]  # one line break, no blank lines
    return Extraction("extracted" if text else "empty", text)


def _recognised(found: ocr.Recognition) -> Extraction:
    text = found.text[:TEXT_LIMIT]
    return Extraction(
        "extracted" if text else "empty", text, recognised=True, confidence=found.confidence, model=found.model
    )


def limit_this_process(memory_mb: int, cpu_seconds: int) -> None:
    """Memory (address space), CPU time, no core dumps, no files written: set before any hostile byte is read."""
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # Past the soft limit the kernel sends SIGXCPU (which ends the process); the hard one is SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main(argv: list[str]) -> int:
    """The child: limit itself, read the stored file, write the extraction as JSON on stdout."""
    path, mime, memory_mb, cpu_seconds, recognise = argv
    limit_this_process(int(memory_mb), int(cpu_seconds))
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        result = extract_text(data, mime, recognise=recognise == "recognise")
    except MemoryError:
        return OUT_OF_MEMORY
    sys.stdout.buffer.write(json.dumps(asdict(result)).encode("ascii"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
