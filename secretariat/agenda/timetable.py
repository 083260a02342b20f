"""The time of each agenda item, from the meeting start and the items' durations, in the venue's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START = time(9, 0)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the venue's zone
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def compute(items: list[dict], *, start_date: date, start_time: time | None, time_zone: str) -> dict[int, Slot]:
    """Slots for items given in reading order (dicts with id, depth, duration_minutes, fixed_start).

    The clock starts at the meeting's start (09:00 if unknown) and advances by each item's
    duration; an item with a fixed start (e.g. "Day 2, 09:00") resets it. An item with sub-items
    spans them: they start when it starts, and it ends when the last of them ends, or when its own
    duration runs out if that is later ("Session 2 (60 min)" with two 20-minute sub-items is an hour).
    Arithmetic is done in UTC so a daylight-saving change or midnight in the middle of the agenda stays right.
    """
    zone = ZoneInfo(time_zone or "UTC")
    clock = local(start_date, start_time or DEFAULT_START, zone).astimezone(UTC)
    slots: dict[int, Slot] = {}
    open_parents: list[tuple[int, int, datetime, datetime]] = []  # (id, depth, start, end of its own duration)

    def close(until_depth: int) -> None:
        nonlocal clock
        while open_parents and open_parents[-1][1] >= until_depth:
            item_id, _, start, own_end = open_parents.pop()
            clock = max(clock, own_end)
            slots[item_id] = Slot(start=start.astimezone(zone), end=clock.astimezone(zone))

    for index, item in enumerate(items):
        depth = item.get("depth", 1)
        close(depth)
        fixed = item.get("fixed_start")
        if fixed:
            fixed_dt = datetime.fromisoformat(fixed) if isinstance(fixed, str) else fixed
            clock = fixed_dt.replace(tzinfo=zone).astimezone(UTC)
        end = clock + timedelta(minutes=item.get("duration_minutes") or 0)
        following = items[index + 1] if index + 1 < len(items) else None
        if following is not None and following.get("depth", 1) > depth:
            open_parents.append((item["id"], depth, clock, end))  # its sub-items start when it starts
        else:
            slots[item["id"]] = Slot(start=clock.astimezone(zone), end=end.astimezone(zone))
            clock = end
    close(1)
    return slots


def with_slots(meeting, items: list[dict]) -> list[dict]:
    """Each item dict gains its time slot, from the meeting's current start and zone."""
    slots = compute(items, start_date=meeting.start_date, start_time=meeting.start_time, time_zone=meeting.time_zone)
    for entry in items:
        entry["slot"] = slots.get(entry["id"])
    return items
