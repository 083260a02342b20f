"""Where uploaded bytes live: a small interface every area goes through, and its one implementation.

With several application servers, every one of them must see the same files: ARCHIVE_STORAGE is a
folder on storage they all mount (NFS or similar, docs/deployment.md "Shared storage"). An object
store (S3 and the like) would be another class with the same five methods; the areas would not
change (the text extraction child, which needs a real file, would get a temporary copy). Names are
relative, "/"-separated keys chosen by the caller (the archive uses
``aa/bb/<sha256>``); a store never invents or rewrites them.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from flask import current_app


class FileStore(Protocol):
    """What the application needs from a file store."""

    def put(self, name: str, data: bytes) -> None:
        """Store the bytes under ``name`` atomically: a reader sees the old bytes or all the new ones."""

    def open(self, name: str) -> BinaryIO:
        """The stored bytes, for reading (FileNotFoundError if absent)."""

    def delete(self, name: str) -> None:
        """Remove ``name``; absent already is not an error."""

    def exists(self, name: str) -> bool:
        """Whether ``name`` is stored."""

    def names(self, pattern: str) -> Iterator[str]:
        """The stored names matching a glob pattern (``*/*/*``)."""

    def size(self, name: str) -> int:
        """The stored size in bytes (FileNotFoundError if absent)."""

    def age_seconds(self, name: str) -> float:
        """How long ago ``name`` was last written (0 if it is gone)."""


class LocalFileStore:
    """A folder of the local file system, or a network file system mounted on every server."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """The file's path on this host (for a child process or a copy that needs a real file)."""
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError("not a relative file name")
        return self.root.joinpath(*parts)

    def put(self, name: str, data: bytes) -> None:
        """Temporary file in the same folder, fsync, rename: atomic on a local disk and on NFS."""
        target = self.path(name)
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

    def open(self, name: str) -> BinaryIO:
        return self.path(name).open("rb")

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int:
        return self.path(name).stat().st_size

    def age_seconds(self, name: str) -> float:
        try:
            return max(0.0, time.time() - self.path(name).stat().st_mtime)
        except FileNotFoundError:
            return 0.0

    def touch(self, name: str) -> None:
        """Mark the file as freshly written (the orphan sweep spares recent files)."""
        os.utime(self.path(name))

    def names(self, pattern: str) -> Iterator[str]:
        if not self.root.exists():
            return iter(())
        return (path.relative_to(self.root).as_posix() for path in self.root.glob(pattern))


def files() -> LocalFileStore:
    """The application's store of uploaded files (ARCHIVE_STORAGE), one per application."""
    root = current_app.config["ARCHIVE_STORAGE"]
    stores = current_app.extensions.setdefault("secretariat.storage", {})
    if root not in stores:  # keyed by the folder: tests point an application at another one
        stores[root] = LocalFileStore(root)
    return stores[root]
