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
    """Slots for items given in reading order (dicts with id, duration_minutes, fixed_start).

    The clock starts at the meeting's start (09:00 if unknown) and advances by each item's
    duration; an item with a fixed start (e.g. "Day 2, 09:00") resets it. Arithmetic is done
    in UTC so a daylight-saving change or midnight in the middle of the agenda stays right.
    """
    zone = ZoneInfo(time_zone or "UTC")
    clock = local(start_date, start_time or DEFAULT_START, zone).astimezone(UTC)
    slots: dict[int, Slot] = {}
    for item in items:
        fixed = item.get("fixed_start")
        if fixed:
            fixed_dt = datetime.fromisoformat(fixed) if isinstance(fixed, str) else fixed
            clock = fixed_dt.replace(tzinfo=zone).astimezone(UTC)
        minutes = item.get("duration_minutes") or 0
        end = clock + timedelta(minutes=minutes)
        slots[item["id"]] = Slot(start=clock.astimezone(zone), end=end.astimezone(zone))
        clock = end
    _span_sub_items(items, slots)
    return slots


def _span_sub_items(items: list[dict], slots: dict[int, Slot]) -> None:
    """An item with sub-items lasts until its last sub-item ends (its own duration comes first)."""
    for index, item in enumerate(items):
        depth = item.get("depth", 1)
        end = slots[item["id"]].end
        for later in items[index + 1 :]:
            if later.get("depth", 1) <= depth:
                break
            end = max(end, slots[later["id"]].end)
        slots[item["id"]] = Slot(start=slots[item["id"]].start, end=end)


def with_slots(meeting, items: list[dict]) -> list[dict]:
    """Each item dict gains its time slot, from the meeting's current start and zone."""
    slots = compute(items, start_date=meeting.start_date, start_time=meeting.start_time, time_zone=meeting.time_zone)
    for entry in items:
        entry["slot"] = slots.get(entry["id"])
    return items
