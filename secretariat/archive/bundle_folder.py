"""Reading a bundle folder without trusting it: only known names, plain files, bounded sizes, hashes checked.

Nothing in a bundle is ever used as a path: every file is found by walking the folder (links are
refused, not followed), matched against the few names a bundle may hold, and opened by the name
this module built, with O_NOFOLLOW.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

MANIFEST = "manifest.json"
AUDIT = "audit.jsonl"
INDEX = "index.html"
#: a stored file's reference, and its only form: the SHA-256 of its bytes in lower-case hex
SHA256 = re.compile(r"[0-9a-f]{64}")
#: one line of a table (a record file's extracted text is at most 2 million characters, escaped)
LINE_LIMIT = 32 * 1024 * 1024
MANIFEST_LIMIT = 256 * 1024 * 1024


class BundleError(Exception):
    """The bundle is incomplete, altered, or cannot go into this instance; the message says what."""


def table_name(name: str) -> str:
    return f"tables/{name}.jsonl"


def file_name(sha256: str) -> str:
    if not SHA256.fullmatch(sha256):
        raise BundleError(f"{sha256!r} is not a SHA-256 digest.")
    return f"files/{sha256}"


class Folder:
    """A bundle folder whose every file was found by walking it, each a plain file within its size limit."""

    def __init__(self, root: Path, tables: tuple[str, ...], max_file_bytes: int):
        if root.is_symlink() or not root.is_dir():
            raise BundleError(f"{root} is not a bundle folder.")
        self.root = root
        self.max_file_bytes = max_file_bytes
        self._allowed = {MANIFEST, AUDIT, INDEX, *(table_name(t) for t in tables)}
        self.files: dict[str, int] = self._walk()

    def _walk(self) -> dict[str, int]:
        """Every file's name and size; refuses links, devices, unknown names and oversized files."""
        found: dict[str, int] = {}
        try:
            for folder, subfolders, names in os.walk(self.root, followlinks=False):
                for name in sorted(subfolders + names):
                    path = Path(folder) / name
                    relative = path.relative_to(self.root).as_posix()
                    mode = path.lstat()
                    if stat.S_ISLNK(mode.st_mode):
                        raise BundleError(f"{relative} is a symbolic link: a bundle holds only plain files.")
                    if stat.S_ISDIR(mode.st_mode):
                        if relative not in ("files", "tables"):
                            raise BundleError(f"{relative}/ does not belong in a bundle.")
                        continue
                    if not stat.S_ISREG(mode.st_mode):
                        raise BundleError(f"{relative} is not a plain file.")
                    if relative not in self._allowed and not self._is_stored_file(relative):
                        raise BundleError(f"{relative} does not belong in a bundle.")
                    if relative.startswith("files/") and mode.st_size > self.max_file_bytes:
                        raise BundleError(
                            f"{relative} is larger than this instance's upload limit "
                            f"({self.max_file_bytes // (1024 * 1024)} MB)."
                        )
                    found[relative] = mode.st_size
        except OSError as error:
            raise BundleError(f"The bundle cannot be read: {error.strerror or error}.") from error
        return found

    @staticmethod
    def _is_stored_file(relative: str) -> bool:
        folder, _, name = relative.partition("/")
        return folder == "files" and SHA256.fullmatch(name) is not None

    def open(self, relative: str):
        """A file of the bundle, by a name this folder found; links are not followed."""
        if relative not in self.files:
            raise BundleError(f"{relative} is missing from the bundle.")
        try:
            fd = os.open(self.root / relative, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            raise BundleError(f"{relative} cannot be read: {error.strerror or error}.") from error
        return os.fdopen(fd, "rb")

    def sha256(self, relative: str) -> str:
        digest = hashlib.sha256()
        with self.open(relative) as fh:
            for chunk in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def read_stored(self, sha256: str) -> bytes:
        """A stored file's bytes, checked again against their name (the folder may change under us)."""
        relative = file_name(sha256)
        with self.open(relative) as fh:
            data = fh.read(self.max_file_bytes + 1)
        if len(data) > self.max_file_bytes or hashlib.sha256(data).hexdigest() != sha256:
            raise BundleError(f"{relative} changed while the bundle was being imported.")
        return data

    def manifest(self) -> dict:
        if self.files.get(MANIFEST, 0) > MANIFEST_LIMIT:
            raise BundleError("manifest.json is too large.")
        with self.open(MANIFEST) as fh:
            try:
                manifest = json.loads(fh.read())
            except (ValueError, RecursionError) as error:
                raise BundleError("manifest.json is not valid JSON.") from error
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise BundleError("manifest.json does not list the bundle's files.")
        return manifest

    def check_hashes(self, listed: dict) -> None:
        """The manifest lists exactly the files present, each with the hash of its bytes."""
        present = set(self.files) - {MANIFEST}
        for name in sorted(set(listed) - present):
            raise BundleError(f"{name} is listed in the manifest but missing from the bundle.")
        for name in sorted(present - set(listed)):
            raise BundleError(f"{name} is in the bundle but not in its manifest.")
        for name in sorted(present):
            if self.sha256(name) != listed[name]:
                raise BundleError(f"{name} was altered: its hash does not match the manifest.")

    def lines(self, relative: str) -> Iterator[tuple[int, dict]]:
        """The JSON objects of a JSON-lines file, one a line, each line bounded."""
        with self.open(relative) as fh:
            number = 0
            while line := fh.readline(LINE_LIMIT + 1):
                number += 1
                if len(line) > LINE_LIMIT:
                    raise BundleError(f"{relative} line {number} is too long.")
                try:
                    value = json.loads(line)
                except (ValueError, RecursionError) as error:
                    raise BundleError(f"{relative} line {number} is not valid JSON.") from error
                if not isinstance(value, dict):
                    raise BundleError(f"{relative} line {number} is not an object.")
                yield number, value
