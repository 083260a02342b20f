"""Bulk filing of historical records from a folder with a CSV manifest: every line checked first, all or nothing.

The same code for `flask archive import-folder` and for the archive's import page (bulk_upload.py
unpacks an upload into a folder first).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from secretariat.agenda.models import Meeting
from secretariat.archive import files, services
from secretariat.archive.models import Confidentiality, RecordType
from secretariat.auth.models import Partner
from secretariat.extensions import db

COLUMNS = [
    "files",
    "title",
    "type",
    "date",
    "meeting",
    "partners",
    "language",
    "confidentiality",
    "tags",
    "description",
]
REQUIRED = {"title", "type", "date"}


@dataclass
class BulkResult:
    errors: list[str] = field(default_factory=list)
    filed: int = 0
    #: every line of the manifest as checked: what a preview shows
    lines: list[Line] = field(default_factory=list)


@dataclass
class Line:
    """One line of the manifest, checked: what it would file, and what is wrong with it."""

    number: int
    data: dict
    files: list[str]
    errors: list[str]


def _check_line(line: int, row: dict, folder: Path, meetings: dict, partners: set) -> tuple[list[str], dict, list]:
    errors: list[str] = []
    for name in sorted(REQUIRED):
        if not (row.get(name) or "").strip():
            errors.append(f"Line {line}: {name} is empty.")
    kind = (row.get("type") or "").strip().lower().replace(" ", "_").replace("'", "")
    if kind and kind not in {t.value for t in RecordType}:
        errors.append(f"Line {line}: type “{row['type']}” is unknown (e.g. chairs_statement, minutes, report).")
    try:
        day = date.fromisoformat((row.get("date") or "").strip()) if row.get("date") else None
    except ValueError:
        errors.append(f"Line {line}: date “{row['date']}” is not YYYY-MM-DD.")
        day = None
    level = (row.get("confidentiality") or "restricted").strip().lower()
    if level not in {c.value for c in Confidentiality}:
        errors.append(f"Line {line}: confidentiality must be public, restricted or coordinators.")
    meeting_code = (row.get("meeting") or "").strip()
    if meeting_code and meeting_code not in meetings:
        errors.append(f"Line {line}: meeting “{meeting_code}” is unknown (use its code, e.g. ASEM13).")
    codes = [c.strip().upper() for c in (row.get("partners") or "").split(";") if c.strip()]
    errors.extend(f"Line {line}: partner “{c}” is unknown." for c in codes if c not in partners)
    uploads = []
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    for name in [n.strip() for n in (row.get("files") or "").split(";") if n.strip()]:
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents or not path.is_file():
            errors.append(f"Line {line}: file “{name}” is not in the folder.")
            continue
        if path.stat().st_size > limit:  # the limit of an upload (services.prepare_upload)
            errors.append(f"Line {line}: “{name}” is larger than {limit // (1024 * 1024)} MB.")
            continue
        data = path.read_bytes()
        try:
            files.sniff(data)
        except files.FileRefused as refused:
            errors.append(f"Line {line}: “{name}”: {refused}")
            continue
        uploads.append((path.name, data))
    data = {
        "title": (row.get("title") or "").strip(),
        "record_type": kind,
        "record_date": day,
        "meeting_id": meetings.get(meeting_code),
        "language": (row.get("language") or "auto").strip(),  # empty: detected at filing (services.filed_language)
        "description_source": row.get("description") or "",
        "tags": row.get("tags") or "",
        "confidentiality": level,
        "embargo_until": None,
        "embargo_meeting_id": None,
        "partners": codes,
    }
    return errors, data, uploads


def import_folder(
    folder: Path, *, actor, progress: Callable = lambda items, **_: items, check_only: bool = False
) -> BulkResult:
    """Check every line, then file every record; nothing is filed if any line is wrong (or if
    ``check_only``: a preview). The caller commits."""
    result = BulkResult()
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        result.errors.append(f"{manifest} is missing.")
        return result
    meetings = dict(db.session.execute(sa.select(Meeting.code, Meeting.id).where(Meeting.code.is_not(None))).all())
    partners = set(db.session.scalars(sa.select(Partner.code)))
    with manifest.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = REQUIRED - set(reader.fieldnames or [])
        if missing:
            result.errors.append(f"Line 1: missing column(s): {', '.join(sorted(missing))}.")
            return result
        rows = list(enumerate(reader, start=2))
    checked = []
    for line, row in progress(rows, label="Checking"):
        errors, data, uploads = _check_line(line, row, folder, meetings, partners)
        result.errors.extend(errors)
        result.lines.append(Line(line, data, [name for name, _ in uploads], errors))
        checked.append((data, uploads))
    if not rows:
        result.errors.append("The manifest has no line to file.")
    if result.errors or check_only:
        return result
    for data, uploads in progress(checked, label="Filing"):
        prepared = [services.prepare_upload(name, content) for name, content in uploads]
        services.create_record(data, prepared, actor=actor)
        result.filed += 1
    return result
