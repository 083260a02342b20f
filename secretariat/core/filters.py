"""Template filters shared by every area."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from secretariat.web.paging import page_url


def in_zone(moment: datetime, zone: str) -> datetime:
    """An aware timestamp shown in a given IANA zone."""
    return moment.astimezone(ZoneInfo(zone))


def combine_page(args: dict, page: int) -> dict:
    """Request arguments (as lists) with another page number, for pager links that keep the filters."""
    return {**args, "page": page}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["in_zone"] = in_zone
    app.jinja_env.filters["combine_page"] = combine_page
    app.jinja_env.globals["page_url"] = page_url
