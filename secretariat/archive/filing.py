"""Filing records from the other areas: frozen agenda versions, adopted minutes, progress reports.

Connected to the areas' signals, so the agenda and programme do not import the archive. Each
record carries a source reference, so filing the same thing twice is impossible. Each takes the
strictest audience of its source (audience.py): a coordinators' meeting's papers stay with coordinators.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from secretariat import events
from secretariat.agenda.models import AgendaVersion, Meeting, Minutes, MinutesStatus
from secretariat.archive import services
from secretariat.archive.audience import ORDER, Source, audience
from secretariat.archive.models import Confidentiality, Record, SearchChange
from secretariat.audit import checkpoints
from secretariat.extensions import db
from secretariat.programme.models import Initiative
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
    prepared = services.prepare_generated_text(filename, text)
    return services.create_record(data, [prepared, *extra], actor=actor, source_ref=source_ref)


def agenda_version_source(meeting: Meeting, version: AgendaVersion) -> Source:
    """A frozen agenda version: circulated to the meeting's audience, without the coordinators' notes."""
    return Source(meeting_kind=meeting.kind)


def minutes_source(meeting: Meeting, minutes: Minutes) -> Source:
    """Minutes: the meeting's audience once adopted; until then the coordinators' draft."""
    return Source(meeting_kind=meeting.kind, draft=minutes.status != MinutesStatus.ADOPTED.value)


def report_source(report) -> Source:
    """A progress report: every partner reads it on its initiative's page."""
    return Source()


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
                "confidentiality": audience(agenda_version_source(meeting, version)).value,
                "partners": [],
            },
            _agenda_text(meeting, items),
            f"agenda-v{version.number}.txt",
            actor,
        )
    if status == "closed":
        # Records embargoed until this meeting closes are released now: re-index them.
        for record_id in db.session.scalars(sa.select(Record.id).where(Record.embargo_meeting_id == meeting.id)):
            db.session.add(SearchChange(record_id=record_id))


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
            "confidentiality": audience(minutes_source(meeting, minutes)).value,
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
            "confidentiality": audience(report_source(report)).value,
            "partners": [report.partner.code],
        },
        f"{initiative.code} {initiative.title}\n{report.partner.name}\n\n{report.text_source}\n",
        f"report-{initiative.code}.txt",
        actor,
        extra=attachments,
    )


#: a meeting's fields that the search index files its records and initiatives under
INDEXED_MEETING_FIELDS = frozenset({"kind", "code"})


def on_meeting_changed(meeting, *, changes: dict, actor, **_):
    """A meeting that became a coordinators' meeting takes its filed papers with it; whatever is
    indexed under its kind or code is indexed again (or a partner finds it by the old ones)."""
    if "kind" in changes:
        raise_filed_levels(actor=actor, meeting_id=meeting.id)
    if INDEXED_MEETING_FIELDS & changes.keys():
        for record_id in db.session.scalars(sa.select(Record.id).where(Record.meeting_id == meeting.id)):
            db.session.add(SearchChange(record_id=record_id))
        for initiative_id in db.session.scalars(
            sa.select(Initiative.id).where(Initiative.mandate_meeting_id == meeting.id)
        ):
            db.session.add(SearchChange(kind="initiative", record_id=initiative_id))


def on_initiative_changed(initiative, **_):
    db.session.add(SearchChange(kind="initiative", record_id=initiative.id))


def connect() -> None:
    events.meeting_status_changed.connect(on_meeting_status)
    events.minutes_adopted.connect(on_minutes_adopted)
    events.meeting_changed.connect(on_meeting_changed)
    events.report_submitted.connect(on_report_submitted)
    events.initiative_changed.connect(on_initiative_changed)


# --- records filed before the rule ------------------------------------------------------------------


def source_of(source_ref: str) -> Source | None:
    """The source a filed record names, as audience() reads it (None: not filed by these receivers,
    or its source is gone)."""
    kind, _, number = source_ref.partition(":")
    if not number.isdigit():
        return None
    if kind == "agenda-version":
        version = db.session.get(AgendaVersion, int(number))
        meeting = db.session.get(Meeting, version.meeting_id) if version is not None else None
        return agenda_version_source(meeting, version) if meeting is not None else None
    if kind == "minutes":
        minutes = db.session.get(Minutes, int(number))
        meeting = db.session.get(Meeting, minutes.meeting_id) if minutes is not None else None
        return minutes_source(meeting, minutes) if meeting is not None else None
    if kind == "progress-report":
        return report_source(None)
    return None


def _record_data(record: Record, level: Confidentiality) -> dict:
    """The record's fields as revise_record takes them, with another level."""
    return {
        "title": record.title,
        "record_type": record.record_type,
        "record_date": record.record_date,
        "meeting_id": record.meeting_id,
        "language": record.language,
        "description_source": record.description_source,
        "tags": record.tags,
        "confidentiality": level.value,
        "embargo_until": record.embargo_until,
        "embargo_meeting_id": record.embargo_meeting_id,
        "partners": [p.code for p in record.partners],
    }


class Raised(NamedTuple):
    record_id: int
    before: Confidentiality
    after: Confidentiality


def raise_filed_levels(*, actor, dry_run: bool = False, meeting_id: int | None = None) -> list[Raised]:
    """Raise every record filed by the application whose level reaches further than its source's
    audience, as a new version (sealed and audited like any revision); never lowers a level.

    Returns the records raised (or, with ``dry_run``, those that would be), with both levels.
    ``meeting_id``: only the records of that meeting.
    """
    raised = []
    query = sa.select(Record).where(Record.source_ref.is_not(None)).order_by(Record.id)
    if meeting_id is not None:
        query = query.where(Record.meeting_id == meeting_id)
    filed = db.session.scalars(query)
    for record in list(filed):
        source = source_of(record.source_ref)
        if source is None:
            continue
        level, before = audience(source), Confidentiality(record.confidentiality)
        if ORDER.index(level) <= ORDER.index(before):
            continue
        raised.append(Raised(record.id, before, level))
        if dry_run:
            continue
        current = services.current_version(record)
        services.revise_record(
            record,
            _record_data(record, level),
            [],
            keep_file_ids={f.id for f in current.files},
            change_note=f"Level raised to “{level.label}”: the audience of its source (filed automatically).",
            expected_version=record.version,
            actor=actor,
        )
    return raised
