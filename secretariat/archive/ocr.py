"""Text recognised in scanned paper (images, and PDFs whose pages are only images), with Tesseract.

Runs inside the extraction child (textextract.py), so it imports only the standard library, and
the programs it starts inherit the child's limits (address space, CPU time, no files written):
pages go from `pdftoppm` to `tesseract` through pipes, never through files.

Tesseract reads one writing system at a time well. Its orientation and script detection (OSD)
names the script of a page with enough text; on a page too short for it, each installed model
reads the first page and the most confident one reads the document. The models are Debian's
`tesseract-ocr-script-*` packages (one per script: Latin covers every European language and
Vietnamese, Indonesian and Malay), so no list of languages has to be kept here.
"""

from __future__ import annotations

import re
import shutil
import subprocess  # nosec B404
import sys
from dataclasses import dataclass

#: PDF pages recognised at most (a scanned report; past it, the rest is not searchable)
MAX_PAGES = 50
#: pages are rendered at this resolution: Tesseract's own advice for printed text
DPI = 300
#: OSD's names for scripts and the models that read them, in order of preference: the Korean
#: language model keeps words whole where the Hangul script model spaces every syllable
SCRIPT_MODELS = {
    "Latin": ("Latin", "eng"),
    "Han": ("HanS", "chi_sim"),
    "Japanese": ("Japanese", "jpn"),
    "Korean": ("kor", "Hangul"),
    "Hangul": ("kor", "Hangul"),
    "Thai": ("Thai", "tha"),
    "Cyrillic": ("Cyrillic", "rus"),
    "Greek": ("Greek", "ell"),
    "Khmer": ("Khmer", "khm"),
    "Lao": ("Lao", "lao"),
    "Myanmar": ("Myanmar", "mya"),
}
#: Tesseract's page layout: one column of text. Its automatic layout (3) splits short lines of
#: Hangul into pieces; two columns read as one still give every word, which is what search needs.
PAGE_LAYOUT = "4"
#: columns of Tesseract's TSV output: level … conf, text
TSV_FIELDS = 12
#: when no script model is installed, the English model reads Latin script
FALLBACK_MODEL = "eng"
#: scripts written without spaces between words: Tesseract puts one between every word it finds
#: (and often inside words), which search would take for word breaks
UNSPACED = r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_UNSPACED = re.compile(rf"(?<=[{UNSPACED}]) +(?=[{UNSPACED}])")
#: the programs' whole environment: one thread (the worker shares the machine), the system's programs
ENV = {"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"}


class NotRecognisable(Exception):
    """Recognition cannot run (no Tesseract) or failed; the message says why."""


@dataclass
class Recognition:
    text: str
    #: Tesseract's mean word confidence, 0–100
    confidence: int
    #: the model that read it (a script: Latin, Japanese …)
    model: str
    pages: int
    words: int


def available() -> bool:
    return shutil.which("tesseract") is not None


def installed_models() -> list[str]:
    names = _installed_names()
    # One model per script, the preferred one installed.
    models = [next((m for m in choices if m in names), None) for choices in SCRIPT_MODELS.values()]
    models = list(dict.fromkeys(m for m in models if m))
    return models or ([FALLBACK_MODEL] if FALLBACK_MODEL in names else [])


def _installed_names() -> set[str]:
    done = _run(["tesseract", "--list-langs"], b"")
    return {line.strip() for line in done.decode("utf-8", "replace").splitlines()[1:]}


def recognise_image(data: bytes) -> Recognition:
    return _recognise_pages([data])


def recognise_pdf(data: bytes, page_count: int) -> Recognition:
    if shutil.which("pdftoppm") is None:
        raise NotRecognisable("the program that renders PDF pages (pdftoppm, from poppler-utils) is not installed")
    pages = [_render_page(data, number) for number in range(1, min(page_count, MAX_PAGES) + 1)]
    return _recognise_pages(pages)


def _render_page(data: bytes, number: int) -> bytes:
    # The PDF on standard input, one page out on standard output: no file is written (the child may not).
    return _run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", str(number), "-l", str(number), "-"], data)


def _usable_models() -> list[str]:
    if not available():
        raise NotRecognisable("text recognition (Tesseract) is not installed on this server")
    models = installed_models()
    if not models:
        raise NotRecognisable("no recognition model is installed (tesseract-ocr-script-latn and others)")
    return models


def _recognise_pages(pages: list[bytes]) -> Recognition:
    models = _usable_models()
    model, first = _choose(pages[0], models)
    readings = {0: first} if first else {}
    texts, confidences = [], []
    for index, page in enumerate(pages):
        text, words = readings.get(index) or _read(page, model)
        texts.append(text)
        confidences.extend(words)
    return Recognition("\n".join(texts).strip(), _mean(confidences), model, len(pages), len(confidences))


def _choose(page: bytes, models: list[str]) -> tuple[str, tuple[str, list[int]] | None]:
    """The model that reads the document (from its first page), and that page's reading if one was made."""
    model = _script_model(page, models)
    if model is None:
        # Too little text to name its script: the most confident reading of the page.
        candidates = {m: _read(page, m) for m in models}
        model = max(candidates, key=lambda m: _mean(candidates[m][1]))
        return _maybe_vietnamese(page, model, candidates[model])
    return _maybe_vietnamese(page, model, None)


#: letters of Vietnamese that no other partner's Latin alphabet has (its tones and its ơ, ư, đ)
VIETNAMESE_LETTERS = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
#: …in at least this share of the letters a first reading found
VIETNAMESE_SHARE = 0.01


def _maybe_vietnamese(
    page: bytes, model: str, first: tuple[str, list[int]] | None
) -> tuple[str, tuple[str, list[int]] | None]:
    """Latin, or the Vietnamese script model where the page is Vietnamese. Tesseract's script detection
    names Vietnamese "Latin", and the Latin model misreads its stacked diacritics (a third of the words
    found in bench/recognition.py): when a first reading shows Vietnamese letters, the page is read
    again with the Vietnamese model, which reads the document if it is the more confident."""
    if model != "Latin" or "Vietnamese" not in _installed_names():
        return model, first
    latin = first or _read(page, "Latin")
    letters = sum(ch.isalpha() for ch in latin[0])
    if not letters or len(VIETNAMESE_LETTERS.findall(latin[0])) < VIETNAMESE_SHARE * letters:
        return "Latin", latin
    vietnamese = _read(page, "Vietnamese")
    return ("Vietnamese", vietnamese) if _mean(vietnamese[1]) >= _mean(latin[1]) else ("Latin", latin)


def choose_model(data: bytes, mime_is_pdf: bool) -> str:
    """The model recognition would choose for this file, as it chooses it (for a searchable copy of
    a file recognised before the model was kept)."""
    models = _usable_models()
    return _choose(_render_page(data, 1) if mime_is_pdf else data, models)[0]


def _mean(confidences: list[int]) -> int:
    return round(sum(confidences) / len(confidences)) if confidences else 0


def _script_model(page: bytes, models: list[str]) -> str | None:
    try:
        osd = _run(["tesseract", "stdin", "stdout", "--psm", "0"], page).decode("utf-8", "replace")
    except NotRecognisable:
        return None  # OSD refuses pages with too few characters
    found = re.search(r"^Script: (\w+)", osd, re.MULTILINE)
    choices = SCRIPT_MODELS.get(found.group(1), ()) if found else ()
    return next((m for m in choices if m in models), None)


def _read(page: bytes, model: str) -> tuple[str, list[int]]:
    """The page's text and each word's confidence, from one run that writes both (text and TSV)."""
    command = ["tesseract", "stdin", "stdout", "-l", model, "--psm", PAGE_LAYOUT, "txt", "tsv"]
    output = _run(command, page).decode("utf-8", "replace")
    text_lines, confidences = [], []
    for line in output.splitlines():
        fields = line.split("\t")
        if len(fields) != TSV_FIELDS:  # the text output: Tesseract writes no tab in it
            text_lines.append(line)
        elif fields[0] == "5" and fields[11].strip() and float(fields[10]) >= 0:  # a word and its confidence
            confidences.append(round(float(fields[10])))
    text = "\n".join(line for line in text_lines if line.strip())
    return _SPACE_BETWEEN_UNSPACED.sub("", text), confidences


def _run(command: list[str], data: bytes) -> bytes:
    try:
        # Fixed programs, found on the system's path; the page's bytes on standard input.
        done = subprocess.run(  # noqa: S603  # nosec B603
            command, input=data, capture_output=True, env=ENV, check=False
        )
    except OSError as exc:
        raise NotRecognisable(f"{command[0]} could not be started") from exc
    if done.returncode != 0:
        raise NotRecognisable(f"{command[0]} could not read the page")
    return done.stdout


def main(argv: list[str]) -> int:
    """``python -I ocr.py PATH pdf|image``: the model for that file on standard output (run under limits)."""
    path, kind = argv
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        sys.stdout.write(choose_model(data, kind == "pdf"))
    except NotRecognisable as reason:
        sys.stderr.write(str(reason))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
