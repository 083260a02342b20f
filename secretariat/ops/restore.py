"""Restore a backup into an empty instance, then prove it: counts, hashes and the audit chain.

Nothing in the target is touched until the backup itself has been checked (every file against the
manifest) and the target found empty, so a damaged backup or a wrong target changes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess  # nosec B404
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from secretariat import audit
from secretariat.archive import files
from secretariat.extensions import db
from secretariat.ops import facts
from secretariat.ops import progress as progresses
from secretariat.ops.backup import FORMAT, MANIFEST, copy_verified

PG_RESTORE = os.environ.get("PG_RESTORE", "/usr/bin/pg_restore")


class RestoreError(Exception):
    """The restore was refused or failed before verification; the message says why."""


@dataclass
class RestoreReport:
    manifest: dict
    tables: int = 0
    rows: int = 0
    files: int = 0
    audit_entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise RestoreError(f"{source} has no {MANIFEST}: it is not a backup, or the backup did not finish.") from exc
    except ValueError as exc:
        raise RestoreError(f"{source / MANIFEST} is not valid JSON.") from exc
    if manifest.get("format") != FORMAT or manifest.get("application") != "secretariat":
        raise RestoreError(f"{source / MANIFEST} is not a backup of this application in a format this release reads.")
    return manifest


def check_backup(source: Path, manifest: dict, progress=progresses.none) -> None:
    """Every file the manifest lists is there with its hash; no path leaves the backup folder."""
    root = source.resolve()
    bad = []
    for relative, expected in progress(sorted(manifest["files"].items()), label="Checking the backup"):
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise RestoreError(f"the manifest names a file outside the backup: {relative}")
        if not path.is_file():
            bad.append(f"{relative}: missing")
        elif facts.sha256_file(path) != expected:
            bad.append(f"{relative}: content does not match the manifest")
    if bad:
        raise RestoreError("the backup is damaged; nothing was restored:\n  " + "\n  ".join(bad))


def check_target_empty(manifest: dict) -> None:
    kind = db.engine.dialect.name
    if manifest["database"]["kind"] != kind:
        raise RestoreError(f"this backup is of a {manifest['database']['kind']} database; the target is {kind}.")
    with db.engine.connect() as conn:
        occupied = facts.application_rows(conn)
    if occupied:
        tables = ", ".join(f"{name} ({n})" for name, n in sorted(occupied.items()))
        raise RestoreError(f"the target database is not empty: {tables}. Restore only into an empty instance.")
    root = files.storage_root()
    if root.exists() and any(path.is_file() for path in root.rglob("*")):
        raise RestoreError(f"the file store {root} is not empty. Restore only into an empty instance.")


def restore(source: Path, progress=progresses.none) -> RestoreReport:
    """Restore the backup in ``source`` into this (empty) instance and verify the result."""
    manifest = load_manifest(source)
    check_backup(source, manifest, progress)
    check_target_empty(manifest)
    database_file = source / manifest["database"]["file"]
    db.session.remove()
    db.engine.dispose()  # no pooled connection may outlive the database it was opened on
    if manifest["database"]["kind"] == "postgresql":
        _pg_restore(database_file)
    else:
        _sqlite_restore(database_file)
    db.engine.dispose()
    stored = [relative for relative in manifest["files"] if relative.startswith("files/")]
    for relative in progress(stored, label="Copying stored files"):
        copy_verified(source / relative, files.storage_root() / Path(relative).relative_to("files"))
    return verify(manifest, progress)


def _sqlite_restore(database_file: Path) -> None:
    target = facts.sqlite_path(db.engine.url)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database_file)
    destination = sqlite3.connect(target, timeout=15)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _pg_restore(database_file: Path) -> None:
    # --clean drops only the objects the dump creates (the empty tables of a migrated database);
    # the target was checked to hold no application rows, so nothing is lost.
    args, env = facts.pg_command_parts(db.engine.url)
    result = subprocess.run(  # noqa: S603 (fixed program, no shell)  # nosec B603
        [
            PG_RESTORE,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(database_file),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RestoreError(f"pg_restore failed: {result.stderr.strip()}")
    _vacuum_analyze()


def _vacuum_analyze() -> None:
    """Planner statistics and the visibility map for the restored tables, as autovacuum would leave them.

    A dump holds no statistics: until they are gathered PostgreSQL plans with guesses, and reads
    table pages where an index alone would do (autovacuum gets to it later, or never where it is
    off; pg_restore's manual asks for ANALYZE). The data is committed by now: if this fails, the
    restore is still verified, and the operator told to run it.
    """
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM: no transaction
            conn.execute(sa.text("VACUUM ANALYZE"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning("VACUUM ANALYZE after the restore failed; run it by hand", exc_info=True)


def verify(manifest: dict, progress=progresses.none) -> RestoreReport:
    """Compare the restored instance with the manifest; every difference is a problem."""
    report = RestoreReport(manifest)
    with db.engine.connect() as conn:
        described = facts.describe(conn)
        blobs = set(facts.blob_hashes(conn))
    if described["alembic_revision"] != manifest["alembic_revision"]:
        report.problems.append(
            f"migration revision {described['alembic_revision']} instead of {manifest['alembic_revision']}"
        )
    counts, expected_counts = described["row_counts"], manifest["row_counts"]
    for table in sorted(set(counts) | set(expected_counts)):
        if counts.get(table) != expected_counts.get(table):
            found, expected = counts.get(table), expected_counts.get(table)
            report.problems.append(f"table {table}: {found} rows, the backup had {expected}")
    report.tables, report.rows = len(counts), sum(counts.values())

    expected_blobs = {Path(p).name for p in manifest["files"] if p.startswith("files/")}
    if blobs != expected_blobs:
        report.problems.append(f"{len(blobs ^ expected_blobs)} file(s) differ between the database and the backup")
    for sha in progress(sorted(blobs), label="Verifying stored files"):
        if files.hash_of_stored(sha) != sha:
            report.problems.append(f"stored file {sha} is missing or does not match its hash")
    report.files = len(blobs)

    chain = audit.verify()
    report.audit_entries = chain.checked
    if not chain.ok:
        report.problems.append(f"audit chain broken at entry seq={chain.broken_seq}: {chain.reason}")
    if described["audit"] != manifest["audit"]:
        report.problems.append(f"audit head {described['audit']} instead of {manifest['audit']}")
    last_hash = db.session.scalar(sa.text("SELECT entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"))
    if last_hash != manifest["audit"]["hash"] and manifest["audit"]["entries"]:
        report.problems.append("the last audit entry is not the head the backup recorded")
    return report
