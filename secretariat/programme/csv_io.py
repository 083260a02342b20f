"""CSV export and all-or-nothing import of initiatives."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from secretariat import csv_safe
from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import HIDDEN_MEETING, can_see_meeting
from secretariat.auth.models import Partner
from secretariat.extensions import db
from secretariat.programme import services
from secretariat.programme.models import Initiative, InitiativeStatus, Pillar

COLUMNS = [
    "code",
    "title",
    "pillar",
    "lead_partner",
    "co_sponsors",
    "status",
    "start_date",
    "end_date",
    "mandate_meeting",
    "mandate_reference",
    "summary",
]
REQUIRED = {"code", "title", "pillar", "lead_partner"}
MAX_ROWS = 5000


def _mandate(initiative: Initiative, user) -> str:
    """The mandating meeting's code (or title), unnamed for a reader who may not see it."""
    meeting = initiative.mandate_meeting
    if meeting is None:
        return ""
    return (meeting.code or meeting.title) if can_see_meeting(user, meeting) else HIDDEN_MEETING


def export(initiatives: list[Initiative], user) -> str:
    """The initiatives as CSV, as ``user`` may read them."""
    out = io.StringIO()
    writer = csv_safe.writer(out)
    writer.writerow(COLUMNS)
    for i in initiatives:
        writer.writerow(
            (
                i.code,
                i.title,
                i.pillar,
                i.lead_partner.code,
                ";".join(p.code for p in i.co_sponsors),
                i.status,
                i.start_date.isoformat() if i.start_date else "",
                i.end_date.isoformat() if i.end_date else "",
                _mandate(i, user),
                i.mandate_reference,
                i.summary_source,
            )
        )
    return "\ufeff" + out.getvalue()


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def _date(value: str, line: int, name: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"Line {line}: {name} “{value}” is not a date (use YYYY-MM-DD).")
        return None


def parse_and_import(text: str, *, actor) -> ImportResult:
    """Validate every row; import all of them, or nothing if any row is wrong. The caller commits.

    A code that exists updates that initiative's fields; its status is left alone, since status
    changes follow their own rules (and dates and meetings) on the initiative page.
    """
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = set(reader.fieldnames or [])
    missing = REQUIRED - header
    if missing:
        result.errors.append(f"Line 1: missing column(s): {', '.join(sorted(missing))}.")
        return result
    meetings = {m.code: m.id for m in db.session.scalars(sa.select(Meeting).where(Meeting.code.is_not(None)))}
    partners = set(db.session.scalars(sa.select(Partner.code)))
    rows = []
    seen = set()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            result.errors.append(f"Line {line}: more than {MAX_ROWS} rows; split the file.")
            break
        row = {k: csv_safe.uncell((v or "").strip()) for k, v in raw.items() if k}
        errors: list[str] = []
        code = row.get("code", "").upper()
        for name in sorted(REQUIRED):
            if not row.get(name):
                errors.append(f"Line {line}: {name} is empty.")
        if code in seen:
            errors.append(f"Line {line}: code {code} appears twice in the file.")
        seen.add(code)
        if row.get("pillar") and row["pillar"] not in {p.value for p in Pillar}:
            errors.append(f"Line {line}: pillar “{row['pillar']}” is not one of political, economic, social.")
        status = row.get("status") or "proposed"
        if status not in {s.value for s in InitiativeStatus}:
            errors.append(f"Line {line}: status “{status}” is unknown.")
        lead = row.get("lead_partner", "").upper()
        if lead and lead not in partners:
            errors.append(f"Line {line}: lead partner “{lead}” is not an ASEM partner code.")
        co = [c.strip().upper() for c in row.get("co_sponsors", "").split(";") if c.strip()]
        for c in co:
            if c not in partners:
                errors.append(f"Line {line}: co-sponsor “{c}” is not an ASEM partner code.")
        start = _date(row.get("start_date", ""), line, "start_date", errors)
        end = _date(row.get("end_date", ""), line, "end_date", errors)
        if start and end and end < start:
            errors.append(f"Line {line}: end_date is before start_date.")
        mandate = row.get("mandate_meeting", "")
        if mandate and mandate not in meetings:
            errors.append(f"Line {line}: meeting “{mandate}” is unknown (use its code, e.g. ASEM13).")
        if len(row.get("title", "")) > 300:
            errors.append(f"Line {line}: title is longer than 300 characters.")
        result.errors.extend(errors)
        rows.append(
            (
                status,
                {
                    "code": code,
                    "title": row.get("title", ""),
                    "summary_source": row.get("summary", ""),
                    "pillar": row.get("pillar", ""),
                    "lead_partner": lead,
                    "co_sponsors": co,
                    "start_date": start,
                    "end_date": end,
                    "mandate_meeting_id": meetings.get(mandate),
                    "mandate_reference": row.get("mandate_reference", ""),
                },
            )
        )
    if not rows and not result.errors:
        result.errors.append("The file has no rows.")
    if result.errors:
        return result
    for status, data in rows:
        existing = db.session.scalar(sa.select(Initiative).where(Initiative.code == data["code"]))
        if existing is None:
            services.create_initiative(data, actor=actor, status=status)
            result.created += 1
        else:
            state = services.initiative_state(existing)
            data = {**data, "programme_id": existing.programme_id, "contacts": [u.id for u in existing.contacts]}
            services.update_initiative(existing, data, expected_version=existing.version, actor=actor)
            result.updated += 1 if state != services.initiative_state(existing) else 0
    return result
