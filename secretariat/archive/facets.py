"""The search page's facet checkboxes, rendered in Python.

A search page carries about a hundred checkboxes (years, partners, types, languages). As a Jinja
macro they cost more than the search itself (bench/pages.py: about a third of the page's time);
the same HTML built here with one format string per checkbox costs a tenth of that. Every value
that comes from the index or the request is escaped.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

LEGENDS = {
    "type": "Type",
    "year": "Year",
    "meeting_kind": "Meeting kind",
    "partners": "Partner",
    "language": "Language",
}

#: one checkbox; %-formatting with positional values: a third of the time str.format with names took
#: (bench: 442 -> 162 us for the 60 partners)
_CHECKBOX = (
    '  <div class="checkbox"><input type="checkbox" id="f-%s-%d" name="%s" value="%s"%s>\n'
    '    <label for="f-%s-%d">%s <span class="muted">(%d)</span></label></div>\n'
)


@lru_cache(maxsize=4096, typed=True)  # typed: a Markup label is not the plain text of the same letters
def _escaped(text: str) -> str:
    """A key or a label, HTML-escaped: the same few hundred (partners, years, types) on every page."""
    return str(escape(text))


def render(name: str, param: str, buckets: list[tuple[str, int]], chosen: list[str], labels: dict | None) -> Markup:
    """One fieldset of checkboxes with counts; nothing when the facet has no bucket."""
    if not buckets:
        return Markup("")
    # Years newest first, everything else alphabetically (case-insensitive, as Jinja's sort was).
    ordered = sorted(buckets, key=lambda bucket: bucket[0].lower(), reverse=name == "year")
    if name == "partners":
        ordered = [bucket for bucket in ordered if bucket[0] != "none"]
    selected = set(chosen)
    safe_param = _escaped(param)
    rows = []
    for n, (key, count) in enumerate(ordered, start=1):
        safe_key = _escaped(key)
        label = _escaped(labels.get(key, key) if labels else key)
        checked = " checked" if key in selected else ""
        rows.append(_CHECKBOX % (safe_param, n, safe_param, safe_key, checked, safe_param, n, label, int(count)))
    # Safe: the rows' every value was escaped above, and the legend is one of ours.
    return Markup(f'<fieldset class="facet">\n  <legend>{LEGENDS[name]}</legend>\n{"".join(rows)}</fieldset>\n')  # noqa: S704  # nosec B704
