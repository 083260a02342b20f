"""Links and select options for pages that list many rows: built once, or in one piece.

One url_for per page for links that differ only by an id (rows of a list, items of an agenda).

url_for costs tens of microseconds; a page with 60 agenda items and 8 links each spent more time
building URLs than anything else. The URL is built once with a marker number in place of the id,
then each id is put in its place: the same string url_for would have returned.
"""

from __future__ import annotations

from flask import current_app, request, url_for
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


#: the links of the meeting page that carry the meeting id, by name (the endpoint, with its extra value)
_MEETING_LINKS = {
    "agenda.meeting": ("agenda.meeting", {}),
    "agenda.versions": ("agenda.versions", {}),
    "agenda.compare_versions": ("agenda.compare_versions", {}),
    "agenda.meeting_ics": ("agenda.meeting_ics", {}),
    "agenda.edit_meeting": ("agenda.edit_meeting", {}),
    "agenda.change_status": ("agenda.change_status", {}),
    "agenda.edit_minutes": ("agenda.edit_minutes", {}),
    "agenda.add_item": ("agenda.add_item", {}),
    "agenda.print_agenda": ("agenda.print_agenda", {}),
    "agenda.print_agenda draft": ("agenda.print_agenda", {"draft": 1}),
    "agenda.propose": ("agenda.propose", {}),
    "agenda.print_minutes": ("agenda.print_minutes", {}),
}


def meeting_urls(meeting_id: int) -> dict[str, str]:
    """The meeting page's links to this meeting's pages, by name (see _MEETING_LINKS): each the string
    url_for gives (about a dozen url_for calls a page saved).

    The patterns are made once per application and script root: what url_for returns for a path depends
    on the endpoint, its values and the mount point only (this application makes no external URLs, nor
    URLs by host or subdomain, and takes no mount point from request headers: ProxyFix has no x_prefix).
    """
    kept: dict = current_app.extensions.setdefault("agenda_meeting_link_patterns", {})
    patterns = kept.get(request.script_root)
    if patterns is None:
        if len(kept) >= 16:  # a handful of mount points at most; never grow without bound
            kept.clear()
        patterns = kept[request.script_root] = tuple(
            (name, UrlPattern(endpoint, "meeting_id", **values)) for name, (endpoint, values) in _MEETING_LINKS.items()
        )
    return {name: pattern(meeting_id) for name, pattern in patterns}


_NAV = (
    ("agenda.meeting", "Meeting and agenda"),
    ("agenda.versions", "Versions and history"),
    ("agenda.compare_versions", "Compare versions"),
)


def meeting_nav(urls: dict[str, str], current: str | None) -> Markup:
    """What the meeting_nav macro of agenda/_agenda.html writes, from meeting_urls() (tests compare the two)."""
    entries = "".join(
        f"""
    <li><a href="{escape(urls[endpoint])}"{' aria-current="page"' if endpoint == current else ""}>{label}</a></li>
    """
        for endpoint, label in _NAV
    )
    html = f"""<nav class="subnav" aria-label="This meeting">
  <ul>
    {entries}
    <li><a href="{escape(urls["agenda.meeting_ics"])}">Add to calendar (.ics)</a></li>
  </ul>
</nav>"""
    # the URLs are escaped, the labels are constants
    return Markup(html)  # noqa: S704  # nosec B704


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


_MAX_KEPT_OPTIONS = 512


def kept_options(choices: tuple, selected) -> Markup:
    """options(choices, selected), kept in the process per (choices, selected): exact, since the
    choices are the key, read from the database on every request (a renamed partner shows at once);
    they hold nothing about the viewer. About a hundred escapes a request saved; hashing the tuple
    costs a few µs."""
    kept: dict = current_app.extensions.setdefault("list_filter_options", {})
    key = (choices, selected)
    html = kept.get(key)
    if html is None:
        if len(kept) >= _MAX_KEPT_OPTIONS:  # stale choices (a renamed partner) must not pile up
            kept.clear()
        html = kept[key] = options(choices, selected)
    return html


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
