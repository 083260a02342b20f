"""An online backup: a consistent database snapshot, the archive's files, and a manifest.

Layout of a backup folder:

    manifest.json          created_at, database kind, Alembic revision, row counts, audit head, file hashes
    database.sqlite        (SQLite) a copy made with SQLite's backup API
    database.dump          (PostgreSQL) pg_dump's custom format
    files/aa/bb/<sha256>   the archive's stored files, as in ARCHIVE_STORAGE

The search index is not copied: it is derived from the database (`archive reindex`), and
the restore rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from secretariat.archive import files
from secretariat.extensions import db
from secretariat.ops import facts
from secretariat.ops import progress as progresses

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = os.environ.get("PG_DUMP", "/usr/bin/pg_dump")


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def backup(target: Path, progress=progresses.none) -> dict:
    """Write a backup of this instance into ``target`` (new or empty); return the manifest."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: a backup is only written into a new or empty one.")
    created = not target.exists()
    # Owner only: a backup holds everything, password hashes and second-factor secrets included.
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if db.engine.dialect.name == "postgresql":
            database_file, described = _dump_postgresql(target)
        else:
            database_file, described = _copy_sqlite(target)
        # The files are copied AFTER the database snapshot, so every blob row in the snapshot has its
        # bytes on disk: files.store() writes, fsyncs and renames the bytes before the row is
        # committed, and stored bytes are never deleted (only `archive sweep --remove` deletes, and
        # only bytes that no row names). Files added after the snapshot are simply not copied.
        blob_files = _copy_blobs(progress(described.pop("blobs"), label="Copying stored files"), target / "files")
    except BaseException:
        # A half-written backup must not look like one: remove what this attempt wrote.
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        if created:
            target.rmdir()
        raise
    manifest = {
        "format": FORMAT,
        "application": "secretariat",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"kind": db.engine.dialect.name, "file": database_file},
        **described,
        "files": {database_file: facts.sha256_file(target / database_file), **blob_files},
    }
    _write_json(target / MANIFEST, manifest)
    return manifest


def _copy_sqlite(target: Path) -> tuple[str, dict]:
    """SQLite's backup API copies a consistent snapshot even while other processes write."""
    source_path = facts.sqlite_path(db.engine.url)
    name = "database.sqlite"
    source = sqlite3.connect(source_path, timeout=15)
    destination = sqlite3.connect(target / name)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    # The facts are read from the copy itself, so they describe exactly what was saved.
    engine = sa.create_engine(f"sqlite:///{target / name}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            described = facts.describe(conn)
            described["blobs"] = facts.blob_hashes(conn)
        with engine.begin() as conn:  # a self-contained file: no -wal or -shm beside it
            conn.execute(sa.text("PRAGMA journal_mode=DELETE"))
    finally:
        engine.dispose()
    return name, described


def _dump_postgresql(target: Path) -> tuple[str, dict]:
    """pg_dump and our own counts read the same snapshot: we export it from a REPEATABLE READ
    transaction that stays open while pg_dump runs with --snapshot."""
    name = "database.dump"
    args, env = facts.pg_command_parts(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        described = facts.describe(conn)
        described["blobs"] = facts.blob_hashes(conn)
        result = subprocess.run(  # noqa: S603 (fixed program, no shell)  # nosec B603
            [PG_DUMP, "--format=custom", f"--snapshot={snapshot}", f"--file={target / name}", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return name, described


def _copy_blobs(hashes: Iterable[str], folder: Path) -> dict[str, str]:
    """Copy each stored file named in the snapshot, checking that its bytes still match its hash."""
    copied = {}
    for sha in hashes:
        source = files.blob_path(sha)
        relative = source.relative_to(files.storage_root())
        if not source.exists():
            raise BackupError(f"stored file {sha} is missing; run `flask archive verify`.")
        digest = copy_verified(source, folder / relative)
        if digest != sha:
            raise BackupError(f"stored file {sha} does not match its hash (now {digest}); run `flask archive verify`.")
        copied[str(Path("files") / relative)] = digest
    return copied


def copy_verified(source: Path, destination: Path) -> str:
    """Copy through a temporary file (fsynced, then renamed) and return the SHA-256 of the bytes copied."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, temp = tempfile.mkstemp(dir=destination.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for chunk in iter(lambda: src.read(1024 * 1024), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _write_json(path: Path, value: dict) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    os.replace(temp, path)
