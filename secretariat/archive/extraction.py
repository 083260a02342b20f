"""Text extraction, a job of `flask worker` (secretariat/worker.py): uploads read outside any request.

An upload is filed at once with its text "pending" (services.prepare_upload). `flask worker`
claims pending files one at a time, reads each one's text in a child process limited in memory,
CPU time and wall-clock time (textextract.py), writes the text or the reason it could not be
read on the file's row, and queues the record for the search index. A hostile file can only
make its own child fail: never a web worker, never the worker.

The worker also keeps its host's search index (search/indexing.py: catch_up): at every poll it
rebuilds an index that waits for a rebuild or whose rebuild was asked for, and applies the changes
logged since the last one the index applied.

A file whose text was recognised (scanned paper) is queued for its searchable PDF/A copy, which
another job of the worker makes (searchable_copy.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess  # nosec B404
import sys
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from secretariat.archive import files, searchable_copy, textextract
from secretariat.archive.models import RecordFile, RecordVersion, SearchChange
from secretariat.archive.search import indexing, languages
from secretariat.extensions import db
from secretariat.timeutil import utcnow

#: states of RecordFile.text_status the worker has still to finish
PENDING, CLAIMED = "pending", "extracting"
#: a claim older than the wall-clock limit plus this was left by a worker that died: taken again
CLAIM_MARGIN = timedelta(seconds=60)
#: after so many claims that never finished, the file is given up
MAX_ATTEMPTS = 3
CHILD = textextract.__file__


@dataclass(frozen=True)
class Limits:
    memory_mb: int
    cpu_seconds: int
    wall_seconds: float
    #: recognise scanned paper (images, PDFs without text) with Tesseract, within this wall clock
    recognise: bool = False
    recognise_wall_seconds: float = 600

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(
            config["EXTRACTION_MEMORY_MB"],
            config["EXTRACTION_CPU_SECONDS"],
            config["EXTRACTION_WALL_SECONDS"],
            config["EXTRACTION_RECOGNISE"],
            config["EXTRACTION_RECOGNISE_WALL_SECONDS"],
        )

    def wall_for(self, mime: str) -> float:
        """Recognition reads a page in seconds: files that may need it get the longer clock."""
        may_recognise = self.recognise and (mime == textextract.PDF or mime in textextract.IMAGES)
        return max(self.wall_seconds, self.recognise_wall_seconds) if may_recognise else self.wall_seconds


def extract_in_child(path: str, mime: str, limits: Limits) -> textextract.Extraction:
    """The file's text, read by a child process under the limits; a limit reached is a failure with its reason."""
    recognise = "recognise" if limits.recognise else "no"
    command = [sys.executable, "-I", CHILD, path, mime, str(limits.memory_mb), str(limits.cpu_seconds), recognise]
    wall = limits.wall_for(mime)
    # Fixed command, no shell: our own script and the file's storage path (nosec B603). Its own
    # session, so that the programs it starts (pdftoppm, tesseract) are stopped with it.
    child = subprocess.Popen(  # noqa: S603  # nosec B603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={},  # the reader of hostile bytes gets none of our secrets (database URL, keys)
        start_new_session=True,
    )
    try:
        stdout, stderr = child.communicate(timeout=wall)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return _failed(f"it took longer than {wall:g} seconds")
    finally:
        _stop_what_is_left(child.pid)
    done = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return _failed(f"it needed more than {limits.cpu_seconds} seconds of processing")
    if done.returncode == textextract.OUT_OF_MEMORY or b"MemoryError" in done.stderr:
        return _failed(f"it needed more than {limits.memory_mb} MB of memory")
    if done.returncode != 0:
        error = done.stderr[-2000:].decode("utf-8", "replace")
        current_app.logger.warning("text extraction child ended with status %s: %s", done.returncode, error)
        return _failed("the reader stopped unexpectedly")
    return textextract.Extraction(**json.loads(done.stdout))


def _stop_what_is_left(group: int) -> None:
    """A program the child started and left running (it was killed) goes with its session."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _failed(reason: str) -> textextract.Extraction:
    return textextract.Extraction("failed", "", reason)


# --- jobs ------------------------------------------------------------------------------------------


def _claimable(stale_before):
    return sa.or_(
        RecordFile.text_status == PENDING,
        sa.and_(RecordFile.text_status == CLAIMED, RecordFile.text_claimed_at < stale_before),
    )


def claim(limits: Limits) -> tuple[int, int] | None:
    """Take one file to extract (its id and the claim's number), committed, or None when none waits.

    Safe with several workers: on PostgreSQL rows another worker is claiming are skipped (SKIP
    LOCKED), and the claim is an UPDATE that only succeeds if the file is still claimable.
    """
    longest = max(limits.wall_seconds, limits.recognise_wall_seconds if limits.recognise else 0)
    stale_before = utcnow() - timedelta(seconds=longest) - CLAIM_MARGIN
    while True:
        row = db.session.execute(
            sa.select(RecordFile.id, RecordFile.text_attempts)
            .where(_claimable(stale_before))
            .order_by(RecordFile.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            db.session.rollback()
            return None
        if row.text_attempts >= MAX_ATTEMPTS:
            # Claimed that often and never finished: its worker died each time (killed from outside).
            _finish(row.id, row.text_attempts, _failed(f"its reading was interrupted {row.text_attempts} times"))
            db.session.commit()
            continue
        attempt = row.text_attempts + 1
        claimed = db.session.execute(
            sa.update(RecordFile)
            .where(RecordFile.id == row.id, _claimable(stale_before))
            .values(text_status=CLAIMED, text_claimed_at=utcnow(), text_attempts=attempt)
        ).rowcount
        db.session.commit()
        if claimed == 1:
            return row.id, attempt


def _finish(file_id: int, attempt: int, result: textextract.Extraction) -> bool:
    """Write the result if the claim is still ours, and queue the record for the index."""
    detected = languages.of_filed_text(result.text) if result.text else None
    written = db.session.execute(
        sa.update(RecordFile)
        .where(RecordFile.id == file_id, RecordFile.text_attempts == attempt)
        .values(
            text_status=result.status,
            extracted_text=result.text,
            text_problem=result.problem[:300],
            text_recognised=result.recognised,
            text_confidence=result.confidence,
            text_claimed_at=None,
            # detected once, here; a coordinator's correction made meanwhile stands
            **({"language": sa.func.coalesce(RecordFile.language, detected)} if detected else {}),
        )
    ).rowcount
    if written:
        record_id = db.session.scalar(
            sa.select(RecordVersion.record_id)
            .join(RecordFile, RecordFile.version_id == RecordVersion.id)
            .where(RecordFile.id == file_id)
        )
        db.session.add(SearchChange(record_id=record_id))
        db.session.flush()
        if result.recognised and result.status == "extracted":  # scanned paper: a searchable copy too
            searchable_copy.queue(file_id, result.model)
    return bool(written)


def release(file_id: int, attempt: int) -> None:
    """Give a claimed file back (the worker is stopping): another worker takes it at once."""
    db.session.rollback()
    db.session.execute(
        sa.update(RecordFile)
        .where(RecordFile.id == file_id, RecordFile.text_attempts == attempt, RecordFile.text_status == CLAIMED)
        .values(text_status=PENDING, text_claimed_at=None, text_attempts=attempt - 1)
    )
    db.session.commit()


def extract_one(file_id: int, attempt: int, limits: Limits) -> textextract.Extraction:
    """Read one claimed file's text in a child and record the outcome (committed)."""
    row = db.session.execute(
        sa.select(RecordFile.blob_sha256, RecordFile.mime_type).where(RecordFile.id == file_id)
    ).one()
    db.session.commit()  # no transaction stays open while the child runs
    path = files.blob_path(row.blob_sha256)
    if not path.exists():
        result = _failed("the stored file is missing")
    elif row.mime_type not in textextract.WITH_TEXT:
        result = textextract.Extraction("empty", "")
    else:
        result = extract_in_child(str(path), row.mime_type, limits)
    if result.status == "failed":
        current_app.logger.warning("text of file %s not extracted: %s", file_id, result.problem)
    _finish(file_id, attempt, result)
    db.session.commit()
    return result


def run_pending(limit: int | None = None) -> int:
    """Bring the index up to date, then extract every file waiting (or ``limit`` of them), each then
    brought to the search index; returns how many files."""
    limits = Limits.from_config()
    _keep_index()
    done = 0
    while limit is None or done < limit:
        job = claim(limits)
        if job is None:
            break
        try:
            extract_one(*job, limits)
        except BaseException:
            release(*job)
            raise
        done += 1
        _sync()
    return done


def _sync() -> None:
    try:
        indexing.sync(wait=False)
    except indexing.IndexBusy:  # another process holds the writer: the next poll applies it
        current_app.logger.info("search index writer busy; the change is applied at the next poll")
    except Exception:  # the outbox keeps the work for the next sync
        db.session.rollback()
        current_app.logger.exception("search index sync failed after extraction; it will be retried")


def _keep_index() -> None:
    try:
        indexing.catch_up()
    except Exception:  # tried again at the next poll
        db.session.rollback()
        current_app.logger.exception("search index rebuild or sync failed; it will be retried")
