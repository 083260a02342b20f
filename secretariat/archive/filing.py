"""Filing records from the other areas: frozen agenda versions, adopted minutes, progress reports.

Connected to the areas' signals, so the agenda and programme do not import the archive. Each
record carries a source reference, so filing the same thing twice is impossible.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from secretariat import events
from secretariat.archive import services
from secretariat.archive.models import Record, SearchOutbox
from secretariat.audit import checkpoints
from secretariat.extensions import db
from secretariat.sanitize import plain_text


def _file(source_ref: str, data: dict, text: str, filename: str, actor, extra=()) -> Record | None:
    if db.session.scalar(sa.select(Record.id).where(Record.source_ref == source_ref)) is not None:
        return None
    # A fixed first line: generated text never starts like markup, whatever the titles in it say.
    text = "ASEM Virtual Secretariat: filed automatically\n\n" + text
    # The chain as it stood when the document was frozen (for minutes: their adoption's entry), so
    # that whoever keeps the file holds an anchor for `audit verify --checkpoint`.
    point = checkpoints.latest()
    if point is not None:
        text += "\n" + point.line() + "\n"
    prepared = services.prepare_upload(filename, text.encode("utf-8"))
    return services.create_record(data, [prepared, *extra], actor=actor, source_ref=source_ref)


def records_for(source_refs: list[str]) -> dict[str, Record]:
    """The records filed from these sources, in one query."""
    if not source_refs:
        return {}
    rows = db.session.scalars(sa.select(Record).where(Record.source_ref.in_(source_refs)).options(lazyload("*")))
    return {r.source_ref: r for r in rows}


def _agenda_text(meeting, items: list[dict]) -> str:
    lines = [meeting.title, f"{meeting.start_date:%d %B %Y}, {meeting.city or ''}".strip(", "), ""]
    for item in items:
        indent = "  " * (item["depth"] - 1)
        lines.append(f"{indent}{item['number']}. {item['title']}")
        description = plain_text(item.get("description_html") or "")
        if description:
            lines.append(f"{indent}   {description}")
    return "\n".join(lines) + "\n"


def on_meeting_status(meeting, *, status: str, version, actor, **_):
    if version is not None:
        items = json.loads(version.snapshot)["items"]
        _file(
            f"agenda-version:{version.id}",
            {
                "title": f"Agenda v{version.number} ({version.kind}): {meeting.title}",
                "record_type": "agenda",
                "record_date": version.frozen_at.date(),
                "meeting_id": meeting.id,
                "language": "en",
                "description_source": f"Frozen agenda version v{version.number}, {version.kind} "
                f"on {version.frozen_at:%d %B %Y}. Filed automatically.",
                "tags": "agenda",
                "confidentiality": "restricted",
                "partners": [],
            },
            _agenda_text(meeting, items),
            f"agenda-v{version.number}.txt",
            actor,
        )
    if status == "closed":
        # Records embargoed until this meeting closes are released now: re-index them.
        for record_id in db.session.scalars(sa.select(Record.id).where(Record.embargo_meeting_id == meeting.id)):
            db.session.add(SearchOutbox(record_id=record_id))


def on_minutes_adopted(meeting, *, minutes, actor, **_):
    snapshot = json.loads(minutes.adopted_snapshot)
    lines = [f"Minutes: {meeting.title}", "", plain_text(snapshot["summary_html"]), ""]
    for item in snapshot["items"]:
        lines.append(f"{item['number']}. {item['title']}")
        if item["decision_html"]:
            lines.append("   " + plain_text(item["decision_html"]))
    for point in snapshot["action_points"]:
        lines.append(f"Action ({point['partner']}, due {point['due_date'] or 'open'}): {point['text']}")
    _file(
        f"minutes:{minutes.id}",
        {
            "title": f"Minutes: {meeting.title}",
            "record_type": "minutes",
            "record_date": minutes.adopted_at.date(),
            "meeting_id": meeting.id,
            "language": "en",
            "description_source": f"Adopted minutes (fingerprint {minutes.adopted_sha256[:16]}). Filed automatically.",
            "tags": "minutes",
            "confidentiality": "restricted",
            "partners": [],
        },
        "\n".join(lines) + "\n",
        "minutes.txt",
        actor,
    )


def on_report_submitted(initiative, *, report, actor, attachments=(), **_):
    _file(
        f"progress-report:{report.id}",
        {
            "title": f"Progress report {report.period_start:%Y-%m}–{report.period_end:%Y-%m}: {initiative.title}",
            "record_type": "report",
            "record_date": report.submitted_at.date(),
            "meeting_id": None,
            "language": "en",
            "description_source": (
                f"Progress report on {initiative.code} by {report.partner.name}. Filed automatically."
            ),
            "tags": f"progress report, {initiative.code.lower()}",
            "confidentiality": "restricted",
            "partners": [report.partner.code],
        },
        f"{initiative.code} {initiative.title}\n{report.partner.name}\n\n{report.text_source}\n",
        f"report-{initiative.code}.txt",
        actor,
        extra=attachments,
    )


def on_initiative_changed(initiative, **_):
    db.session.add(SearchOutbox(kind="initiative", record_id=initiative.id))


def connect() -> None:
    events.meeting_status_changed.connect(on_meeting_status)
    events.minutes_adopted.connect(on_minutes_adopted)
    events.report_submitted.connect(on_report_submitted)
    events.initiative_changed.connect(on_initiative_changed)
