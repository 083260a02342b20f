"""Notifications: an outbox written with each change (outbox.py), the events that write it
(*_events.py: by signal, or by one call from the service that makes the change), the scheduled
reminders and releases the worker announces (schedule.py) and the delivery by mail (delivery.py)."""

from __future__ import annotations


def connect() -> None:
    """Subscribe the notifying receivers to the areas' signals."""
    from secretariat.notify import agenda_events, meeting_events, report_events

    agenda_events.connect()
    meeting_events.connect()
    report_events.connect()
