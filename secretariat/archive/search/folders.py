"""Where a host keeps its search index: generations, the pointer to the one searched, what each applied.

``ARCHIVE_INDEX`` is one folder per host, never shared between hosts: tantivy memory-maps its
files, and one host's writer deletes segments that another's readers still map. It holds:

    index-id        this index's name in the registry (search_indexes), made once
    current         a symbolic link to the generation searches read, switched by an atomic rename
    gen-<n>/        one generation: a tantivy index, its common-word list (pairs.py), applied-change
    rebuild.lock    held (flock) by the one process of the host that rebuilds

A rebuild fills a new generation beside the one searched and switches ``current`` to it when it is
complete, so searches never see a half-built index; the generation it replaced is kept (processes
that still map it move over at their next search) and the ones before it are deleted.

``applied-change`` holds the id of the last change of the log (changelog.py) that the generation's
index holds. The process holding the index's writer writes it right after each tantivy commit, to
a temporary file renamed over it. Why a file and not the commit itself: tantivy-py exposes no commit
payload, and a document carrying the id would be found and counted by searches. Written after the
commit, the file may be behind the index after a crash, never ahead of it: the changes after it are
then applied again, which is harmless (each is a delete by key then an add).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POINTER = "current"
NAME_FILE = "index-id"
APPLIED_FILE = "applied-change"
REBUILD_LOCK = "rebuild.lock"
PREFIX = "gen-"
#: the files of an index of the releases before generations, kept directly in ARCHIVE_INDEX
_LEGACY_SUFFIXES = (".idx", ".pos", ".term", ".store", ".fast", ".fieldnorm", ".del", ".json", ".lock")


def current(base: Path) -> Path:
    """The generation searches read now; the first one is made if there is none."""
    try:
        return base / os.readlink(base / POINTER)
    except FileNotFoundError:
        pass
    base.mkdir(parents=True, exist_ok=True)
    _remove_legacy(base)
    folder = new_generation(base)
    try:
        os.symlink(folder.name, base / POINTER)
    except FileExistsError:  # another process of this host made the first one at the same moment
        shutil.rmtree(folder, ignore_errors=True)
        return base / os.readlink(base / POINTER)
    return folder


def new_generation(base: Path) -> Path:
    """An empty folder for a new generation, named so that later ones sort after earlier ones."""
    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"{PREFIX}{time.time_ns():020d}-{os.getpid()}"
    folder.mkdir()
    return folder


def switch(base: Path, folder: Path) -> Path | None:
    """Make ``folder`` the generation searched, atomically; returns the one it replaces."""
    try:
        previous = base / os.readlink(base / POINTER)
    except FileNotFoundError:
        previous = None
    staged = base / f"{POINTER}.{os.getpid()}"
    staged.unlink(missing_ok=True)
    os.symlink(folder.name, staged)
    os.replace(staged, base / POINTER)
    return previous


def prune(base: Path, keep: set[Path]) -> None:
    """Delete the generations other than ``keep`` (call while holding the rebuild lock)."""
    for folder in base.glob(f"{PREFIX}*"):
        if folder.is_dir() and folder not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def applied(folder: Path) -> int | None:
    """The last change the generation's index holds; None for an index still waiting for its first rebuild."""
    try:
        return int((folder / APPLIED_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def write_applied(folder: Path, change_id: int) -> None:
    staged = folder / f"{APPLIED_FILE}.{os.getpid()}"
    with open(staged, "w") as out:
        out.write(f"{change_id}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(staged, folder / APPLIED_FILE)


def forget_applied(folder: Path) -> None:
    """The index no longer holds what the log says (emptied): it waits for a rebuild."""
    (folder / APPLIED_FILE).unlink(missing_ok=True)


def name(base: Path) -> str:
    """This index's name in the registry, made the first time and kept with the index."""
    path = base / NAME_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    base.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x") as out:
            out.write(uuid.uuid4().hex + "\n")
    except FileExistsError:
        pass
    return path.read_text().strip()


@contextmanager
def rebuild_lock(base: Path) -> Iterator[bool]:
    """Whether this process may rebuild now: one rebuild per host at a time, the others skip it."""
    base.mkdir(parents=True, exist_ok=True)
    with open(base / REBUILD_LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_legacy(base: Path) -> None:
    """An index of the releases before generations (its files directly in ARCHIVE_INDEX): discarded."""
    if not (base / "meta.json").exists():
        return
    for path in base.iterdir():
        if path.is_file() and (path.suffix in _LEGACY_SUFFIXES or path.name.startswith((".tantivy", "common-"))):
            path.unlink(missing_ok=True)
    for mark in ("started-afresh", "rebuild-requested"):
        (base / mark).unlink(missing_ok=True)
