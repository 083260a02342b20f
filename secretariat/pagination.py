"""Offset pagination for list pages, with page links that keep the current filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request, url_for

from secretariat.extensions import db

#: beyond this, a page number is nonsense (and would overflow the database's integers)
MAX_PAGE = 100_000


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    # Flask-SQLAlchemy's names, which the pager macro reads, until this module goes (issue 26)
    @property
    def page(self) -> int:
        return self.number

    @property
    def prev_num(self) -> int:
        return self.number - 1

    @property
    def next_num(self) -> int:
        return self.number + 1

    def url_for_page(self, number: int) -> str:
        args = request.args.to_dict()
        args["page"] = number
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def paginate(query: sa.Select, number: int, per_page: int = 50) -> Page:
    """Run ``query`` for one page and count the whole result."""
    number = min(max(1, number or 1), MAX_PAGE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    items = db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items=list(items), number=number, per_page=per_page, total=total)
