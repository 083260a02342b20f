"""What the initiative page lists, read as rows of the columns it prints.

The page is read far more often than anything on it changes; building ORM objects (each report
with its partner, author and the author's partner; each step with its meeting and the meeting's
host; whole archive records and silence procedures) was most of its time. These rows are plain
tuples, read-only, made afresh on every request (no caching). The joins are outer joins, as the
relationships' own joined loads were, so the rows come in the same order.

The statements are built once, at import, with the initiative as a bound parameter: building them
anew cost as much as running them (0.1 ms each, bench/pages.py). Only the values change per request.
The statements of plain columns run on the session's connection (Core rows, the same tuples): the
ORM step of session.execute() cost about as much as the query itself. They skip its autoflush: a
GET of the page changes none of the tables they read (settle_deadlines commits before the view).

Each row is then made a named tuple of the same fields: the template reads a dozen attributes of
each, and an attribute of a Row is found by Row.__getattr__ in Python (about 5,000 instructions,
callgrind), one of a named tuple by a C descriptor (a tenth of that); making the tuple costs less
than two attribute reads. tests/programme/test_speed_pages.py checks that the fields are the columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple, TypeVar

import sqlalchemy as sa
from flask import abort

from secretariat.agenda.models import Meeting
from secretariat.agenda.visibility import HIDDEN_MEETING
from secretariat.archive.models import Record
from secretariat.auth.models import Partner, User
from secretariat.extensions import db
from secretariat.programme.models import (
    Comment,
    Initiative,
    InitiativeStatus,
    Milestone,
    Pillar,
    ProgressReport,
    SilenceProcedure,
    StatusChange,
    WorkProgramme,
    initiative_contacts,
    initiative_cosponsors,
)

_INITIATIVE = sa.bindparam("initiative_id")
_T = TypeVar("_T", bound=tuple)


def _rows(statement: sa.Select, params: dict, kind: type[_T]) -> list[_T]:
    """The rows of a statement of columns, on the session's connection and transaction, as ``kind``."""
    return list(map(kind._make, db.session.connection().execute(statement, params).all()))


class CoSponsor(NamedTuple):
    id: int
    code: str
    name: str


class Contact(NamedTuple):
    display_name: str
    partner_code: str | None


class InitiativeRow(NamedTuple):
    """The initiative's columns that its page prints, with the two labels Initiative gives (not an ORM object)."""

    id: int
    code: str
    title: str
    summary_html: str
    pillar: str
    lead_partner_id: int
    status: str
    start_date: date | None
    end_date: date | None
    mandate_meeting_id: int | None
    mandate_reference: str
    mandate_record_id: int | None

    @property
    def pillar_enum(self) -> Pillar:
        return Pillar(self.pillar)

    @property
    def status_enum(self) -> InitiativeStatus:
        return InitiativeStatus(self.status)


class Facts(NamedTuple):
    """The initiative (its own columns only) and what its page says about it."""

    initiative: InitiativeRow
    lead_code: str
    lead_name: str
    programme_title: str | None
    #: None: no mandating meeting, or one the reader may not see (see hide_meetings)
    mandate_meeting_title: str | None
    mandate_meeting_kind: str | None
    co_sponsors: list[CoSponsor]  # by name, as Initiative.co_sponsors
    contacts: list[Contact]

    def sponsor_ids(self) -> set[int]:
        """As Initiative.sponsor_ids()."""
        return {self.initiative.lead_partner_id, *(p.id for p in self.co_sponsors)}


# Columns, not the ORM entity: loading an Initiative object cost three times the query (callgrind).
_FACTS = (
    sa.select(
        *(getattr(Initiative, name) for name in InitiativeRow._fields),
        Partner.code.label("lead_code"),
        Partner.name.label("lead_name"),
        WorkProgramme.title.label("programme_title"),
        Meeting.title.label("mandate_meeting_title"),
        Meeting.kind.label("mandate_meeting_kind"),
    )
    .outerjoin(Partner, Partner.id == Initiative.lead_partner_id)
    .outerjoin(WorkProgramme, WorkProgramme.id == Initiative.programme_id)
    .outerjoin(Meeting, Meeting.id == Initiative.mandate_meeting_id)
    .where(Initiative.id == _INITIATIVE)
)
_CO_SPONSORS = (
    sa.select(Partner.id, Partner.code, Partner.name)
    .select_from(initiative_cosponsors)
    .join(Partner, Partner.id == initiative_cosponsors.c.partner_id)
    .where(initiative_cosponsors.c.initiative_id == _INITIATIVE)
    .order_by(Partner.name)
)
# The relationship gives no order: the table's key (initiative, user) did, so the user's id here.
_CONTACTS = (
    sa.select(User.display_name, Partner.code.label("partner_code"))
    .select_from(initiative_contacts)
    .join(User, User.id == initiative_contacts.c.user_id)
    .outerjoin(Partner, Partner.id == User.partner_id)
    .where(initiative_contacts.c.initiative_id == _INITIATIVE)
    .order_by(initiative_contacts.c.user_id)
)


def facts(initiative_id: int, may_see_kind: Callable[[str], bool]) -> Facts:
    """The initiative with its lead, work programme, mandating meeting, co-sponsors and contacts; 404 if none.

    A mandating meeting of a kind ``may_see_kind`` refuses (visibility.can_see_meeting_kind) has no
    title here: the page names it without a link (HIDDEN_MEETING).
    """
    params = {"initiative_id": initiative_id}
    row = db.session.connection().execute(_FACTS, params).one_or_none()
    if row is None:
        abort(404)
    width = len(InitiativeRow._fields)
    lead_code, lead_name, programme_title, meeting_title, meeting_kind = row[width:]
    if meeting_kind is not None and not may_see_kind(meeting_kind):
        meeting_title = None
    return Facts(
        InitiativeRow._make(row[:width]),
        lead_code,
        lead_name,
        programme_title,
        meeting_title,
        meeting_kind,
        co_sponsors=_rows(_CO_SPONSORS, params, CoSponsor),
        contacts=_rows(_CONTACTS, params, Contact),
    )


class MilestoneRow(NamedTuple):
    id: int
    title: str
    kind: str
    due_date: date | None
    done_at: datetime | None


_MILESTONES = (
    sa.select(Milestone.id, Milestone.title, Milestone.kind, Milestone.due_date, Milestone.done_at)
    .where(Milestone.initiative_id == _INITIATIVE)
    .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
)


def milestones(initiative_id: int) -> list[MilestoneRow]:
    """In the order of services.milestones(): by due date (undated last), then as recorded."""
    return _rows(_MILESTONES, {"initiative_id": initiative_id}, MilestoneRow)


class MilestoneLine(NamedTuple):
    """A milestone as the page prints it: its due date and toggle link made here (see ReportLine)."""

    title: str
    kind: str
    due_date: date | None
    done_at: datetime | None
    due: str  # the ISO date, or "" when undated
    toggle_href: str  # where a coordinator marks it done or reopens it


def milestone_lines(rows: list[MilestoneRow], toggle_url: Callable[[int], str]) -> list[MilestoneLine]:
    return [
        MilestoneLine(
            title, kind, due_date, done_at, due_date.isoformat() if due_date else "", toggle_url(milestone_id)
        )
        for milestone_id, title, kind, due_date, done_at in rows
    ]


class Step(NamedTuple):
    effective_date: date
    from_status: str | None
    to_status: str
    note: str
    meeting_id: int | None
    meeting_title: str | None
    meeting_kind: str | None


_HISTORY = (
    sa.select(
        StatusChange.effective_date,
        StatusChange.from_status,
        StatusChange.to_status,
        StatusChange.note,
        StatusChange.meeting_id,
        Meeting.title.label("meeting_title"),
        Meeting.kind.label("meeting_kind"),
    )
    .outerjoin(Meeting, Meeting.id == StatusChange.meeting_id)
    .where(StatusChange.initiative_id == _INITIATIVE)
    .order_by(StatusChange.effective_date, StatusChange.id)
)


def history(initiative_id: int) -> list[Step]:
    """The status steps by effective date, then as recorded, with their meeting's title."""
    return _rows(_HISTORY, {"initiative_id": initiative_id}, Step)


class StepLine(NamedTuple):
    """A status step as the page prints it (see ReportLine)."""

    effective: str  # the ISO date
    from_status: str | None
    to_status: str
    note: str | None
    meeting_href: str | None  # None: no meeting, none of that id any more, or one the reader may not see
    meeting_title: str | None  # HIDDEN_MEETING for a meeting the reader may not see


def step_lines(
    rows: list[Step], meeting_url: Callable[[int], str], may_see_kind: Callable[[str], bool]
) -> list[StepLine]:
    """The steps' lines; a meeting of a kind ``may_see_kind`` refuses is named HIDDEN_MEETING, unlinked."""
    lines = []
    for effective_date, from_status, to_status, note, meeting_id, meeting_title, meeting_kind in rows:
        href = meeting_url(meeting_id) if meeting_id is not None and meeting_title is not None else None
        if meeting_kind is not None and not may_see_kind(meeting_kind):
            href, meeting_title = None, HIDDEN_MEETING
        lines.append(StepLine(effective_date.isoformat(), from_status, to_status, note, href, meeting_title))
    return lines


class Report(NamedTuple):
    id: int
    period_start: date
    period_end: date
    submitted_at: datetime
    reviewed_at: datetime | None
    text_html: str
    partner_name: str | None
    author_name: str | None
    record_id: int | None  # the archive record filed from the report (archive/filing.py), if any
    record_version: int | None  # that record's current version (0: none yet)


#: archive/filing.py files each report as the record with this source_ref
REPORT_SOURCE_PREFIX = "progress-report:"
#: the same in the SQL text, not as a parameter: a constant, and the planner sees it as one
_REPORT_SOURCE_PREFIX_SQL = sa.literal_column(f"'{REPORT_SOURCE_PREFIX}'", sa.String)

_REPORTS = (
    sa.select(
        ProgressReport.id,
        ProgressReport.period_start,
        ProgressReport.period_end,
        ProgressReport.submitted_at,
        ProgressReport.reviewed_at,
        ProgressReport.text_html,
        Partner.name.label("partner_name"),
        User.display_name.label("author_name"),
        Record.id.label("record_id"),
        Record.current_version.label("record_version"),
    )
    .outerjoin(Partner, Partner.id == ProgressReport.partner_id)
    .outerjoin(User, User.id == ProgressReport.author_id)
    # In the same statement rather than a second one for the reports' ids: source_ref is unique
    # and indexed, so each report finds its record by one index lookup on either database.
    .outerjoin(Record, Record.source_ref == _REPORT_SOURCE_PREFIX_SQL + sa.cast(ProgressReport.id, sa.String))
    .where(ProgressReport.initiative_id == _INITIATIVE)
    .order_by(ProgressReport.submitted_at.desc())
)


def reports(initiative_id: int) -> list[Report]:
    """Newest first, with the partner's name, the author's and the archive record filed from each."""
    return _rows(_REPORTS, {"initiative_id": initiative_id}, Report)


#: how the page prints a day (strftime, as the template did: the same text in any locale)
DAY = "%-d %b %Y"


class ReportLine(NamedTuple):
    """A report as the page prints it: dates formatted and links made here, not by calls in the template.

    A call in a template (``r.submitted_at.strftime(...)``, ``record_url(...)``)
    goes through Context.call(), which looks for a pass_context mark on the callable by two failed
    hasattr(): about 12,000 instructions each, more than the work called (callgrind).
    """

    id: int
    period_start: str  # ISO dates
    period_end: str
    partner_name: str | None
    submitted: str  # DAY
    author_name: str | None
    reviewed: str | None  # DAY; None: not reviewed yet
    text_html: str
    record_href: str | None  # the archive record filed from the report, if any
    record_has_files: bool  # that record has a version (the report and its attachments)
    review_href: str  # where a coordinator marks it reviewed


def report_lines(
    rows: list[Report], record_url: Callable[[int], str], review_url: Callable[[int], str]
) -> list[ReportLine]:
    """The reports' lines, in the order of the rows."""
    lines = []
    for row in rows:
        report_id, start, end, submitted_at, reviewed_at, text_html, partner_name, author_name, record_id, version = row
        lines.append(
            ReportLine(
                report_id,
                start.isoformat(),
                end.isoformat(),
                partner_name,
                submitted_at.strftime(DAY),
                author_name,
                reviewed_at.strftime(DAY) if reviewed_at else None,
                text_html,
                record_url(record_id) if record_id is not None else None,
                bool(version) if record_id is not None else False,
                review_url(report_id),
            )
        )
    return lines


class CommentRow(NamedTuple):
    report_id: int | None
    text_html: str
    created_at: datetime
    partner_name: str | None
    author_name: str | None


_COMMENTS = (
    sa.select(
        Comment.report_id,
        Comment.text_html,
        Comment.created_at,
        Partner.name.label("partner_name"),
        User.display_name.label("author_name"),
    )
    .outerjoin(Partner, Partner.id == Comment.partner_id)
    .outerjoin(User, User.id == Comment.author_id)
    .where(Comment.initiative_id == _INITIATIVE)
    .order_by(Comment.created_at)
)


def comments(initiative_id: int) -> list[CommentRow]:
    """Oldest first, with the author's name and partner's."""
    return _rows(_COMMENTS, {"initiative_id": initiative_id}, CommentRow)


class CommentLine(NamedTuple):
    """A comment as the page prints it (see ReportLine)."""

    on_report: bool
    text_html: str
    created: str  # MINUTE, UTC
    partner_name: str | None
    author_name: str | None


#: how the page prints a comment's time
MINUTE = "%-d %b %Y %H:%M"


def comment_lines(rows: list[CommentRow]) -> list[CommentLine]:
    return [
        CommentLine(bool(report_id), text_html, created_at.strftime(MINUTE), partner_name, author_name)
        for report_id, text_html, created_at, partner_name, author_name in rows
    ]


class Procedure(NamedTuple):
    id: int
    subject: str
    outcome: str


_PROCEDURES = (
    sa.select(SilenceProcedure.id, SilenceProcedure.subject, SilenceProcedure.outcome)
    .where(SilenceProcedure.initiative_id == _INITIATIVE)
    .order_by(SilenceProcedure.deadline.desc())
)


def procedures(initiative_id: int) -> list[Procedure]:
    """The silence procedures about the initiative, newest deadline first."""
    return _rows(_PROCEDURES, {"initiative_id": initiative_id}, Procedure)
