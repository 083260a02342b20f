"""Readiness: may this instance take traffic? The database answers, its schema is at the release's
migration head, and the archive's file store accepts a new file.

The causes are for the log only; the probe's answer says nothing but ready or not.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from secretariat.extensions import db


@cache
def _script_heads(directory: str) -> frozenset[str]:
    """The migration heads this release ships (read once per process: they change only with the code)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def migration_heads() -> frozenset[str]:
    return _script_heads(current_app.extensions["migrate"].directory)


def problems() -> list[str]:
    """What stops this instance from serving; empty when it is ready."""
    found = []
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            try:
                current = frozenset(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
            except sa.exc.DBAPIError:
                current = frozenset()
    except Exception as exc:  # any failure to reach the database means "not ready"
        return [f"database unreachable: {type(exc).__name__}: {exc}"]
    if current != migration_heads():
        found.append(f"migrations not at head: database at {sorted(current)}, release at {sorted(migration_heads())}")
    try:
        root = Path(current_app.config["ARCHIVE_STORAGE"])
        root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=root, prefix=".readyz-")
        os.close(fd)
        os.unlink(temp)
    except OSError as exc:
        found.append(f"file store not writable: {type(exc).__name__}: {exc}")
    return found
