"""The meeting page's agenda, rendered once per state of the agenda and audience, then served from the cache.

Reading 60 items and rendering them is most of the meeting page's time; the same agenda is shown again and
again between changes. The key names everything the fragment shows: the meeting's times and zone (the
timetable), the frozen version or the draft's fingerprint (queries.draft_fingerprint), the partners' names,
and the audience: the coordinators' editable draft (with notes and Edit links), their read-only draft, or
the partners' frozen version. Nothing personal goes in (no CSRF token: the page carries it outside), and
outcomes of the minutes are rendered fresh rather than cached.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import render_template

from secretariat.agenda import queries
from secretariat.agenda.models import AgendaVersion, Meeting
from secretariat.extensions import cache


@dataclass(frozen=True)
class RenderedAgenda:
    html: str  # the template marks it safe: our own template rendered it
    has_items: bool


def _key(*parts) -> str:
    return "agenda:" + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _render(key: str | None, build, partner_names: dict, meeting: Meeting, **options) -> RenderedAgenda:
    cached = cache.get(key) if key else None
    if cached is not None:
        html, has_items = cached
        return RenderedAgenda(html, has_items)
    agenda_items = build()
    html = render_template(
        "agenda/_agenda_fragment.html",
        agenda_items=agenda_items,
        partner_names=partner_names,
        meeting=meeting,
        options=options,
    )
    if key:
        cache.set(key, (html, bool(agenda_items)))
    return RenderedAgenda(html, bool(agenda_items))


def _meeting_times(meeting: Meeting) -> tuple:
    return (meeting.id, meeting.start_date, meeting.start_time, meeting.time_zone)


def draft(meeting: Meeting, *, editable: bool, partner_names: dict, outcomes) -> RenderedAgenda:
    """The coordinators' working draft, with their notes (and Edit links while it can change)."""
    key = None
    if not outcomes:
        names = tuple(sorted(partner_names.items()))
        fingerprint = queries.draft_fingerprint(meeting)
        key = _key("draft", editable, _meeting_times(meeting), meeting.agenda_revision, fingerprint, names)
    return _render(
        key,
        lambda: queries.draft_items(meeting, include_notes=True),
        partner_names,
        meeting,
        controls=editable,
        show_notes=True,
        outcomes=outcomes,
    )


def version(meeting: Meeting, latest: AgendaVersion, *, partner_names: dict, outcomes) -> RenderedAgenda:
    """A frozen version as partners see it, named by its snapshot's digest: what is shown is what is stored."""
    key = None
    if not outcomes:
        digest = hashlib.sha256(latest.snapshot.encode("utf-8")).hexdigest()
        key = _key("version", latest.id, digest, _meeting_times(meeting), tuple(sorted(partner_names.items())))
    return _render(key, lambda: queries.version_items(meeting, latest), partner_names, meeting, outcomes=outcomes)
