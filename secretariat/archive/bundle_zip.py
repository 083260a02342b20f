"""A bundle as one .zip file: packed from a bundle folder, unpacked into a new folder without trusting it.

Unpacking never writes a name it did not check: only the names a bundle may hold (no absolute
path, no "..", no backslash), no links, no name twice, each member within its limit counted on
the bytes actually decompressed (not the sizes the archive declares), stored or deflated only.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from secretariat.archive.bundle_folder import AUDIT, INDEX, MANIFEST, SHA256, BundleError, table_name

#: a table, the audit trail, the manifest or the index: generous, but a bound on what one member may fill
OTHER_MEMBER_LIMIT = 8 * 1024 * 1024 * 1024
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def pack(folder: Path, target: Path) -> None:
    """Write the bundle folder's files into ``target`` (deflated), names relative to the folder."""
    with zipfile.ZipFile(target, "x", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())


def _allowed(name: str, tables: tuple[str, ...]) -> bool:
    if name in (MANIFEST, AUDIT, INDEX) or name in {table_name(t) for t in tables}:
        return True
    folder, _, rest = name.partition("/")
    return folder == "files" and SHA256.fullmatch(rest) is not None


def _limit(name: str, max_file_bytes: int) -> int:
    return max_file_bytes if name.startswith("files/") else OTHER_MEMBER_LIMIT


@contextmanager
def unpacked(source: Path, tables: tuple[str, ...], max_file_bytes: int) -> Iterator[Path]:
    """The .zip bundle unpacked into a temporary folder (removed afterwards), every member checked first."""
    with TemporaryDirectory(prefix="bundle-") as temporary:
        root = Path(temporary)
        unpack_checked(
            source,
            root,
            allowed=lambda name: _allowed(name, tables),
            folder_allowed=lambda name: name in ("files", "tables"),
            limit=lambda name: _limit(name, max_file_bytes),
        )
        yield root


def unpack_checked(
    source: Path,
    root: Path,
    *,
    allowed: Callable[[str], bool],
    folder_allowed: Callable[[str], bool],
    limit: Callable[[str], int],
    max_members: int | None = None,
    max_total: int | None = None,
    kind: str = "bundle",
) -> None:
    """Unpack the .zip file ``source`` into ``root``, every member checked first: its name (by
    ``allowed``, its folders by ``folder_allowed``), no link, no name twice, the compression, and
    the bytes really decompressed within ``limit(name)``. Also used for a bulk import's upload
    (``kind`` names it in the messages)."""
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            if max_members is not None and len(infos) > max_members:
                raise BundleError(f"{source.name} holds more than {max_members} files.")
            if max_total is not None and sum(i.file_size for i in infos) > max_total:  # each checked on its bytes
                raise BundleError(f"{source.name} decompresses to more than {max_total // (1024 * 1024)} MB.")
            for member in _checked_members(infos, allowed, folder_allowed, limit, kind):
                _extract(archive, member, root / member.filename, limit(member.filename))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise BundleError(f"{source.name} is not a readable .zip {kind}: {error}.") from error
    except OSError as error:
        raise BundleError(f"{source.name} cannot be unpacked: {error.strerror or error}.") from error


def _checked_members(infos, allowed, folder_allowed, limit, kind: str) -> list[zipfile.ZipInfo]:
    a_kind = ("an " if kind[0] in "aeiou" else "a ") + kind
    members, seen = [], set()
    for member in infos:
        name = member.filename
        if member.is_dir():
            if not folder_allowed(name.rstrip("/")):
                raise BundleError(f"{name} does not belong in {a_kind}.")
            continue
        if not allowed(name):  # absolute paths, "..", backslashes and anything else unknown
            raise BundleError(f"{name!r} does not belong in {a_kind}.")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise BundleError(f"{name} is a symbolic link: {a_kind} holds only plain files.")
        if name in seen:
            raise BundleError(f"{name} appears twice in the .zip file.")
        if member.compress_type not in COMPRESSIONS:
            raise BundleError(f"{name} is compressed with a method {a_kind} does not use.")
        if member.file_size > limit(name):
            raise BundleError(f"{name} is larger than {a_kind}'s member may be.")
        seen.add(name)
        members.append(member)
    return members


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, destination: Path, limit: int) -> None:
    """Copy one member, counting the bytes really decompressed against its declared size and the limit."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    allowed = min(limit, member.file_size)
    written = 0
    with archive.open(member) as source, destination.open("xb") as out:
        while chunk := source.read(1024 * 1024):
            written += len(chunk)
            if written > allowed:
                raise BundleError(f"{member.filename} decompresses to more than it declares.")
            out.write(chunk)
