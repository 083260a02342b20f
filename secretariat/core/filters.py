"""Template filters shared by every area: one way to write a date, a moment, a count and a field name."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g
from flask_login import current_user

from secretariat.auth.choices import PARTNER_GROUPS
from secretariat.timeutil import UTC
from secretariat.web.paging import page_url
from secretariat.web.zones import city_of, zone_label

#: "6 December 2026": every date on every page
DAY_FORMAT = "%-d %B %Y"

#: the words people use for the fields of meetings, items, initiatives, users, records and minutes
#: (histories and the audit trail show these, never the column names)
FIELD_LABELS = {
    "title": "Title",
    "item_type": "Type",
    "description_source": "Description",
    "presenter": "Presenter",
    "lead_partners": "Lead partners",
    "duration_minutes": "Duration",
    "fixed_start": "Fixed start",
    "coordinator_notes": "Notes for coordinators",
    "kind": "Kind",
    "sector": "Sector",
    "number": "Number",
    "code": "Code",
    "city": "City",
    "host": "Host",
    "host_partner": "Host",
    "time_zone": "Time zone",
    "start_date": "Start",
    "end_date": "End",
    "start_time": "Start time",
    "end_time": "End time",
    "format": "Format",
    "chair": "Chair",
    "theme": "Theme",
    "status": "Status",
    "pillar": "Pillar",
    "lead_partner": "Lead partner",
    "co_sponsors": "Co-sponsors",
    "programme_id": "Work programme",
    "mandate_meeting_id": "Mandated at",
    "mandate_reference": "Where in its record",
    "mandate_record_id": "Mandate record",
    "contacts": "Contact officials",
    "summary_source": "Summary",
    "display_name": "Name",
    "email": "Email address",
    "partner": "Partner",
    "role": "Role",
    "active": "Account active",
    "is_active": "Account active",
    "done": "Done",
    "due_date": "Due date",
    "text": "Text",
    "reason": "Reason",
    "record_type": "Type of record",
    "record_date": "Date",
    "confidentiality": "Access",
    "partners": "Partners",
    "meeting_id": "Meeting",
    "initiative_id": "Initiative",
    "period": "Period",
    "milestone": "Milestone",
    "outcomes": "Outcomes",
    "summary": "Summary",
    "ip_address": "Address",
    "mfa_required_for_all": "Second factor for everyone",
}


def field_label(name: str) -> str:
    """The word people use for a field: "Duration" for ``duration_minutes``."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def field_words(summary: str) -> str:
    """A saved history line with the field names after its colon in people's words.

    "Edited item 2 “Opening”: duration_minutes, presenter" reads "…: Duration, Presenter".
    """
    head, sep, tail = summary.rpartition("”: ")
    if not sep:
        return summary
    names = tail.split(", ")
    if not all(name in FIELD_LABELS for name in names):
        return summary
    return head + sep + ", ".join(field_label(name) for name in names)


def reader_zone() -> str:
    """The reader's time zone: their partner's (UTC for the signed-out)."""
    if "reader_zone" not in g:
        zone = "UTC"
        if current_user and current_user.is_authenticated:
            zone = current_user.partner.time_zone or "UTC"
        g.reader_zone = zone
    return g.reader_zone


def zone_name(zone: str) -> str:
    """How a zone is named after a time: "Bangkok time", or "UTC"."""
    return "UTC" if zone in ("UTC", "Etc/UTC", "") else f"{city_of(zone)} time"


def in_zone(moment: datetime, zone: str) -> datetime:
    """An aware timestamp shown in a given IANA zone."""
    return moment.astimezone(ZoneInfo(zone))


def _localized(moment: datetime, zone: str | None) -> tuple[datetime, str]:
    zone = zone or reader_zone()
    if moment.tzinfo is None:  # stored naive means UTC everywhere in this application
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(ZoneInfo(zone)), zone
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC), "UTC"


def when(moment: datetime | None, zone: str | None = None, *, seconds: bool = False) -> str:
    """A moment in the reader's zone (or ``zone``), the zone named: "6 December 2026, 14:05 Bangkok time"."""
    if moment is None:
        return ""
    local, zone = _localized(moment, zone)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{local.strftime(DAY_FORMAT)}, {clock} {zone_name(zone)}"


def day(value: date | datetime | str | None, zone: str | None = None) -> str:
    """The date as "6 December 2026": a date as it is (or as an ISO string, as a mail's saved facts
    keep it), or the date of a moment where the reader is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _localized(value, zone)[0].date()
    return value.strftime(DAY_FORMAT)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun, "1 initiative", "3 initiatives"; never "initiative(s)"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def combine_page(args: dict, page: int) -> dict:
    """Request arguments (as lists) with another page number, for pager links that keep the filters."""
    return {**args, "page": page}


def init_app(app: Flask) -> None:
    filters = app.jinja_env.filters
    filters["in_zone"] = in_zone
    filters["when"] = when
    filters["day"] = day
    filters["plural"] = plural
    filters["field_label"] = field_label
    filters["field_words"] = field_words
    filters["zone_name"] = zone_name
    filters["zone_label"] = zone_label
    filters["combine_page"] = combine_page
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["reader_zone"] = reader_zone
    app.jinja_env.globals["partner_groups"] = PARTNER_GROUPS
