"""Notifications: an outbox written with each change (outbox.py), the events that write it
(agenda_events.py) and the worker's delivery by mail (delivery.py)."""

from __future__ import annotations


def connect() -> None:
    """Subscribe the notifying receivers to the areas' signals."""
    from secretariat.notify import agenda_events

    agenda_events.connect()
