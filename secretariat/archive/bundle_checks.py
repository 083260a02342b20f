"""Checking a bundle's rows before anything is imported: against their seals, the audit trail, each other
and this instance.

Every problem is collected with the record (or meeting, file, partner) and the field it concerns,
so the operator sees them all at once and the whole bundle is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import current_app

from secretariat.agenda.models import Meeting, MeetingFormat, MeetingKind, MeetingStatus
from secretariat.archive import files, integrity, services
from secretariat.archive.bundle_folder import AUDIT, SHA256, BundleError, Folder, table_name
from secretariat.archive.bundle_rows import FORMAT, TABLES, decode_row
from secretariat.archive.models import Confidentiality, RecordType
from secretariat.audit.services import GENESIS_HASH, compute_hash
from secretariat.auth.models import Partner
from secretariat.extensions import db

#: columns of long text not kept in memory between the checks and the insert (a file's extracted text)
LONG_TEXT = {"record_files": ("extracted_text",)}
#: the record's fields that decide who sees it: always compared with its current version's seal
ACCESS_FIELDS = frozenset({"confidentiality", "embargo_until", "embargo_meeting_id"})


@dataclass
class Contents:
    """A bundle's rows, decoded and keyed by id, with what its audit trail sealed and withdrew."""

    folder: Folder
    tables: dict[str, list[dict]] = field(default_factory=dict)
    #: (record id, version number) -> the seal the audit trail recorded
    sealed: dict[tuple[str, int], str] = field(default_factory=dict)
    #: record id -> the reason of its withdrawal in the audit trail
    withdrawn: dict[str, str] = field(default_factory=dict)
    #: record id -> the state chained by access changes made after its last version (an earlier
    #: import mapping meetings, a release: "archive.access" entries), field by field
    changed: dict[str, dict] = field(default_factory=dict)
    #: blob -> the type its bytes have (or why they cannot be archived)
    sniffed: dict[str, str | Exception] = field(default_factory=dict)


class Problems(list):
    """Every reason to refuse a bundle, collected so the operator sees them all at once."""

    def raise_any(self) -> None:
        if self:
            shown = self[:20] + ([f"… and {len(self) - 20} more."] if len(self) > 20 else [])
            raise BundleError("The bundle was refused, nothing was imported:\n" + "\n".join(f"- {p}" for p in shown))


def read(source: Path) -> Contents:
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
            row = decode_row(table, raw, f"{table_name(table)} line {number}")
            for column in LONG_TEXT.get(table, ()):
                row[column] = None  # megabytes a file: read again, row by row, when inserting (text_of)
            key = tuple(row[c.name] for c in TABLES[table][0].table.primary_key.columns if c.name in row)
            if key in seen:
                raise BundleError(f"{table_name(table)} line {number}: {table} {key} appears twice.")
            seen.add(key)
            rows.append(row)
        contents.tables[table] = rows
    return contents


def with_long_text(contents: Contents, table: str) -> Iterator[dict]:
    """The table's checked rows again with their long text, read anew; refused if anything else changed."""
    checked = iter(contents.tables[table])
    for number, raw in contents.folder.lines(table_name(table)):
        row = decode_row(table, raw, f"{table_name(table)} line {number}")
        short = {k: (None if k in LONG_TEXT.get(table, ()) else v) for k, v in row.items()}
        if short != next(checked, None):
            raise BundleError(f"{table_name(table)} changed while the bundle was being imported.")
        yield row
    if next(checked, None) is not None:
        raise BundleError(f"{table_name(table)} changed while the bundle was being imported.")


def _read_audit(contents: Contents) -> None:
    previous = GENESIS_HASH
    for number, entry in contents.folder.lines(AUDIT):
        try:
            row = SimpleNamespace(**{**entry, "created_at": datetime.fromisoformat(entry["created_at"])})
            intact = entry["prev_hash"] == previous and compute_hash(row) == entry["entry_hash"]
            details = json.loads(entry["details"])
        except (AttributeError, KeyError, TypeError, ValueError, RecursionError):
            intact = False
        except Exception as error:  # e.g. an entry keyed under an HMAC key this instance does not hold
            raise BundleError(f"The audit trail in the bundle cannot be checked at line {number}: {error}") from None
        if not intact:
            raise BundleError(f"The audit trail in the bundle is broken at line {number}.")
        previous = entry["entry_hash"]
        if entry.get("object_type") != "records" or not isinstance(details, dict):
            continue
        if entry["action"] == "archive.version":
            contents.sealed[(entry["object_id"], details.get("version"))] = details.get("seal")
            contents.changed.pop(entry["object_id"], None)  # a new version seals the whole state again
        elif entry["action"] == "archive.withdraw":
            contents.withdrawn[entry["object_id"]] = details.get("reason")
        elif entry["action"] == "archive.access" and isinstance(details.get("state"), dict):
            contents.changed.setdefault(entry["object_id"], {}).update(details["state"])


def same(left: Any, right: Any) -> bool:
    """Equal as sealed metadata means it: instants as instants, ids whether written as text or number."""
    if left == right:
        return True
    if left is None or right is None:
        return False
    try:
        return datetime.fromisoformat(str(left)) == datetime.fromisoformat(str(right))
    except ValueError:
        return str(left) == str(right)


def _instant(value: Any) -> str | None:
    """A timestamp to the second, as the audit trail writes it."""
    if value in (None, ""):
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.isoformat(timespec="seconds")


def check_rows(contents: Contents) -> Problems:
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
    if reference not in contents.sniffed:  # the same bytes may serve many versions: read once
        try:
            contents.sniffed[reference] = files.sniff(contents.folder.read_stored(reference))
        except files.FileRefused as refused:
            contents.sniffed[reference] = refused
    sniffed = contents.sniffed[reference]
    if isinstance(sniffed, files.FileRefused):
        problems.append(f"{where}: its bytes cannot be archived: {sniffed}")
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
    listed = [
        {"sha256": f["blob_sha256"], "filename": f["filename"], "mime_type": f["mime_type"], "size": f["size"]}
        for f in sorted(its_files, key=lambda f: f["id"])
    ]
    if not seal_matches(metadata, listed, version["seal_sha256"]):
        problems.append(f"{name}: its metadata or files do not match its seal (seal_sha256)")
    elif contents.sealed.get((str(version["record_id"]), version["number"])) != version["seal_sha256"]:
        problems.append(f"{name}: its seal is not the one in the bundle's audit trail")
    return problems


def seal_matches(metadata: dict, listed: list[dict], expected: str) -> bool:
    """Whether a version's metadata and files (sha256, filename, mime_type, size) give its seal.

    The archive's own seal function decides (old seals, of names and hashes only, still match).
    """
    return integrity.seal_matches(metadata, listed, expected)


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
    changed = contents.changed.get(str(record["id"]), {})
    expected = {**sealed, **changed}
    # Every field both carry (a field the seal did not yet cover when the version was filed is not
    # compared), and always the fields that decide who sees the record.
    for key in sorted((set(row) & set(expected)) | ACCESS_FIELDS):
        if not same(row.get(key), expected.get(key)):
            source = (
                "the audit trail's last access change" if key in changed else f"its sealed version {current['number']}"
            )
            problems.append(f"{name}: {key} is {row.get(key)!r} in the row but {expected.get(key)!r} in {source}")
    withdrawal = contents.withdrawn.get(str(record["id"]))
    if "withdrawn_at" in changed:
        if not same(_instant(record["withdrawn_at"]), _instant(changed["withdrawn_at"])):
            problems.append(f"{name}: withdrawn_at differs from the audit trail's last access change")
    elif (record["withdrawn_at"] is None) != (withdrawal is None):
        state = "withdrawn" if withdrawal is not None else "not withdrawn"
        problems.append(f"{name}: withdrawn_at is {record['withdrawn_at']} but the audit trail says {state}")
    elif withdrawal is not None and withdrawal != record["withdrawn_reason"]:
        problems.append(f"{name}: withdrawn_reason differs from the reason in the audit trail")
    return problems


def meeting_plan(contents: Contents) -> tuple[list[dict], Problems]:
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
                problems += _check_new_meeting(meeting, name)
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


def _check_new_meeting(meeting: dict, name: str) -> Problems:
    """A meeting the import creates holds only values its own form would accept."""
    problems = Problems()
    for column, known in (("kind", MeetingKind), ("status", MeetingStatus), ("format", MeetingFormat)):
        if meeting[column] not in {k.value for k in known}:
            problems.append(f"{name}: {column} {meeting[column]!r} is not a known value")
    if meeting["time_zone"] != "UTC" and meeting["time_zone"] not in available_timezones():
        problems.append(f"{name}: time_zone {meeting['time_zone']!r} is not a time zone")
    return problems


def partner_ids(contents: Contents, problems: Problems) -> dict[int, int]:
    """The bundle's partner ids -> this instance's, by code (the seals name partners by code)."""
    here = dict(db.session.execute(sa.select(Partner.code, Partner.id)).all())
    mapping = {}
    for partner in contents.tables["partners"]:
        if partner["code"] not in here:
            problems.append(f"partner {partner['code']} is not in this instance: add it (or run seed-demo) first")
        else:
            mapping[partner["id"]] = here[partner["code"]]
    return mapping
