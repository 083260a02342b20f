"""What the worker announces by the clock rather than on a change: action points due in a week or
overdue, silence deadlines 48 h and 24 h away, embargoes that have ended. Each announcement once
(outbox.once), so the job may run as often as it likes and a second worker repeats nothing."""

from __future__ import annotations

from datetime import datetime

from secretariat.notify import meeting_events, record_events, silence_events
from secretariat.timeutil import utcnow


def announce_due(now: datetime | None = None) -> dict[str, int]:
    """Queue every announcement that has come due; the caller commits. Returns the counts."""
    now = now or utcnow()
    return {
        "action point reminder(s)": meeting_events.remind_due(now.date()),
        "silence reminder(s)": silence_events.remind(now),
        "embargo release(s)": record_events.announce_releases(now),
    }
