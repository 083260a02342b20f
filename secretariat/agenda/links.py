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


class ItemControls:
    """The controls of each item of the coordinators' working draft (meeting page), one string per item.

    What `agenda/_agenda.html` wrote for them (an edit link, five move forms, add sub-item and remove
    links), escaped the same way: in the template, the 30-odd escaped values per item cost more than
    the rest of the item; here the values common to the page (the CSRF token) are escaped once.
    """

    def __init__(self, meeting_id: int) -> None:
        self.edit = UrlPattern("agenda.edit_item", "item_id", meeting_id=meeting_id)
        self.move = UrlPattern("agenda.move_item", "item_id", meeting_id=meeting_id)
        self.add_sub = UrlPattern("agenda.add_item", "parent_id", meeting_id=meeting_id)
        self.delete = UrlPattern("agenda.delete_item", "item_id", meeting_id=meeting_id)
        self._token: str | None = None
        self._escaped_token = ""  # the CSRF token, escaped once per page, not a password  # nosec B105

    def __call__(self, item_id: int, number: str, depth: int, token: str) -> Markup:
        if token != self._token:
            self._token, self._escaped_token = token, escape(token)
        t = self._escaped_token
        n = escape(number)
        move = escape(self.move(item_id))
        hidden = f'<input type="hidden" name="csrf_token" value="{t}">'
        # the blank line is where the template had a comment
        forms = "      \n" + "".join(
            f"""      <form method="post" action="{move}" class="inline-form">
        {hidden}
        <input type="hidden" name="action" value="{action}">
        <button type="submit" class="button button--small button--secondary">{label}<span class="visually-hidden"> item {n}</span></button>
      </form>
"""  # noqa: E501
            for action, label in _MOVES
        )
        item = int(item_id)
        add_sub = (
            f'<a class="button button--small button--secondary" href="{escape(self.add_sub(item))}">Add sub-item'
            f'<span class="visually-hidden"> to {n}</span></a>'
            if depth < 3
            else ""
        )
        html = f"""<div class="item-controls" role="group" aria-label="Change item {n}">
      <a class="button button--small button--secondary" href="{escape(self.edit(item))}">Edit<span class="visually-hidden"> item {n}</span></a>
{forms}      <form method="post" action="{move}" class="inline-form move-to">
        {hidden}
        <input type="hidden" name="action" value="position">
        <label for="target-{item}">Move item {n} to number</label>
        <input id="target-{item}" name="target" type="text" inputmode="decimal" size="5" pattern="[0-9.]+" required>
        <button type="submit" class="button button--small button--secondary">Move</button>
      </form>
      {add_sub}
      <a class="button button--small button--danger-outline" href="{escape(self.delete(item))}">Remove<span class="visually-hidden"> item {n}</span></a>
    </div>"""  # noqa: E501
        return Markup(html)  # noqa: S704  # nosec B704


_MOVES = (("up", "Move up"), ("down", "Move down"), ("indent", "Make sub-item"), ("outdent", "Move out a level"))
