"""Builders for agenda tests: meetings and items made through the real services."""

from __future__ import annotations

import re
from datetime import date, time

from secretariat.agenda import items, services
from secretariat.agenda.models import AgendaItem, Meeting
from secretariat.extensions import db

ITEM_DEFAULTS = {
    "item_type": "discussion",
    "description_source": "",
    "presenter": "",
    "lead_partners": [],
    "duration_minutes": 30,
    "fixed_start": None,
    "coordinator_notes": "",
}


def make_meeting(actor, **overrides) -> Meeting:
    data = {
        "title": "Senior Officials' Meeting, Brussels",
        "kind": "som",
        "sector": None,
        "number": None,
        "code": "SOM-T",
        "city": "Brussels",
        "host": "BE",
        "time_zone": "",
        "start_date": date(2027, 3, 10),
        "end_date": date(2027, 3, 11),
        "start_time": time(9, 0),
        "end_time": time(17, 0),
        "format": "in_person",
        "chair": "EEAS",
        "theme": None,
        "description_source": "",
    }
    data.update(overrides)
    meeting = services.create_meeting(data, actor=actor)
    db.session.commit()
    return meeting


def add(meeting: Meeting, actor, title: str, parent: AgendaItem | None = None, **fields) -> AgendaItem:
    item = items.add_item(
        meeting, {**ITEM_DEFAULTS, "title": title, **fields}, actor=actor, parent_id=parent.id if parent else None
    )
    db.session.commit()
    return item


def numbering(meeting: Meeting) -> list[tuple[str, str]]:
    from secretariat.agenda import tree

    db.session.expire_all()
    return [(node.number, node.item.title) for node in tree.agenda_nodes(meeting.id)]


def set_status(meeting: Meeting, actor, *targets: str):
    for target in targets:
        services.change_status(meeting, target, actor=actor)
        db.session.commit()


def item_form(title: str, **fields) -> dict:
    data = {"title": title, "item_type": "discussion", "duration_minutes": "30"}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def ids_in(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="item-(\d+)"', html)]
