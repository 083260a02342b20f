"""Page numbers of list pages: the one asked for, and the links of the pager macro (_forms.html).

Lists are paginated with Flask-SQLAlchemy's ``db.paginate(query, page=requested_page(), per_page=N,
error_out=False)``: a page number that makes no sense shows a page, never an error.
"""

from __future__ import annotations

from flask import request, url_for

#: beyond this, a page number is nonsense (and its offset would overflow the database's integers)
MAX_PAGE = 100_000


def requested_page() -> int:
    """The ``page`` argument of the request, kept within 1..MAX_PAGE (anything else is page 1)."""
    number = request.args.get("page", 1, type=int)
    return min(max(number, 1), MAX_PAGE)


def page_url(number: int) -> str:
    """This page's address with another page number, keeping every other argument (repeated ones too)."""
    args = request.args.to_dict(flat=False)
    return url_for(request.endpoint, **{**args, **(request.view_args or {}), "page": number})
