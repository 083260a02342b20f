"""Time zones as people know them: "Bangkok — Thailand (UTC+7)", grouped by region.

The stored value stays the IANA name (Asia/Bangkok). The list comes from the tz database's
zone.tab and iso3166.tab shipped in the ``tzdata`` package, so it works without the system's
/usr/share/zoneinfo and follows the same release as the zone rules.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from secretariat.timeutil import UTC

#: regions listed first: most ASEM meetings happen there
FIRST_REGIONS = ("Asia", "Europe", "Australia", "Pacific")

#: capitals that are not the city a zone is named after, so that typing them finds the zone
ALSO_KNOWN_AS = {
    "Asia/Ho_Chi_Minh": "Hanoi",
    "Asia/Kolkata": "New Delhi",
    "Asia/Shanghai": "Beijing",
    "Asia/Yangon": "Naypyidaw",
    "Asia/Almaty": "Astana",
    "Australia/Sydney": "Canberra",
    "Pacific/Auckland": "Wellington",
    "Europe/Zurich": "Bern",
    "America/New_York": "Washington",
}

CHOOSE_MESSAGE = "Choose a time zone from the list: type a city or a country, such as Bangkok or Belgium."


def _tab(name: str) -> list[list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _zones() -> tuple[tuple[str, str], ...]:
    """(IANA name, country) of every zone in zone.tab."""
    countries = {row[0]: row[1] for row in _tab("iso3166.tab")}
    return tuple((row[2], countries.get(row[0], row[0])) for row in _tab("zone.tab"))


def offset_label(zone: str, at: datetime | None = None) -> str:
    """The zone's offset now (or at ``at``): "UTC+7", "UTC+5:30", "UTC-3" or "UTC"."""
    offset = (at or datetime.now(UTC)).astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def city_of(zone: str) -> str:
    """The place a zone is named after: "Ho Chi Minh" for Asia/Ho_Chi_Minh, "UTC" for UTC."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(zone: str, at: datetime | None = None) -> str:
    """The zone as people know it, "Bangkok — Thailand (UTC+7)"; an unknown name comes back as it is."""
    country = dict(_zones()).get(zone)
    try:
        offset = offset_label(zone, at)
    except (ZoneInfoNotFoundError, ValueError):
        return zone
    city = city_of(zone)
    if zone in ALSO_KNOWN_AS:
        city = f"{city} ({ALSO_KNOWN_AS[zone]})"
    return f"{city} — {country} ({offset})" if country else f"{city} ({offset})"


def zone_choices(blank: str | None = None) -> list[SelectChoice]:
    """Every zone as a choice labelled "City — Country (UTC+n)", grouped by region (an <optgroup> each)."""
    now = datetime.now(UTC)
    by_region: dict[str, list[SelectChoice]] = {}
    for zone, _country in _zones():
        by_region.setdefault(zone.split("/", 1)[0], []).append(SelectChoice(zone, zone_label(zone, now)))
    regions = [r for r in FIRST_REGIONS if r in by_region] + sorted(set(by_region) - set(FIRST_REGIONS))
    choices = [SelectChoice("", blank, optgroup=None)] if blank is not None else []
    choices.append(SelectChoice("UTC", "UTC — Coordinated Universal Time", optgroup="Universal time"))
    for region in regions:
        for choice in sorted(by_region[region], key=lambda c: c.label):
            choices.append(SelectChoice(choice.value, choice.label, optgroup=region))
    return choices


class TimeZoneField(SelectField):
    """A time zone chosen from a list grouped by region; the value is the IANA name.

    A stored zone that the list does not show (an older alias such as Asia/Calcutta) is kept as a
    choice, so that editing a record never forces a change nobody asked for.
    """

    def __init__(self, label=None, validators=None, blank: str | None = None, **kwargs):
        render_kw = {"data-filter": "time zones", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, choices=lambda: zone_choices(blank), render_kw=render_kw, **kwargs)
        self.blank = blank

    def iter_choices(self):
        choices = super().iter_choices()
        if self.data and self.data not in {c.value for c in choices} and self.data in available_timezones():
            self.choices = [*self.choices, SelectChoice(self.data, self.data, optgroup="Other")]
            choices = super().iter_choices()
        return choices

    def iter_groups(self):
        self.iter_choices()  # adds a stored zone the list lacks, as above
        return super().iter_groups()

    def pre_validate(self, form):
        if self.data in available_timezones() or (self.blank is not None and not self.data):
            return
        raise ValidationError(CHOOSE_MESSAGE)
