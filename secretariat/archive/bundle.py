"""Export the archive to a self-contained folder, and import such a folder into an empty archive.

A bundle holds every record with all its versions, every file (named by its SHA-256), the
audit trail, a manifest of hashes, and a static HTML index a person can browse offline.
Importing re-files the same versions with the same metadata, files and seals, and writes
those seals into the importing instance's own audit chain, so `archive verify` passes there.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

from secretariat import audit
from secretariat.agenda.models import Meeting
from secretariat.archive import files, integrity, services
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, SearchOutbox
from secretariat.audit.models import AuditEntry
from secretariat.audit.services import GENESIS_HASH, compute_hash
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow

FORMAT = "asem-archive-bundle/1"


class BundleError(Exception):
    """The bundle is incomplete, altered, or cannot go into this instance; the message says what."""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record_dict(record: Record) -> dict:
    return {
        "id": record.id,
        "title": record.title,
        "record_type": record.record_type,
        "record_date": record.record_date.isoformat(),
        "meeting": {
            "code": record.meeting.code,
            "title": record.meeting.title,
            "start_date": record.meeting.start_date.isoformat(),
        }
        if record.meeting
        else None,
        "language": record.language,
        "description_source": record.description_source,
        "tags": record.tags,
        "confidentiality": record.confidentiality,
        "embargo_until": record.embargo_until.isoformat() if record.embargo_until else None,
        "partners": [p.code for p in record.partners],
        "withdrawn_at": record.withdrawn_at.isoformat() if record.withdrawn_at else None,
        "withdrawn_reason": record.withdrawn_reason,
        "current_version": record.current_version,
        "source_ref": record.source_ref,
        "versions": [
            {
                "number": v.number,
                "change_note": v.change_note,
                "metadata_json": v.metadata_json,
                "seal_sha256": v.seal_sha256,
                "created_at": v.created_at.isoformat(),
                "files": [
                    {
                        "sha256": f.blob_sha256,
                        "filename": f.filename,
                        "mime_type": f.mime_type,
                        "size": f.size,
                        "text_status": f.text_status,
                    }
                    for f in v.files
                ],
            }
            for v in sorted(services.versions(record), key=lambda v: v.number)
        ],
    }


def export(target: Path) -> dict:
    """Write the bundle to ``target`` (which must not exist or be empty); returns the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BundleError(f"{target} is not empty.")
    (target / "files").mkdir(parents=True, exist_ok=True)
    records = [_record_dict(r) for r in db.session.scalars(sa.select(Record).order_by(Record.id))]
    for blob in db.session.scalars(sa.select(Blob)):
        source = files.blob_path(blob.sha256)
        if not source.exists():
            raise BundleError(f"stored file {blob.sha256} is missing; run `archive verify` first.")
        shutil.copyfile(source, target / "files" / blob.sha256)
    (target / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    with (target / "audit.jsonl").open("w", encoding="utf-8") as out:
        for row in db.session.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.seq)):
            entry = dict(row._mapping)
            entry["created_at"] = entry["created_at"].isoformat()
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    _write_html(target, records)
    hashes = {str(p.relative_to(target)): _sha256_file(p) for p in sorted(target.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "records": len(records), "files": hashes}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def _write_html(target: Path, records: list[dict]) -> None:
    """A static index: one page listing every record and linking its files; no script, no network."""
    rows = []
    for r in records:
        current = next(v for v in r["versions"] if v["number"] == r["current_version"])
        links = ", ".join(
            f'<a href="files/{f["sha256"]}" download="{html.escape(f["filename"])}">{html.escape(f["filename"])}</a>'
            for f in current["files"]
        )
        rows.append(
            f"<tr><td>{html.escape(r['record_date'])}</td><td>{html.escape(r['title'])}</td>"
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
    (target / "index.html").write_text(page, encoding="utf-8")


@dataclass
class ImportResult:
    records: int
    versions: int
    files: int


def check(source: Path) -> dict:
    """Check a bundle before importing: manifest hashes, the audit chain in it, and the seals."""
    manifest_path = source / "manifest.json"
    if not manifest_path.exists():
        raise BundleError("manifest.json is missing: this is not an archive bundle.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BundleError(f"Unknown bundle format {manifest.get('format')!r}.")
    for name, expected in manifest["files"].items():
        path = (source / name).resolve()
        if source.resolve() not in path.parents:
            raise BundleError(f"The manifest names a file outside the bundle: {name}")
        if not path.exists():
            raise BundleError(f"{name} is missing from the bundle.")
        if _sha256_file(path) != expected:
            raise BundleError(f"{name} was altered: its hash does not match the manifest.")
    previous = GENESIS_HASH
    seals = set()
    for line_number, line in enumerate((source / "audit.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        entry = json.loads(line)

        row = SimpleNamespace(**{**entry, "created_at": datetime.fromisoformat(entry["created_at"])})
        if entry["prev_hash"] != previous or compute_hash(row) != entry["entry_hash"]:
            raise BundleError(f"The audit trail in the bundle is broken at line {line_number}.")
        previous = entry["entry_hash"]
        if entry["action"] == "archive.version":
            seals.add(json.loads(entry["details"]).get("seal"))
    for record in json.loads((source / "records.json").read_text(encoding="utf-8")):
        for version in record["versions"]:
            metadata = json.loads(version["metadata_json"])
            if not integrity.seal_matches(metadata, version["files"], version["seal_sha256"]) or (
                version["seal_sha256"] not in seals
            ):
                raise BundleError(f"Record {record['id']} version {version['number']} does not match its seal.")
    return manifest


def _find_meeting(described: dict | None) -> Meeting | None:
    """The same meeting in this instance, by its code or by its title and first day."""
    if not described:
        return None
    if described.get("code"):
        found = db.session.scalar(sa.select(Meeting).where(Meeting.code == described["code"]).limit(1))
        if found is not None:
            return found
    return db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.title == described["title"], Meeting.start_date == date.fromisoformat(described["start_date"]))
        .limit(1)
    )


def import_bundle(source: Path, *, actor) -> ImportResult:
    """Re-file every record of a checked bundle into this (empty) archive. The caller commits."""
    check(source)
    if db.session.scalar(sa.select(sa.func.count(Record.id))):
        raise BundleError("This archive is not empty: import into an empty instance.")
    partners = {p.code: p for p in db.session.scalars(sa.select(Partner))}
    counts = ImportResult(0, 0, 0)
    for data in json.loads((source / "records.json").read_text(encoding="utf-8")):
        record = Record(
            title=data["title"],
            record_type=data["record_type"],
            record_date=date.fromisoformat(data["record_date"]),
            meeting=_find_meeting(data["meeting"]),
            language=data["language"],
            description_source=data["description_source"],
            tags=data["tags"],
            confidentiality=data["confidentiality"],
            embargo_until=datetime.fromisoformat(data["embargo_until"]) if data["embargo_until"] else None,
            withdrawn_at=datetime.fromisoformat(data["withdrawn_at"]) if data["withdrawn_at"] else None,
            withdrawn_reason=data["withdrawn_reason"],
            current_version=data["current_version"],
            source_ref=data["source_ref"],
        )
        record.description_html = str(rich_text(record.description_source))
        record.partners = [partners[c] for c in data["partners"] if c in partners]
        db.session.add(record)
        db.session.flush()
        audit.record(actor, "archive.import", record, source_id=data["id"], title=record.title)
        for v in data["versions"]:
            version = RecordVersion(
                record_id=record.id,
                number=v["number"],
                change_note=v["change_note"],
                metadata_json=v["metadata_json"],
                seal_sha256=v["seal_sha256"],
                created_at=datetime.fromisoformat(v["created_at"]),
            )
            db.session.add(version)
            db.session.flush()
            for f in v["files"]:
                data_bytes = (source / "files" / f["sha256"]).read_bytes()
                sha = files.store(data_bytes)
                if db.session.get(Blob, sha) is None:
                    db.session.add(Blob(sha256=sha, size=len(data_bytes)))
                    counts.files += 1
                extraction = files.extract_text(data_bytes, f["mime_type"])
                db.session.add(
                    RecordFile(
                        version_id=version.id,
                        blob_sha256=sha,
                        filename=f["filename"],
                        mime_type=f["mime_type"],
                        size=f["size"],
                        text_status=extraction.status,
                        extracted_text=extraction.text,
                    )
                )
            db.session.flush()
            audit.record(
                actor,
                "archive.version",
                record,
                version=v["number"],
                seal=v["seal_sha256"],
                files=[{"sha256": f["sha256"], "name": f["filename"]} for f in v["files"]],
                note=f"imported: {v['change_note']}",
            )
            counts.versions += 1
        # The sealed metadata names the exporting instance's meetings; chain this instance's state.
        integrity.access_change(record, actor, reason="imported")
        db.session.add(SearchOutbox(record_id=record.id))
        counts.records += 1
    db.session.flush()
    return counts
