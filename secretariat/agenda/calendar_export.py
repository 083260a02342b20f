"""Meetings as .ics answers: the one way a meeting becomes an event, for the per-meeting download
and the personal feeds alike (calendar.py makes the document, this module feeds it and answers)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response

from secretariat.agenda import calendar as ical
from secretariat.agenda.models import Meeting
from secretariat.external_links import external_url
from secretariat.timeutil import utcnow


def calendar_meeting(m: Meeting) -> ical.CalendarMeeting:
    """The event of a meeting; its link is on EXTERNAL_BASE_URL, never on the request's host."""
    location = ", ".join(part for part in (m.city, m.host.name if m.host else None) if part) or None
    url = external_url("agenda.meeting", meeting_id=m.id)
    description = f"{m.kind_enum.label}. Status: {m.status_enum.label}." + (f" Chair: {m.chair}." if m.chair else "")
    return ical.CalendarMeeting(
        uid=f"meeting-{m.id}@asem-secretariat",
        title=m.title,
        start_date=m.start_date,
        end_date=m.end_date,
        start_time=m.start_time,
        end_time=m.end_time,
        time_zone=m.time_zone or "UTC",
        location=location,
        description=description + f"\n{url}",
        url=url,
        status=m.status,
        last_modified=m.updated_at,
        sequence=m.version,
    )


def ics_response(meetings: Iterable[Meeting], *, calendar_name: str, filename: str) -> Response:
    """One VCALENDAR of these meetings as a download that no cache keeps (it may be restricted)."""
    body = ical.meetings_to_ics([calendar_meeting(m) for m in meetings], calendar_name=calendar_name, now=utcnow())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
