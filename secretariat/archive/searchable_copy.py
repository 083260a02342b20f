"""Searchable PDF/A copies of scanned paper, made by the worker with OCRmyPDF beside the original.

When a file's text came from recognition (extraction.py queues it), `flask worker` makes a PDF/A-2b
copy: the original's page images with the recognised text laid invisibly over them, so that any PDF
reader finds and copies its words. The original's row, bytes and seal never change; the copy is a
Blob of its own, stored like every other file and named by a SearchableCopy row.

OCRmyPDF is Debian's program (`/usr/bin/ocrmypdf`, with Ghostscript for PDF/A), run, never
imported, under the extraction child's limits: address space and CPU time for it and for every
program it starts (set by `prlimit`, inherited), the wall clock of recognition, its own session
(killed whole when the clock runs out), none of our environment, and a private temporary folder
removed afterwards. A failure is recorded on the row and tried again a few times, minutes apart.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess  # nosec B404
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from secretariat.archive import files, ocr, textextract
from secretariat.archive.models import Blob, RecordFile, SearchableCopy
from secretariat.errors import NotFound
from secretariat.extensions import db
from secretariat.timeutil import utcnow

#: what OCRmyPDF takes: PDFs, and the images it converts to PDF pages first (img2pdf)
COPIED = frozenset({textextract.PDF, textextract.PNG, textextract.JPEG, textextract.TIFF})
PENDING, CLAIMED, MADE, FAILED = "pending", "making", "made", "failed"
#: tries before a copy is given up (a person may ask again: `flask archive searchable-copies --retry-failed`)
MAX_ATTEMPTS = 3
#: a failed try waits this long before the next: a machine short of memory may have recovered
RETRY_AFTER = timedelta(minutes=10)
#: a claim older than the wall clock plus this was left by a worker that died
CLAIM_MARGIN = timedelta(seconds=60)
#: bytes one file written by OCRmyPDF or its programs may reach (page images, the copy)
FILE_LIMIT = 1024 * 1024 * 1024
#: what OCRmyPDF's exit statuses mean, in words for the record page
EXIT_REASONS = {
    2: "the file could not be read as a scanned document",
    3: "a program OCRmyPDF needs is not installed",
    4: "the copy made was not a valid PDF",
    6: "the file already has a text layer",
    7: "a program OCRmyPDF runs (Tesseract, Ghostscript) failed",
    8: "the PDF is encrypted",
    10: "the copy could not be converted to PDF/A",
}


@dataclass(frozen=True)
class Limits:
    """The extraction child's limits (EXTRACTION_* settings), with recognition's wall clock."""

    memory_mb: int
    cpu_seconds: int
    wall_seconds: float

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(
            config["EXTRACTION_MEMORY_MB"],
            config["EXTRACTION_CPU_SECONDS"],
            config["EXTRACTION_RECOGNISE_WALL_SECONDS"],
        )


class CopyFailed(Exception):
    """OCRmyPDF could not make the copy; the message says why, in words for the record page."""


# --- reading ---------------------------------------------------------------------------------------


def of_files(rows: list[RecordFile]) -> dict[int, SearchableCopy]:
    """The copies of these files (made, waiting or failed), by file id: one query for a page."""
    if not rows:
        return {}
    copies = db.session.scalars(
        sa.select(SearchableCopy).where(SearchableCopy.record_file_id.in_([row.id for row in rows]))
    )
    return {copy.record_file_id: copy for copy in copies}


def made_copy(row: RecordFile) -> SearchableCopy:
    """The file's copy, if made (NotFound otherwise, as for a file that is not there)."""
    copy = db.session.get(SearchableCopy, row.id)
    if copy is None or copy.status != MADE or copy.blob_sha256 is None:
        raise NotFound("searchable copy")
    return copy


def filename(original: str) -> str:
    """The copy's download name: the original's, marked, as a PDF."""
    stem = original.rsplit(".", 1)[0] if "." in original else original
    return f"{stem} (searchable).pdf"


# --- queueing --------------------------------------------------------------------------------------


def queue(file_id: int, model: str) -> bool:
    """Ask for a copy of a file whose text was just recognised (in the extraction's transaction)."""
    mime = db.session.scalar(sa.select(RecordFile.mime_type).where(RecordFile.id == file_id))
    if mime not in COPIED or db.session.get(SearchableCopy, file_id) is not None:
        return False
    db.session.add(SearchableCopy(record_file_id=file_id, status=PENDING, model=model))
    db.session.flush()
    return True


def carry_over(kept: dict[int, int]) -> None:
    """A file kept in a new version keeps its copy (the same bytes), or its place in the queue."""
    if not kept:
        return
    for old in db.session.scalars(sa.select(SearchableCopy).where(SearchableCopy.record_file_id.in_(kept))):
        made = old.status == MADE
        db.session.add(
            SearchableCopy(
                record_file_id=kept[old.record_file_id],
                status=MADE if made else PENDING,
                model=old.model,
                blob_sha256=old.blob_sha256 if made else None,
                size=old.size if made else None,
                made_at=old.made_at if made else None,
            )
        )
    db.session.flush()


def queue_missing(*, retry_failed: bool = False) -> int:
    """Ask for the copies of files recognised before copies were made (their model is chosen again);
    with ``retry_failed``, copies given up are tried afresh. Returns how many were queued."""
    missing = db.session.scalars(
        sa.select(RecordFile.id)
        .outerjoin(SearchableCopy, SearchableCopy.record_file_id == RecordFile.id)
        .where(
            RecordFile.text_recognised,
            RecordFile.text_status == "extracted",
            RecordFile.mime_type.in_(COPIED),
            SearchableCopy.record_file_id.is_(None),
        )
    ).all()
    db.session.add_all(SearchableCopy(record_file_id=file_id, status=PENDING) for file_id in missing)
    again = 0
    if retry_failed:
        again = db.session.execute(
            sa.update(SearchableCopy)
            .where(SearchableCopy.status == FAILED)
            .values(status=PENDING, attempts=0, claimed_at=None)
        ).rowcount
    db.session.commit()
    return len(missing) + again


# --- the job ---------------------------------------------------------------------------------------


def _claimable(limits: Limits, now=None, wait_for_retries: bool = True):
    now = now or utcnow()
    abandoned = now - timedelta(seconds=limits.wall_seconds) - CLAIM_MARGIN
    # A failed try keeps its time in claimed_at: the next waits RETRY_AFTER (unless a person asks now).
    ready = (
        sa.or_(SearchableCopy.claimed_at.is_(None), SearchableCopy.claimed_at < now - RETRY_AFTER)
        if wait_for_retries
        else sa.true()
    )
    return sa.or_(
        sa.and_(SearchableCopy.status == PENDING, ready),
        sa.and_(SearchableCopy.status == CLAIMED, SearchableCopy.claimed_at < abandoned),
    )


def claim(
    limits: Limits, *, now=None, wait_for_retries: bool = True, file_id: int | None = None
) -> tuple[int, int] | None:
    """Take one copy to make (its file's id and the claim's number), committed; None when none waits.

    Safe with several workers, as extraction.claim is: SKIP LOCKED, then an UPDATE that only
    succeeds if the copy is still claimable.
    """
    while True:
        claimable = _claimable(limits, now, wait_for_retries)
        if file_id is not None:
            claimable = sa.and_(claimable, SearchableCopy.record_file_id == file_id)
        row = db.session.execute(
            sa.select(SearchableCopy.record_file_id, SearchableCopy.attempts)
            .where(claimable)
            .order_by(SearchableCopy.record_file_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            db.session.rollback()
            return None
        if row.attempts >= MAX_ATTEMPTS:
            # Claimed that often and never finished: its worker died each time (killed from outside).
            _record_failure(row.record_file_id, row.attempts, f"it was interrupted {row.attempts} times")
            db.session.commit()
            continue
        attempt = row.attempts + 1
        claimed = db.session.execute(
            sa.update(SearchableCopy)
            .where(SearchableCopy.record_file_id == row.record_file_id, claimable)
            .values(status=CLAIMED, claimed_at=utcnow(), attempts=attempt)
        ).rowcount
        db.session.commit()
        if claimed == 1:
            return row.record_file_id, attempt


def _ours(file_id: int, attempt: int):
    return sa.and_(SearchableCopy.record_file_id == file_id, SearchableCopy.attempts == attempt)


def _record_failure(file_id: int, attempt: int, problem: str) -> None:
    """Tried again after a while, until the last try: then given up, with the reason shown."""
    current_app.logger.warning("searchable copy of file %s not made (try %s): %s", file_id, attempt, problem)
    db.session.execute(
        sa.update(SearchableCopy)
        .where(_ours(file_id, attempt))
        .values(status=FAILED if attempt >= MAX_ATTEMPTS else PENDING, problem=problem[:300], claimed_at=utcnow())
    )


def release(file_id: int, attempt: int) -> None:
    """Give a claimed copy back (the worker is stopping): another worker takes it at once."""
    db.session.rollback()
    db.session.execute(
        sa.update(SearchableCopy)
        .where(_ours(file_id, attempt), SearchableCopy.status == CLAIMED)
        .values(status=PENDING, claimed_at=None, attempts=attempt - 1)
    )
    db.session.commit()


def make_one(file_id: int, attempt: int, limits: Limits) -> bool:
    """Make one claimed copy and record the outcome (committed); whether it was made."""
    row = db.session.execute(
        sa.select(RecordFile.blob_sha256, RecordFile.mime_type, SearchableCopy.model)
        .join(SearchableCopy, SearchableCopy.record_file_id == RecordFile.id)
        .where(RecordFile.id == file_id)
    ).one()
    db.session.commit()  # no transaction stays open while OCRmyPDF runs
    path = files.blob_path(row.blob_sha256)
    try:
        if not path.exists():
            raise CopyFailed("the stored original is missing")
        data = make(path, row.mime_type, row.model, limits)
    except CopyFailed as reason:
        _record_failure(file_id, attempt, str(reason))
        db.session.commit()
        return False
    # Bytes first, row later: a crash in between leaves an orphan the sweep removes.
    sha = files.store(data)
    if db.session.get(Blob, sha) is None:
        db.session.add(Blob(sha256=sha, size=len(data)))
        db.session.flush()
    db.session.execute(
        sa.update(SearchableCopy)
        .where(_ours(file_id, attempt))
        .values(status=MADE, blob_sha256=sha, size=len(data), problem="", claimed_at=None, made_at=utcnow())
    )
    db.session.commit()
    return True


def _make_claimed(job: tuple[int, int], limits: Limits) -> bool:
    try:
        return make_one(*job, limits)
    except BaseException:
        release(*job)
        raise


def run_pending(limit: int | None = None) -> tuple[int, int]:
    """Make the copies waiting (or ``limit`` of them): how many were made, and how many failed."""
    limits = Limits.from_config()
    made = failed = 0
    while limit is None or made + failed < limit:
        job = claim(limits)
        if job is None:
            break
        if _make_claimed(job, limits):
            made += 1
        else:
            failed += 1
    return made, failed


def make_all_now(progress=lambda items, **_: items) -> tuple[int, int]:
    """Every copy waiting, made now, each tried once (a failure is left to the worker's later tries):
    how many were made, and how many failed. For `flask archive searchable-copies`."""
    limits = Limits.from_config()
    waiting = db.session.scalars(
        sa.select(SearchableCopy.record_file_id)
        .where(_claimable(limits, wait_for_retries=False))
        .order_by(SearchableCopy.record_file_id)
    ).all()
    db.session.commit()
    made = failed = 0
    for file_id in progress(waiting, label="Making searchable copies", length=len(waiting)):
        job = claim(limits, wait_for_retries=False, file_id=file_id)
        if job is None:  # a worker took it meanwhile
            continue
        if _make_claimed(job, limits):
            made += 1
        else:
            failed += 1
    return made, failed


# --- OCRmyPDF --------------------------------------------------------------------------------------


def make(path: Path, mime: str, model: str, limits: Limits) -> bytes:
    """The PDF/A copy's bytes, made by OCRmyPDF in a private folder under the limits (CopyFailed if not)."""
    if shutil.which("ocrmypdf", path=ocr.ENV["PATH"]) is None:
        raise CopyFailed("OCRmyPDF is not installed on this server")
    if shutil.which("prlimit", path=ocr.ENV["PATH"]) is None:
        raise CopyFailed("prlimit (util-linux), which limits OCRmyPDF, is not installed on this server")
    # One wall clock for everything the copy needs: choosing the model, and a second try of an image.
    deadline = time.monotonic() + limits.wall_seconds
    with tempfile.TemporaryDirectory(prefix="searchable-copy-") as work:
        if not model:
            chooser = [sys.executable, "-I", ocr.__file__, str(path), "pdf" if mime == textextract.PDF else "image"]
            model = _run(chooser, limits, work, deadline).decode("ascii", "replace").strip()
        target = Path(work) / "copy.pdf"
        command = [
            "ocrmypdf",
            "--quiet",
            "--jobs=1",  # one core: the worker shares the machine
            f"--language={model}",  # the model recognition chose
            "--output-type=pdfa-2",  # PDF/A-2b (OCRmyPDF's "pdfa")
            "--skip-text",  # a page that has text keeps it
            f"--pages=1-{ocr.MAX_PAGES}",  # as far as recognition reads
            f"--tesseract-pagesegmode={ocr.PAGE_LAYOUT}",
        ]
        try:
            _run([*command, str(path), str(target)], limits, work, deadline)
        except CopyFailed as failure:
            if mime == textextract.PDF or "DpiError" not in str(failure.__cause__ or ""):
                raise
            # An image that does not say its resolution: scanned, as recognition assumes, at ocr.DPI.
            _run([*command, f"--image-dpi={ocr.DPI}", str(path), str(target)], limits, work, deadline)
        data = target.read_bytes() if target.is_file() else b""
    if not data.startswith(b"%PDF-"):
        raise CopyFailed("OCRmyPDF wrote no PDF")
    return data


class _Stopped(Exception):
    """A program's exit and what it wrote on standard error (the cause of a CopyFailed)."""


def _run(command: list[str], limits: Limits, work: str, deadline: float) -> bytes:
    """Run a fixed program under the limits in the work folder; its standard output, or CopyFailed."""
    memory = limits.memory_mb * 1024 * 1024
    limited = [
        "prlimit",
        f"--as={memory}",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",  # past the soft limit: SIGXCPU
        "--core=0",
        f"--fsize={FILE_LIMIT}",
        "--",
        *command,
    ]
    # None of our environment (database URL, keys): a path, one thread for Tesseract, and the work
    # folder as home and temporary folder, so that whatever the programs leave goes with it.
    env = {**ocr.ENV, "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8"}
    # Fixed programs, no shell: the stored file's path and our work folder as arguments (nosec B603).
    try:
        child = subprocess.Popen(  # noqa: S603  # nosec B603
            limited,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=work,
            start_new_session=True,
        )
    except OSError as exc:
        raise CopyFailed(f"{command[0]} could not be started") from exc
    try:
        stdout, stderr = child.communicate(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise CopyFailed(f"it took longer than {limits.wall_seconds:g} seconds") from None
    finally:
        with contextlib.suppress(ProcessLookupError):  # what it started and left running goes with it
            os.killpg(child.pid, signal.SIGKILL)
    if child.returncode == 0:
        return stdout
    error = stderr[-2000:].decode("utf-8", "replace")
    cause = _Stopped(f"{command[0]} {child.returncode}: {error}")
    current_app.logger.info("searchable copy: %s", cause)
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise CopyFailed(f"it needed more than {limits.cpu_seconds} seconds of processing") from cause
    if "MemoryError" in error or "Cannot allocate memory" in error or "std::bad_alloc" in error:
        raise CopyFailed(f"it needed more than {limits.memory_mb} MB of memory") from cause
    if "does not have language data" in error:
        raise CopyFailed("the recognition model it needs is not installed on this server") from cause
    if command[0] != "ocrmypdf":  # ocr.py's choice of a model: its one line says why, a traceback does not
        said = error.strip() if child.returncode == 1 and "\n" not in error.strip() else ""
        raise CopyFailed(said[:200] or "the recognition model could not be chosen") from cause
    reason = EXIT_REASONS.get(child.returncode, f"OCRmyPDF stopped unexpectedly (status {child.returncode})")
    raise CopyFailed(reason) from cause
