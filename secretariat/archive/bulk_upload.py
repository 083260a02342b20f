"""A bulk import from the browser: the upload kept between its preview and its filing, unpacked
into a folder for bulk.import_folder (the code `flask archive import-folder` runs).

An upload is a .zip holding manifest.csv and the files it names (at the top or in one folder), or
the manifest and its files chosen together. It is kept as a .zip under a random name bound to the
coordinator who sent it, for an hour; unpacking it checks every member as a bundle's are
(bundle_zip.unpack_checked): names, links, sizes counted on the bytes really decompressed.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory

from flask import current_app

from secretariat import audit
from secretariat.archive import bulk
from secretariat.archive.bundle_folder import BundleError
from secretariat.archive.bundle_zip import unpack_checked

MANIFEST = "manifest.csv"
#: how long an upload waits for its filing after the preview
KEPT_SECONDS = 3600
MAX_MEMBERS = 2000
#: what all the files of one upload may decompress to, in uploads' size limits
MAX_TOTAL_UPLOADS = 20
_TOKEN = re.compile(r"[0-9a-f]{32}")
_ZIP_MAGIC = b"PK\x03\x04"


class UploadRefused(Exception):
    """The upload cannot be read as a bulk import; the message says why."""


def _root() -> Path:
    """Where uploads wait: beside the archive's storage, never under the web root."""
    root = Path(current_app.config["ARCHIVE_STORAGE"]).resolve().parent / "archive-imports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _path(token: str, user) -> Path:
    if not _TOKEN.fullmatch(token or ""):
        raise UploadRefused("This import is unknown or has expired: choose the files again.")
    return _root() / f"{int(user.id)}-{token}.zip"


def _safe_name(name: str) -> bool:
    """A member's name made of plain parts: not absolute, no "..", no backslash, not too deep."""
    parts = PurePosixPath(name).parts
    return (
        0 < len(parts) <= 4
        and not name.startswith("/")
        and all(p not in (".", "..") and "\\" not in p and "\x00" not in p and len(p) <= 255 for p in parts)
    )


def keep(uploads: list[tuple[str, bytes]], user) -> str:
    """Keep an upload for its preview and filing; returns its token. Old uploads are removed."""
    for old in _root().glob("*.zip"):
        if time.time() - old.stat().st_mtime > KEPT_SECONDS:
            old.unlink(missing_ok=True)
    uploads = [(PurePosixPath(name.replace("\\", "/")).name, data) for name, data in uploads if name]
    if len(uploads) == 1 and uploads[0][1].startswith(_ZIP_MAGIC):
        packed = uploads[0][1]
    elif any(name == MANIFEST for name, _ in uploads):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in uploads:
                if not _safe_name(name) or name in archive.namelist():
                    raise UploadRefused(f"“{name}” cannot be imported: each file once, with a plain name.")
                archive.writestr(name, data)
        packed = out.getvalue()
    else:
        raise UploadRefused(f"Choose a .zip file, or {MANIFEST} together with the files it names.")
    token = secrets.token_hex(16)
    path = _path(token, user)
    partial = path.with_suffix(".part")
    partial.write_bytes(packed)
    partial.rename(path)  # whole or absent
    return token


@contextmanager
def unpacked(token: str, user) -> Iterator[Path]:
    """The upload unpacked into a temporary folder (removed afterwards): the folder of its manifest."""
    path = _path(token, user)
    if not path.is_file():
        raise UploadRefused("This import is unknown or has expired: choose the files again.")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    with TemporaryDirectory(prefix="import-") as temporary:
        root = Path(temporary)
        try:
            unpack_checked(
                path,
                root,
                allowed=_safe_name,
                folder_allowed=_safe_name,
                limit=lambda _name: limit,
                max_members=MAX_MEMBERS,
                max_total=MAX_TOTAL_UPLOADS * limit,
                kind="upload",
            )
        except BundleError as error:
            raise UploadRefused(str(error).replace(path.name, "The upload")) from None
        folders = [root, *[p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]]
        found = [f for f in folders if (f / MANIFEST).is_file()]
        if len(found) != 1:
            raise UploadRefused(f"The upload must hold one {MANIFEST}, at the top or in one folder.")
        yield found[0]


def preview(token: str, user) -> bulk.BulkResult:
    """Every line of the upload's manifest checked, nothing filed."""
    with unpacked(token, user) as folder:
        return bulk.import_folder(folder, actor=user, check_only=True)


def file_all(token: str, user) -> bulk.BulkResult:
    """File every line of the upload, or none if any is wrong (checked again: the same code as the
    command line); audited as one import. The caller commits."""
    with unpacked(token, user) as folder:
        manifest_sha256 = hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
        result = bulk.import_folder(folder, actor=user)
    if not result.errors:
        audit.record(user, "archive.bulk_import", object_type="records", count=result.filed, manifest=manifest_sha256)
        discard(token, user)
    return result


def discard(token: str, user) -> None:
    _path(token, user).unlink(missing_ok=True)
