"""Export the archive to a self-contained folder, and import such a folder into an empty archive.

A bundle holds every row of the archive's tables with every column and its id (records, their
partners, versions, files, blobs), the meetings and partners those rows name (whole) and the
users they name (id and address only: a bundle carries no accounts), the audit trail, the
files themselves named by their SHA-256, a manifest of hashes and a static HTML index a person
can browse offline.

An import trusts nothing in the bundle. It refuses the whole bundle, naming the record and the
field, unless every file reference is a digest whose bytes hash to it, every version matches its
seal (also in the bundle's audit chain), and every record's row agrees with the sealed metadata
of its current version and with the withdrawals of the audit trail. Rows keep their ids, so the
seals, which name meetings by id, still hold; the seals are written into the importing
instance's own audit chain, so `archive verify` passes there.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from tempfile import TemporaryDirectory
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app

from secretariat import audit
from secretariat.agenda.models import Meeting
from secretariat.archive import bundle_zip, files, services
from secretariat.archive.bundle_folder import AUDIT, INDEX, MANIFEST, SHA256, BundleError, Folder, table_name
from secretariat.archive.models import (
    Blob,
    Confidentiality,
    Record,
    RecordFile,
    RecordType,
    RecordVersion,
    SearchOutbox,
    record_partners,
)
from secretariat.audit.models import AuditEntry
from secretariat.audit.services import GENESIS_HASH, compute_hash
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow

__all__ = ["FORMAT", "TABLES", "BundleError", "ImportResult", "check", "export", "import_bundle"]

FORMAT = "asem-archive-bundle/2"

#: every table a bundle carries, in the order an import inserts them, with the columns it carries
TABLES: dict[str, tuple[sa.Column, ...]] = {
    "partners": tuple(Partner.__table__.columns),
    "users": (User.__table__.c.id, User.__table__.c.email),
    "meetings": tuple(Meeting.__table__.columns),
    "blobs": tuple(Blob.__table__.columns),
    "records": tuple(Record.__table__.columns),
    "record_partners": tuple(record_partners.columns),
    "record_versions": tuple(RecordVersion.__table__.columns),
    "record_files": tuple(RecordFile.__table__.columns),
}
#: the archive's own tables: an import inserts their rows as they are, ids included
ARCHIVE_TABLES = ("blobs", "records", "record_partners", "record_versions", "record_files")
#: the record's fields that decide who sees it: always compared with its current version's seal
ACCESS_FIELDS = frozenset({"confidentiality", "embargo_until", "embargo_meeting_id"})
#: where an archive's ids come from on PostgreSQL: moved past the imported ids
SEQUENCED = (Meeting.__table__, Record.__table__, RecordVersion.__table__, RecordFile.__table__)


# --- values ---------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _python_type(column: sa.Column) -> type:
    for candidate in (column, *(fk.column for fk in column.foreign_keys)):
        kind = candidate.type
        if isinstance(kind, sa.types.TypeDecorator):
            kind = kind.impl  # UTCDateTime says "object": its implementation says datetime
        try:
            return kind.python_type
        except NotImplementedError:
            continue
    return object


def _decode(column: sa.Column, value: Any, where: str) -> Any:
    """A bundle's value for a column, of the column's type, or a refusal naming the row and the column."""
    if value is None:
        if column.nullable and not column.primary_key:
            return None
        raise BundleError(f"{where}: {column.name} is empty.")
    kind = _python_type(column)
    try:
        if kind is datetime:
            decoded = datetime.fromisoformat(value)
            if decoded.tzinfo is None:
                raise ValueError
            return decoded
        if kind is date:
            return date.fromisoformat(value)
        if kind is time:
            return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise BundleError(f"{where}: {column.name} is not a valid {kind.__name__}: {value!r}.") from None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise BundleError(f"{where}: {column.name} is not a whole number: {value!r}.")
    if kind is str:
        if not isinstance(value, str) or "\x00" in value:
            raise BundleError(f"{where}: {column.name} is not text.")
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise BundleError(f"{where}: {column.name} is longer than {length} characters.")
    if kind is bool and not isinstance(value, bool):
        raise BundleError(f"{where}: {column.name} is not true or false.")
    return value


def _decode_row(table: str, raw: dict, where: str) -> dict:
    columns = TABLES[table]
    names = {c.name for c in columns}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise BundleError(f"{where}: unknown column {unknown[0]} (a bundle from a newer version?).")
    missing = sorted(names - set(raw))
    if missing:
        raise BundleError(f"{where}: column {missing[0]} is missing.")
    return {c.name: _decode(c, raw[c.name], where) for c in columns}


# --- export ---------------------------------------------------------------------------------------


def _rows(table: str, where=None):
    """The table's rows as dictionaries of the bundle's columns, in id order, streamed."""
    columns = TABLES[table]
    query = sa.select(*columns).order_by(*columns[0].table.primary_key.columns)
    if where is not None:
        query = query.where(where)
    for row in db.session.execute(query.execution_options(yield_per=1000)).mappings():
        yield dict(row)


def _write_table(target: Path, table: str, rows) -> list[dict]:
    """Write one table as JSON lines; returns its rows without their long text (for the index page)."""
    kept = []
    with (target / table_name(table)).open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
            kept.append({k: v for k, v in row.items() if k not in ("extracted_text", "description_source")})
    return kept


def export(target: Path) -> dict:
    """Write the bundle to ``target``: a new or empty folder, or a new .zip file; returns the manifest."""
    zipped = target.suffix.lower() == ".zip"
    if zipped and target.exists():
        raise BundleError(f"{target} already exists.")
    if not zipped and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BundleError(f"{target} is not an empty folder.")
    try:
        if not zipped:
            return _export(target)
        with TemporaryDirectory(prefix=".bundle-", dir=target.parent) as temporary:
            manifest = _export(Path(temporary) / "bundle")
            bundle_zip.pack(Path(temporary) / "bundle", target)
        return manifest
    except OSError as error:
        raise BundleError(f"The bundle cannot be written to {target}: {error.strerror or error}.") from error


def _export(target: Path) -> dict:
    (target / "files").mkdir(parents=True, exist_ok=True)
    (target / "tables").mkdir()
    r = Record.__table__.c
    meeting_ids = sa.union(
        sa.select(r.meeting_id).where(r.meeting_id.is_not(None)),
        sa.select(r.embargo_meeting_id).where(r.embargo_meeting_id.is_not(None)),
    )
    partner_ids = sa.union(
        sa.select(record_partners.c.partner_id),
        sa.select(Meeting.host_partner_id).where(Meeting.id.in_(meeting_ids), Meeting.host_partner_id.is_not(None)),
    )
    user_ids = sa.select(RecordVersion.created_by_id).where(RecordVersion.created_by_id.is_not(None))
    _write_table(target, "partners", _rows("partners", Partner.id.in_(partner_ids)))
    _write_table(target, "users", _rows("users", User.id.in_(user_ids)))
    _write_table(target, "meetings", _rows("meetings", Meeting.id.in_(meeting_ids)))
    blobs = _write_table(target, "blobs", _rows("blobs"))
    records = _write_table(target, "records", _rows("records"))
    _write_table(target, "record_partners", _rows("record_partners"))
    versions = _write_table(target, "record_versions", _rows("record_versions"))
    record_files = _write_table(target, "record_files", _rows("record_files"))
    for blob in blobs:
        source = files.blob_path(blob["sha256"])
        if not source.exists():
            raise BundleError(f"stored file {blob['sha256']} is missing; run `archive verify` first.")
        shutil.copyfile(source, target / "files" / blob["sha256"])
        if _sha256_file(target / "files" / blob["sha256"]) != blob["sha256"]:
            raise BundleError(f"stored file {blob['sha256']} was altered; run `archive verify` first.")
    with (target / AUDIT).open("w", encoding="utf-8") as out:
        for row in db.session.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.seq)):
            entry = dict(row._mapping)
            entry["created_at"] = entry["created_at"].isoformat()
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    _write_html(target, records, versions, record_files)
    hashes = {p.relative_to(target).as_posix(): _sha256_file(p) for p in sorted(target.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "records": len(records), "files": hashes}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_html(target: Path, records: list[dict], versions: list[dict], record_files: list[dict]) -> None:
    """A static index: one page listing every record and linking its files; no script, no network."""
    current = {(v["record_id"], v["number"]): v["id"] for v in versions}
    by_version: dict[int, list[dict]] = {}
    for f in record_files:
        by_version.setdefault(f["version_id"], []).append(f)
    rows = []
    for r in records:
        shown = by_version.get(current.get((r["id"], r["current_version"])), [])
        links = ", ".join(
            f'<a href="files/{f["blob_sha256"]}" download="{html.escape(f["filename"])}">'
            f"{html.escape(f['filename'])}</a>"
            for f in shown
        )
        rows.append(
            f"<tr><td>{html.escape(r['record_date'].isoformat())}</td><td>{html.escape(r['title'])}</td>"
            f"<td>{html.escape(r['record_type'])}</td><td>{html.escape(r['confidentiality'])}</td>"
            f"<td>v{r['current_version']}</td><td>{links}</td></tr>"
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ASEM archive bundle</title>'
        "</head><body><h1>ASEM archive bundle</h1>"
        f"<p>{len(records)} records. File hashes are listed in manifest.json.</p>"
        "<table><thead><tr><th>Date</th><th>Title</th><th>Type</th><th>Confidentiality</th><th>Version</th>"
        "<th>Files</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>\n"
    )
    (target / INDEX).write_text(page, encoding="utf-8")


# --- reading and checking a bundle ----------------------------------------------------------------


@dataclass
class Contents:
    """A bundle's rows, decoded and keyed by id, with what its audit trail sealed and withdrew."""

    folder: Folder
    tables: dict[str, list[dict]] = field(default_factory=dict)
    #: (record id, version number) -> the seal the audit trail recorded
    sealed: dict[tuple[str, int], str] = field(default_factory=dict)
    #: record id -> the reason of its withdrawal in the audit trail
    withdrawn: dict[str, str] = field(default_factory=dict)


class Problems(list):
    """Every reason to refuse a bundle, collected so the operator sees them all at once."""

    def raise_any(self) -> None:
        if self:
            shown = self[:20] + ([f"… and {len(self) - 20} more."] if len(self) > 20 else [])
            raise BundleError("The bundle was refused, nothing was imported:\n" + "\n".join(f"- {p}" for p in shown))


def _read(source: Path) -> Contents:
    """Open the folder, check the manifest, the audit chain and the rows' types; nothing is trusted yet."""
    folder = Folder(source, tuple(TABLES), current_app.config["MAX_CONTENT_LENGTH"])
    manifest = folder.manifest()
    if manifest.get("format") != FORMAT:
        raise BundleError(
            f"Unknown bundle format {manifest.get('format')!r}: this instance imports {FORMAT!r} "
            "(bundles of format 1 lost the embargo-until-meeting links: export them again)."
        )
    folder.check_hashes(manifest["files"])
    contents = Contents(folder)
    _read_audit(contents)
    for table in TABLES:
        rows, seen = [], set()
        for number, raw in folder.lines(table_name(table)):
            row = _decode_row(table, raw, f"{table_name(table)} line {number}")
            key = tuple(row[c.name] for c in TABLES[table][0].table.primary_key.columns if c.name in row)
            if key in seen:
                raise BundleError(f"{table_name(table)} line {number}: {table} {key} appears twice.")
            seen.add(key)
            rows.append(row)
        contents.tables[table] = rows
    return contents


def _read_audit(contents: Contents) -> None:
    previous = GENESIS_HASH
    for number, entry in contents.folder.lines(AUDIT):
        try:
            row = SimpleNamespace(**{**entry, "created_at": datetime.fromisoformat(entry["created_at"])})
            intact = entry["prev_hash"] == previous and compute_hash(row) == entry["entry_hash"]
            details = json.loads(entry["details"])
        except (AttributeError, KeyError, TypeError, ValueError, RecursionError):
            intact = False
        if not intact:
            raise BundleError(f"The audit trail in the bundle is broken at line {number}.")
        previous = entry["entry_hash"]
        if entry.get("object_type") != "records" or not isinstance(details, dict):
            continue
        if entry["action"] == "archive.version":
            contents.sealed[(entry["object_id"], details.get("version"))] = details.get("seal")
        elif entry["action"] == "archive.withdraw":
            contents.withdrawn[entry["object_id"]] = details.get("reason")


def _same(left: Any, right: Any) -> bool:
    """Equal as sealed metadata means it: instants as instants, ids whether written as text or number."""
    if left == right:
        return True
    if left is None or right is None:
        return False
    try:
        return datetime.fromisoformat(str(left)) == datetime.fromisoformat(str(right))
    except ValueError:
        return str(left) == str(right)


def _check(contents: Contents) -> Problems:
    """Every reason to refuse the bundle's rows, naming the record (or meeting, or file) and the field."""
    problems = Problems()
    t = contents.tables
    partners = {p["id"]: p for p in t["partners"]}
    meetings = {m["id"]: m for m in t["meetings"]}
    users = {u["id"] for u in t["users"]}
    blobs = {b["sha256"]: b for b in t["blobs"]}
    records = {r["id"]: r for r in t["records"]}
    versions = {v["id"]: v for v in t["record_versions"]}
    files_of: dict[int, list[dict]] = {}
    for f in t["record_files"]:
        files_of.setdefault(f["version_id"], []).append(f)
    partners_of: dict[int, list[str]] = {}
    for link in t["record_partners"]:
        if link["record_id"] not in records or link["partner_id"] not in partners:
            problems.append(
                f"a partner link names record {link['record_id']} or partner {link['partner_id']}, "
                "which are not in the bundle"
            )
            continue
        partners_of.setdefault(link["record_id"], []).append(partners[link["partner_id"]]["code"])
    for meeting in meetings.values():
        if meeting["host_partner_id"] is not None and meeting["host_partner_id"] not in partners:
            problems.append(f"meeting {meeting['id']}: host partner {meeting['host_partner_id']} is not in the bundle")

    intact = _check_blobs(contents, blobs, problems)
    label = {}
    for version in versions.values():
        record = records.get(version["record_id"])
        name = f"record {version['record_id']} version {version['number']}"
        label[version["id"]] = name
        if record is None:
            problems.append(f"{name}: its record is not in the bundle")
        if version["created_by_id"] is not None and version["created_by_id"] not in users:
            problems.append(f"{name}: created_by_id {version['created_by_id']} is not among the bundle's users")
    for f in t["record_files"]:
        name = label.get(f["version_id"], f"version {f['version_id']}")
        if f["version_id"] not in versions:
            problems.append(f"{name}: file {f['filename']!r} belongs to no version of the bundle")
        problems += _check_file_row(contents, f, blobs, intact, name)

    numbers: dict[int, dict[int, dict]] = {}
    for version in versions.values():
        numbers.setdefault(version["record_id"], {})
        if version["number"] in numbers[version["record_id"]]:
            problems.append(f"record {version['record_id']}: version {version['number']} appears twice")
        numbers[version["record_id"]][version["number"]] = version
        problems += _check_seal(contents, version, files_of.get(version["id"], []))

    source_refs = set()
    for record in records.values():
        if record["source_ref"] is not None:
            if record["source_ref"] in source_refs:
                problems.append(f"record {record['id']}: source_ref {record['source_ref']!r} appears twice")
            source_refs.add(record["source_ref"])
        current = numbers.get(record["id"], {}).get(record["current_version"])
        if current is None:
            problems.append(f"record {record['id']}: current_version {record['current_version']} is not in the bundle")
            continue
        problems += _check_record(contents, record, current, partners_of.get(record["id"], []), meetings)
    return problems


def _check_blobs(contents: Contents, blobs: dict[str, dict], problems: Problems) -> set[str]:
    """The blobs whose file is in the bundle with their size and bytes; the others are problems."""
    intact = set()
    present = {name.removeprefix("files/") for name in contents.folder.files if name.startswith("files/")}
    for sha, blob in blobs.items():
        if not SHA256.fullmatch(sha):
            problems.append(f"blob {sha!r}: not a SHA-256 digest")
        elif sha not in present:
            problems.append(f"blob {sha}: its file is missing from the bundle")
        elif contents.folder.files[f"files/{sha}"] != blob["size"]:
            problems.append(
                f"blob {sha}: size is {blob['size']} but the file has {contents.folder.files[f'files/{sha}']} bytes"
            )
        elif contents.folder.sha256(f"files/{sha}") != sha:
            problems.append(f"blob {sha}: the file's bytes do not hash to its name")
        else:
            intact.add(sha)
    for sha in sorted(present - set(blobs)):
        problems.append(f"files/{sha} is in the bundle but no blob names it")
    return intact


def _check_file_row(contents: Contents, f: dict, blobs: dict[str, dict], intact: set[str], name: str) -> Problems:
    """A file row names its bytes by digest only; its size, type and name agree with those bytes."""
    problems = Problems()
    reference = f["blob_sha256"]
    where = f"{name} file {f['filename']!r}"
    if not SHA256.fullmatch(reference):
        problems.append(f"{where}: blob_sha256 {reference!r} is not a SHA-256 digest")
        return problems
    blob = blobs.get(reference)
    if blob is None:
        problems.append(f"{where}: blob_sha256 {reference} is not among the bundle's blobs")
        return problems
    if f["size"] != blob["size"]:
        problems.append(f"{where}: size is {f['size']} but its bytes are {blob['size']}")
    if reference not in intact:
        return problems  # the blob's own problem is listed
    try:
        sniffed = files.sniff(contents.folder.read_stored(reference))
    except files.FileRefused as refused:
        problems.append(f"{where}: its bytes cannot be archived: {refused}")
        return problems
    if sniffed != f["mime_type"]:
        problems.append(f"{where}: mime_type is {f['mime_type']!r} but its bytes are {sniffed!r}")
    if files.clean_filename(f["filename"], sniffed) != f["filename"]:
        problems.append(f"{where}: filename is not a clean file name")
    return problems


def _metadata(version: dict) -> dict | None:
    """The version's sealed metadata as a dictionary (None if it is not one)."""
    try:
        metadata = json.loads(version["metadata_json"])
    except (ValueError, RecursionError):
        return None
    return metadata if isinstance(metadata, dict) else None


def _check_seal(contents: Contents, version: dict, its_files: list[dict]) -> Problems:
    problems = Problems()
    name = f"record {version['record_id']} version {version['number']}"
    metadata = _metadata(version)
    if metadata is None:
        problems.append(f"{name}: metadata_json is not a JSON object")
        return problems
    hashes = [(f["blob_sha256"], f["filename"]) for f in sorted(its_files, key=lambda f: f["id"])]
    recomputed = services.seal(metadata, hashes)
    if recomputed != version["seal_sha256"]:
        problems.append(f"{name}: its metadata or files do not match its seal (seal_sha256)")
    elif contents.sealed.get((str(version["record_id"]), version["number"])) != recomputed:
        problems.append(f"{name}: its seal is not the one in the bundle's audit trail")
    return problems


def _as_record(row: dict, partner_codes: list[str], meetings: dict[int, dict]) -> SimpleNamespace:
    """A record as services.record_metadata reads one, built from the bundle's row (not added anywhere)."""
    return SimpleNamespace(
        **row,
        partners=[SimpleNamespace(code=c) for c in partner_codes],
        meeting=SimpleNamespace(**meetings[row["meeting_id"]]) if row["meeting_id"] in meetings else None,
        embargo_meeting=(
            SimpleNamespace(**meetings[row["embargo_meeting_id"]]) if row["embargo_meeting_id"] in meetings else None
        ),
    )


def _check_record(
    contents: Contents, record: dict, current: dict, partner_codes: list[str], meetings: dict[int, dict]
) -> Problems:
    """The row decides who sees the record: it must say what its current version sealed."""
    problems = Problems()
    name = f"record {record['id']} ({record['title']!r})"
    if record["confidentiality"] not in {c.value for c in Confidentiality}:
        problems.append(f"{name}: confidentiality {record['confidentiality']!r} is not a known level")
    if record["record_type"] not in {t.value for t in RecordType}:
        problems.append(f"{name}: record_type {record['record_type']!r} is not a known type")
    for column in ("meeting_id", "embargo_meeting_id"):
        if record[column] is not None and record[column] not in meetings:
            problems.append(f"{name}: {column} {record[column]} names a meeting that is not in the bundle")
    sealed = _metadata(current)
    if sealed is None:
        return problems  # _check_seal names it
    row = services.record_metadata(_as_record(record, partner_codes, meetings))
    # Every field both carry (a field the seal did not yet cover when the version was filed is not
    # compared), and always the fields that decide who sees the record.
    for key in sorted((set(row) & set(sealed)) | ACCESS_FIELDS):
        if not _same(row.get(key), sealed.get(key)):
            problems.append(
                f"{name}: {key} is {row.get(key)!r} in the row but {sealed.get(key)!r} in its sealed "
                f"version {current['number']}"
            )
    withdrawal = contents.withdrawn.get(str(record["id"]))
    if (record["withdrawn_at"] is None) != (withdrawal is None):
        state = "withdrawn" if withdrawal is not None else "not withdrawn"
        problems.append(f"{name}: withdrawn_at is {record['withdrawn_at']} but the audit trail says {state}")
    elif withdrawal is not None and withdrawal != record["withdrawn_reason"]:
        problems.append(f"{name}: withdrawn_reason differs from the reason in the audit trail")
    return problems


def _meeting_plan(contents: Contents) -> tuple[list[dict], Problems]:
    """The bundle's meetings this instance lacks (to create, ids kept); refusals where an id is taken."""
    problems, missing = Problems(), []
    embargo_of = {r["embargo_meeting_id"]: r["id"] for r in contents.tables["records"] if r["embargo_meeting_id"]}
    for meeting in contents.tables["meetings"]:
        name = f"meeting {meeting['id']} ({meeting['title']!r})"
        here = db.session.get(Meeting, meeting["id"])
        if here is None:
            same = db.session.scalar(
                sa.select(Meeting)
                .where(
                    sa.or_(
                        sa.and_(Meeting.code.is_not(None), Meeting.code == meeting["code"]),
                        sa.and_(Meeting.title == meeting["title"], Meeting.start_date == meeting["start_date"]),
                    )
                )
                .limit(1)
            )
            if same is not None:
                problems.append(f"{name} is in this instance under id {same.id}; the records' seals name it by id")
            else:
                missing.append(meeting)
            continue
        for column in ("code", "title", "start_date", "kind"):
            if getattr(here, column) != meeting[column]:
                problems.append(
                    f"{name}: id {meeting['id']} here is another meeting ({column} {getattr(here, column)!r})"
                )
                break
        else:
            if meeting["id"] in embargo_of and here.closed_at != meeting["closed_at"]:
                problems.append(
                    f"{name}: closed_at is {here.closed_at} here but {meeting['closed_at']} in the bundle: "
                    f"the embargo of record {embargo_of[meeting['id']]} would not be the same"
                )
    return missing, problems


@contextmanager
def _opened(source: Path) -> Iterator[Path]:
    """The bundle's folder: the one given, or a .zip bundle unpacked (checked) into a temporary one."""
    if source.is_file() and not source.is_symlink():
        with bundle_zip.unpacked(source, tuple(TABLES), current_app.config["MAX_CONTENT_LENGTH"]) as folder:
            yield folder
    else:
        yield source


def check(source: Path) -> None:
    """Read and check a bundle against itself: hashes, audit chain, seals, rows against their seals."""
    with _opened(source) as folder:
        _check(_read(folder)).raise_any()


# --- import ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    records: int
    versions: int
    files: int
    meetings: int = 0
    #: notes for the operator (what could not be kept exactly, and why)
    notes: list[str] = field(default_factory=list)


def import_bundle(source: Path, *, actor) -> ImportResult:
    """Re-file every record of a checked bundle into this (empty) archive. The caller commits.

    Nothing is written unless the whole bundle passed every check; the files are copied last.
    """
    if db.session.scalar(sa.select(sa.func.count(Record.id))):
        raise BundleError("This archive is not empty: import into an empty instance (was this bundle imported before?)")
    with _opened(source) as folder:
        return _import(_read(folder), actor)


def _import(contents: Contents, actor) -> ImportResult:
    """Check the rows against themselves and this instance, then insert them, then copy the files."""
    problems = _check(contents)
    partner_ids = _partner_ids(contents, problems)
    missing_meetings, meeting_problems = _meeting_plan(contents)
    problems += meeting_problems
    problems.raise_any()
    user_ids, notes = _user_ids(contents)
    result = ImportResult(
        records=len(contents.tables["records"]),
        versions=len(contents.tables["record_versions"]),
        files=len(contents.tables["blobs"]),
        meetings=len(missing_meetings),
        notes=notes,
    )
    try:
        _insert(contents, missing_meetings, partner_ids, user_ids, actor)
    except sa.exc.SQLAlchemyError as error:
        raise BundleError(f"The database refused the bundle's rows: {getattr(error, 'orig', error)}") from error
    _store_files(contents)
    return result


def _store_files(contents: Contents) -> None:
    """Copy the checked bytes into the store; on failure remove what this import wrote (the caller rolls back)."""
    written = []
    try:
        for blob in contents.tables["blobs"]:
            if not files.blob_path(blob["sha256"]).exists():
                written.append(blob["sha256"])
            files.store(contents.folder.read_stored(blob["sha256"]))
    except (OSError, BundleError) as error:
        for sha in written:
            files.blob_path(sha).unlink(missing_ok=True)
        if isinstance(error, BundleError):
            raise
        raise BundleError(f"The files cannot be stored: {error.strerror or error}; nothing was imported.") from error


def _partner_ids(contents: Contents, problems: Problems) -> dict[int, int]:
    """The bundle's partner ids -> this instance's, by code (the seals name partners by code)."""
    here = dict(db.session.execute(sa.select(Partner.code, Partner.id)).all())
    mapping = {}
    for partner in contents.tables["partners"]:
        if partner["code"] not in here:
            problems.append(f"partner {partner['code']} is not in this instance: add it (or run seed-demo) first")
        else:
            mapping[partner["id"]] = here[partner["code"]]
    return mapping


def _user_ids(contents: Contents) -> tuple[dict[int, int | None], list[str]]:
    """The bundle's user ids -> this instance's user of the same address (none: the author is not kept)."""
    here = dict(db.session.execute(sa.select(User.email, User.id)).all())
    mapping, notes = {}, []
    for user in contents.tables["users"]:
        mapping[user["id"]] = here.get(user["email"])
        if mapping[user["id"]] is None:
            notes.append(
                f"{user['email']} has no account here: the versions they filed show no author "
                "(the bundle's audit trail names them)"
            )
    return mapping, notes


def _insert(contents: Contents, meetings: list[dict], partner_ids, user_ids, actor) -> None:
    t = contents.tables
    for meeting in meetings:
        row = {**meeting, "description_html": str(rich_text(meeting["description_source"]))}
        row["host_partner_id"] = partner_ids.get(meeting["host_partner_id"])
        db.session.execute(sa.insert(Meeting.__table__), [row])
        audit.record(
            actor,
            "archive.import.meeting",
            object_type="meetings",
            object_id=meeting["id"],
            code=meeting["code"],
            title=meeting["title"],
        )
    present = set(db.session.scalars(sa.select(Blob.sha256).where(Blob.sha256.in_([b["sha256"] for b in t["blobs"]]))))
    _insert_rows(Blob.__table__, [b for b in t["blobs"] if b["sha256"] not in present])
    _insert_rows(
        Record.__table__, [{**r, "description_html": str(rich_text(r["description_source"]))} for r in t["records"]]
    )
    _insert_rows(record_partners, [{**p, "partner_id": partner_ids[p["partner_id"]]} for p in t["record_partners"]])
    _insert_rows(
        RecordVersion.__table__,
        [{**v, "created_by_id": user_ids.get(v["created_by_id"])} for v in t["record_versions"]],
    )
    _insert_rows(RecordFile.__table__, t["record_files"])
    files_of: dict[int, list[dict]] = {}
    for f in sorted(t["record_files"], key=lambda f: f["id"]):
        files_of.setdefault(f["version_id"], []).append(f)
    versions_of: dict[int, list[dict]] = {}
    for v in sorted(t["record_versions"], key=lambda v: v["number"]):
        versions_of.setdefault(v["record_id"], []).append(v)
    for record in t["records"]:
        audit.record(
            actor,
            "archive.import",
            object_type="records",
            object_id=record["id"],
            source_id=record["id"],
            title=record["title"],
        )
        for v in versions_of.get(record["id"], []):
            audit.record(
                actor,
                "archive.version",
                object_type="records",
                object_id=record["id"],
                version=v["number"],
                seal=v["seal_sha256"],
                files=[{"sha256": f["blob_sha256"], "name": f["filename"]} for f in files_of.get(v["id"], [])],
                note=f"imported: {v['change_note']}",
            )
        db.session.add(SearchOutbox(record_id=record["id"]))
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # The rows came with their ids: the next record filed here must not collide with them.
        for table in SEQUENCED:
            highest = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 1)).scalar_subquery()
            db.session.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"), highest)))


def _insert_rows(table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(table), rows[start : start + 1000])
