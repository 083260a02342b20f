"""Seals and the archive's integrity check: stored bytes, version seals, and the rows that decide access.

What decides who sees a record is sealed: its metadata (confidentiality, embargo, partners,
meeting ...) and its files (bytes' hash, name, type, size) in each version's seal, written into the
audit chain; withdrawals and other access changes as chained audit entries. `verify` replays the
chain and reports every row that differs from the state it seals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from secretariat import audit
from secretariat.archive import files, meeting_integrity
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion
from secretariat.audit import accounts
from secretariat.audit.models import AuditEntry
from secretariat.audit.services import canonical_json, details_of
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import as_utc

#: audit actions that fix a record's state: a version (its sealed metadata), a withdrawal, and any
#: other audited change of an access field (e.g. an import mapping the meetings to this instance's)
VERSION, WITHDRAW, ACCESS = "archive.version", "archive.withdraw", "archive.access"
#: a record re-filed from a bundle; imports before December 2026 chained no access state after it
IMPORT = "archive.import"
#: what such an import took from the bundle unsealed: meetings by this instance's ids, withdrawal
UNSEALED_ON_OLD_IMPORTS = ("meeting_id", "embargo_meeting_id", "withdrawn_at")

#: the record's fields a version seals (record_metadata's keys), plus those changed by chained entries
SEALED_FIELDS = (
    "title",
    "record_type",
    "record_date",
    "meeting_id",
    "language",
    "description_source",
    "tags",
    "confidentiality",
    "embargo_until",
    "embargo_meeting_id",
    "partners",
)
CHAINED_FIELDS = ("withdrawn_at",)


# --- seals -----------------------------------------------------------------------------------------


def sealed_file(row: RecordFile | Mapping) -> dict[str, Any]:
    """What a seal covers of one file: the bytes' hash and the name, type and size served with them."""
    if isinstance(row, Mapping):
        return {
            "sha256": row["sha256"],
            "filename": row["filename"],
            "mime_type": row["mime_type"],
            "size": int(row["size"]),
        }
    return {"sha256": row.blob_sha256, "filename": row.filename, "mime_type": row.mime_type, "size": row.size}


def seal_of(metadata: Mapping, file_list: Iterable[RecordFile | Mapping]) -> str:
    """The seal of a version: SHA-256 over its metadata and its files (rows, or dicts with sha256,
    filename, mime_type and size, as in a bundle). Stable: bundles and the audit chain rely on it."""
    body = {"seal": 2, "metadata": dict(metadata), "files": [sealed_file(f) for f in file_list]}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def legacy_seal_of(metadata: Mapping, file_list: Iterable[RecordFile | Mapping]) -> str:
    """The first seal (until December 2026): metadata and files' hashes and names, not types or sizes."""
    pairs = [(f["sha256"], f["filename"]) for f in map(sealed_file, file_list)]
    return hashlib.sha256(canonical_json({"metadata": dict(metadata), "files": pairs}).encode("utf-8")).hexdigest()


def seal_matches(metadata: Mapping, file_list: Iterable[RecordFile | Mapping], expected: str) -> bool:
    """Whether the version's metadata and files give ``expected`` under either seal."""
    listed = list(file_list)
    return expected in (seal_of(metadata, listed), legacy_seal_of(metadata, listed))


def is_legacy_seal(metadata: Mapping, file_list: Iterable[RecordFile | Mapping], expected: str) -> bool:
    listed = list(file_list)
    return expected != seal_of(metadata, listed) and expected == legacy_seal_of(metadata, listed)


# --- the state a record's rows must have -----------------------------------------------------------


def _instant(value) -> str | None:
    """A timestamp as comparable text, whether stored aware, naive UTC or as ISO text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time: it differs from any row, and is reported as it is
    return as_utc(value).isoformat(timespec="seconds")


def row_state(record: Record) -> dict[str, Any]:
    """The record's sealed and chained fields as its rows hold them now."""
    return {
        "title": record.title,
        "record_type": record.record_type,
        "record_date": record.record_date.isoformat(),
        "meeting_id": record.meeting_id,
        "language": record.language,
        "description_source": record.description_source,
        "tags": record.tags,
        "confidentiality": record.confidentiality,
        "embargo_until": _instant(record.embargo_until),
        "embargo_meeting_id": record.embargo_meeting_id,
        "partners": sorted(p.code for p in record.partners),
        "withdrawn_at": _instant(record.withdrawn_at),
    }


def _comparable(state: Mapping) -> dict[str, Any]:
    out = {}
    for name, value in state.items():
        if name in ("embargo_until", "withdrawn_at"):
            value = value if value is True else _instant(value)
        elif name == "partners":
            value = sorted(value or [])
        out[name] = value
    return out


def access_change(record: Record, actor, *, reason: str, action: str = ACCESS) -> None:
    """Chain the record's current state: for a change of its fields outside a new version (an
    import that maps meetings to this instance's, a release). `verify` holds the rows to it."""
    state = row_state(record)
    audit.record(actor, action, record, state=state, reason=reason)


def withdrawal_details(record: Record) -> dict[str, Any]:
    """What an archive.withdraw entry must hold for `verify` to check the row's withdrawal exactly."""
    return {"withdrawn_at": _instant(record.withdrawn_at)}


@dataclass
class _Chained:
    """What the audit chain says of one record, in order."""

    events: list[tuple[str, dict]] = field(default_factory=list)
    seals: dict[int, str] = field(default_factory=dict)


def _read_chain() -> dict[str, _Chained]:
    chained: dict[str, _Chained] = {}
    query = (
        sa.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.details)
        .where(AuditEntry.object_type == "records", AuditEntry.action.in_((VERSION, WITHDRAW, ACCESS, IMPORT)))
        .order_by(AuditEntry.seq)
    )
    for action, object_id, details in db.session.execute(query):
        of_record = chained.setdefault(object_id, _Chained())
        facts = details_of(details)
        of_record.events.append((action, facts))
        if action == VERSION:
            of_record.seals[facts.get("version")] = facts.get("seal")
    return chained


def expected_state(chained: _Chained, metadata_of: Mapping[int, dict]) -> dict[str, Any]:
    """Replay a record's chained events: each version's sealed metadata, then withdrawals and changes."""
    state: dict[str, Any] = {"withdrawn_at": None}
    unsealed_import = False
    for action, facts in chained.events:
        if action == IMPORT:
            unsealed_import = True
        elif action == VERSION:
            sealed = metadata_of.get(facts.get("version")) or {}
            state.update({k: v for k, v in sealed.items() if k in SEALED_FIELDS})
        elif action == WITHDRAW:
            # Entries written before December 2026 say that, not when: the row must then be withdrawn.
            state["withdrawn_at"] = facts.get("withdrawn_at") or True
        else:
            known = SEALED_FIELDS + CHAINED_FIELDS
            state.update({k: v for k, v in (facts.get("state") or {}).items() if k in known})
            unsealed_import = False
    if unsealed_import:
        for name in UNSEALED_ON_OLD_IMPORTS:
            state.pop(name, None)
    return state


# --- verify ----------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    files_checked: int = 0
    versions_checked: int = 0
    records_checked: int = 0
    #: meetings, their frozen agenda versions and minutes
    meetings_checked: int = 0
    #: users whose creation the chain recorded
    accounts_checked: int = 0
    problems: list[str] = field(default_factory=list)


def verify(checkpoint=None, batch_size: int = 500, progress=lambda items, **_: items) -> VerifyReport:
    """Every stored file's bytes, every version's seal against the chain, every record row against
    the state the chain seals, and the chain itself (against ``checkpoint`` when given)."""
    report = VerifyReport()
    actual_sizes = _check_blobs(report, progress)
    chained = _read_chain()
    stored_versions: set[tuple[str, int]] = set()
    # A private session, emptied after each batch of records: an archive of a million records
    # would otherwise keep every record, version and file row in memory until the end.
    with Session(db.engine) as session:
        batches = -(-(db.session.scalar(sa.select(sa.func.count(Record.id))) or 0) // batch_size)
        for records in progress(_batches(session, batch_size), label="Checking records", length=batches):
            metadata: dict[str, dict[int, dict]] = {}
            versions = session.scalars(
                sa.select(RecordVersion)
                .where(RecordVersion.record_id.in_([r.id for r in records]))
                .order_by(RecordVersion.id)
            )
            for version in versions:
                stored_versions.add((str(version.record_id), version.number))
                _check_version(report, version, chained, metadata, actual_sizes)
            for record in records:
                report.records_checked += 1
                _check_record(report, record, chained.get(str(record.id)), metadata.get(str(record.id), {}))
            session.expunge_all()
    for record_id, of_record in chained.items():
        for number in of_record.seals:
            if (record_id, number) not in stored_versions:
                report.problems.append(
                    f"record {record_id} version {number} is sealed in the audit trail but missing from the database"
                )
    report.meetings_checked = meeting_integrity.check(report.problems.append)
    report.accounts_checked = accounts.check(report.problems.append)
    chain = audit.verify(checkpoint=checkpoint)
    if not chain.ok:
        report.problems.append(f"audit chain broken at entry {chain.broken_seq}: {chain.reason}")
    return report


def _batches(session: Session, size: int):
    """Every record, in batches of ``size`` by id."""
    last = 0
    while True:
        rows = session.scalars(sa.select(Record).where(Record.id > last).order_by(Record.id).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _check_version(report: VerifyReport, version: RecordVersion, chained, metadata, actual_sizes) -> None:
    """The version's seal against its rows and against the chain; keeps its metadata when both hold."""
    report.versions_checked += 1
    label = f"record {version.record_id} version {version.number}"
    meta = details_of(version.metadata_json)
    if not meta:
        report.problems.append(f"{label} was edited after filing (its metadata is not readable)")
        return
    sealed = chained.get(str(version.record_id), _Chained()).seals.get(version.number)
    if not seal_matches(meta, version.files, version.seal_sha256):
        report.problems.append(f"{label} was edited after filing (its seal no longer matches)")
    elif sealed != version.seal_sha256:
        report.problems.append(f"{label} does not match the seal in the audit trail")
    else:
        metadata.setdefault(str(version.record_id), {})[version.number] = meta
        if is_legacy_seal(meta, version.files, version.seal_sha256):
            _check_legacy_files(report, label, version.files, actual_sizes)


def _check_blobs(report: VerifyReport, progress) -> dict[str, int]:
    sizes = {}
    blobs = db.session.scalars(sa.select(Blob).order_by(Blob.sha256)).all()
    for blob in progress(blobs, label="Hashing stored files"):
        actual = files.hash_of_stored(blob.sha256)
        report.files_checked += 1
        if actual is None:
            report.problems.append(f"file {blob.sha256} is missing from storage")
        elif actual != blob.sha256:
            report.problems.append(f"file {blob.sha256} was altered (its bytes now hash to {actual})")
        else:
            sizes[blob.sha256] = files.size(blob.sha256)
    return sizes


def _check_legacy_files(report: VerifyReport, label: str, rows, actual_sizes: dict[str, int]) -> None:
    """Versions sealed before types and sizes were: check both against the stored bytes instead."""
    for row in rows:
        if row.blob_sha256 not in actual_sizes:
            continue  # reported with the blob
        if row.size != actual_sizes[row.blob_sha256]:
            report.problems.append(f"{label} file {row.id}: size differs from its stored bytes (field size)")
        try:
            sniffed = files.sniff(files.read(row.blob_sha256))
        except files.FileRefused:
            sniffed = "refused content"
        if sniffed != row.mime_type:
            report.problems.append(
                f"{label} file {row.id}: type {row.mime_type} is not its content's ({sniffed}) (field mime_type)"
            )


def _check_record(report: VerifyReport, record: Record, chained: _Chained | None, metadata: dict[int, dict]) -> None:
    label = f"record {record.id}"
    if chained is None or not chained.seals:
        report.problems.append(f"{label} is not in the audit trail (inserted outside the application)")
        return
    latest = max(chained.seals)
    if record.current_version != latest:
        report.problems.append(
            f"{label}: current version is {record.current_version}, the audit trail's latest is {latest} "
            "(field current_version)"
        )
    if latest not in metadata:
        return  # that version's own problem is reported above
    expected = _comparable(expected_state(chained, metadata))
    actual = row_state(record)
    for name in SEALED_FIELDS + CHAINED_FIELDS:
        if name not in expected:
            continue
        want, have = expected[name], actual[name]
        differs = have is None if name == "withdrawn_at" and want is True else want != have
        if differs:
            report.problems.append(f"{label}: {name} is {have!r}, sealed as {want!r} (field {name})")
    # The page shows the HTML made from the sealed source, kept in a column of its own.
    if record.description_html != str(rich_text(record.description_source)):
        report.problems.append(
            f"{label}: description_html is not made from the sealed description (field description_html)"
        )
