"""Links and select options for pages that list many rows: built once, or in one piece.

One url_for per page for links that differ only by an id (rows of a list, items of an agenda).

url_for costs tens of microseconds; a page with 60 agenda items and 8 links each spent more time
building URLs than anything else. The URL is built once with a marker number in place of the id,
then each id is put in its place: the same string url_for would have returned.
"""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

#: a number no other part of a URL of this application contains
_MARKER = "7309182736451"


class UrlPattern:
    def __init__(self, endpoint: str, id_argument: str, **values) -> None:
        url = url_for(endpoint, **values, **{id_argument: int(_MARKER)})
        self.head, marker, self.tail = url.partition(_MARKER)
        if not marker or _MARKER in self.tail:
            raise ValueError(f"cannot make a pattern of {url}")

    def __call__(self, value: int) -> str:
        return f"{self.head}{int(value)}{self.tail}"


def options(choices, selected) -> Markup:
    """The <option> elements of a select from (value, label) pairs, the one equal to ``selected`` marked.

    What `{% for %}<option value="{{ v }}"{% if … %} selected{% endif %}>{{ l }}</option>{% endfor %}`
    writes, escaped the same way, but as one string: the template loop cost a few microseconds per
    option, and the meeting filters have a hundred of them.
    """
    # Both values are escaped here; an f-string with escape() is five times faster than Markup.format.
    html = "".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
        for value, label in choices
    )
    return Markup(html)  # noqa: S704  # nosec B704
