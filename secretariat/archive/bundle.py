"""Export the archive to a self-contained bundle (a folder or one .zip file), and import one into an empty archive.

A bundle holds every row of the archive's tables with every column and its id (records, their
partners, versions, files, blobs), the meetings and partners those rows name (whole) and the
users they name (id and address only: a bundle carries no accounts), the audit trail, the
files themselves named by their SHA-256, a manifest of hashes and a static HTML index a person
can browse offline (bundle_rows says which columns).

An import trusts nothing in the bundle (bundle_folder, bundle_zip, bundle_checks). It refuses the
whole bundle, naming the record and the field, unless every file reference is a digest whose
bytes hash to it, every version matches its seal (also in the bundle's audit chain), and every
record's row agrees with the sealed metadata of its current version and with the withdrawals of
the audit trail. Rows keep their ids, so the seals, which name meetings by id, still hold; the
seals are written into the importing instance's own audit chain, so `archive verify` passes there.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import sqlalchemy as sa
from flask import current_app

from secretariat import audit
from secretariat.agenda.models import Meeting
from secretariat.archive import bundle_checks, bundle_zip, files, integrity
from secretariat.archive.bundle_checks import Contents
from secretariat.archive.bundle_folder import AUDIT, INDEX, MANIFEST, BundleError, table_name
from secretariat.archive.bundle_rows import FORMAT, TABLES, encode
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, SearchChange, record_partners
from secretariat.audit.models import AuditEntry
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow

__all__ = ["FORMAT", "TABLES", "BundleError", "ImportResult", "check", "export", "import_bundle"]

#: where an archive's ids come from on PostgreSQL: moved past the imported ids
SEQUENCED = (Meeting.__table__, Record.__table__, RecordVersion.__table__, RecordFile.__table__)


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
            out.write(json.dumps({k: encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
            kept.append({k: v for k, v in row.items() if k not in ("extracted_text", "description_source")})
    return kept


def export(target: Path, progress=lambda items, **_: items) -> dict:
    """Write the bundle to ``target``: a new or empty folder, or a new .zip file; returns the manifest."""
    zipped = target.suffix.lower() == ".zip"
    if zipped and target.exists():
        raise BundleError(f"{target} already exists.")
    if not zipped and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BundleError(f"{target} is not an empty folder.")
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        # One snapshot for every table: a record filed meanwhile is either wholly in the bundle or not at all.
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        if not zipped:
            return _export(target, progress)
        with TemporaryDirectory(prefix=".bundle-", dir=target.parent) as temporary:
            manifest = _export(Path(temporary) / "bundle", progress)
            bundle_zip.pack(Path(temporary) / "bundle", target)
        return manifest
    except OSError as error:
        raise BundleError(f"The bundle cannot be written to {target}: {error.strerror or error}.") from error


def _export(target: Path, progress) -> dict:
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
    for blob in progress(blobs, label="Copying stored files"):
        if not files.exists(blob["sha256"]):
            raise BundleError(f"stored file {blob['sha256']} is missing; run `archive verify` first.")
        with files.open_blob(blob["sha256"]) as source, (target / "files" / blob["sha256"]).open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        if _sha256_file(target / "files" / blob["sha256"]) != blob["sha256"]:
            raise BundleError(f"stored file {blob['sha256']} was altered; run `archive verify` first.")
    with (target / AUDIT).open("w", encoding="utf-8") as out:
        trail = sa.select(AuditEntry.__table__).order_by(AuditEntry.seq).execution_options(yield_per=1000)
        for row in db.session.execute(trail):
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
        bundle_checks.check_rows(bundle_checks.read(folder)).raise_any()


# --- import ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    records: int
    versions: int
    files: int
    meetings: int = 0
    #: notes for the operator (what could not be kept exactly, and why)
    notes: list[str] = field(default_factory=list)


def import_bundle(source: Path, *, actor, progress=lambda items, **_: items) -> ImportResult:
    """Re-file every record of a checked bundle into this (empty) archive. The caller commits.

    Nothing is written unless the whole bundle passed every check; the files are copied last.
    """
    if db.session.scalar(sa.select(sa.func.count(Record.id))):
        raise BundleError("This archive is not empty: import into an empty instance (was this bundle imported before?)")
    with _opened(source) as folder:
        return _import(bundle_checks.read(folder), actor, progress)


def _import(contents: Contents, actor, progress) -> ImportResult:
    """Check the rows against themselves and this instance, then insert them, then copy the files."""
    problems = bundle_checks.check_rows(contents)
    partner_ids = bundle_checks.partner_ids(contents, problems)
    missing_meetings, meeting_problems = bundle_checks.meeting_plan(contents)
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
    _store_files(contents, progress)
    return result


def _store_files(contents: Contents, progress) -> None:
    """Copy the checked bytes into the store; on failure remove what this import wrote (the caller rolls back)."""
    written = []
    try:
        for blob in progress(contents.tables["blobs"], label="Storing files"):
            if not files.exists(blob["sha256"]):
                written.append(blob["sha256"])
            files.store(contents.folder.read_stored(blob["sha256"]))
    except (OSError, BundleError) as error:
        for sha in written:
            files.delete(sha)
        if isinstance(error, BundleError):
            raise
        raise BundleError(f"The files cannot be stored: {error.strerror or error}; nothing was imported.") from error


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
    _insert_rows(RecordFile.__table__, bundle_checks.with_long_text(contents, "record_files"))
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
        changed = contents.changed.get(str(record["id"]))
        if changed:
            # The bundle's trail changed access fields after the last version: chain that state here too.
            audit.record(
                actor, "archive.access", object_type="records", object_id=record["id"], state=changed, reason="imported"
            )
        if record["withdrawn_at"] is not None:
            # The withdrawal is chained here too: this instance's trail must account for every access field.
            audit.record(
                actor,
                "archive.withdraw",
                object_type="records",
                object_id=record["id"],
                reason=record["withdrawn_reason"],
                withdrawn_at=record["withdrawn_at"].isoformat(),
                note="imported",
            )
        db.session.add(SearchChange(record_id=record["id"]))
    # Chain this instance's rows as imported (checked above against the bundle's seals and trail):
    # from here on `archive verify` holds every access field of them, meetings and withdrawal included.
    imported = [r["id"] for r in t["records"]]
    for start in range(0, len(imported), 500):
        for row in db.session.scalars(sa.select(Record).where(Record.id.in_(imported[start : start + 500]))):
            integrity.access_change(row, actor, reason="imported")
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # The rows came with their ids: the next record filed here must not collide with them.
        for table in SEQUENCED:
            highest = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 1)).scalar_subquery()
            db.session.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"), highest)))


def _insert_rows(table: sa.Table, rows: Iterable[dict], batch: int = 500) -> None:
    """INSERT the rows as they are, ids included, a batch at a time."""
    for chunk in _batches(rows, batch):
        db.session.execute(sa.insert(table), chunk)


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
