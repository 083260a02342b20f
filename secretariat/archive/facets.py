"""The search page's facet checkboxes, rendered in Python.

A search page carries about a hundred checkboxes (years, partners, types, languages). As a Jinja
macro they cost more than the search itself (bench/pages.py: about a third of the page's time);
the same HTML built here with one format string per checkbox costs a tenth of that. Every value
that comes from the index or the request is escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

LEGENDS = {
    "type": "Type",
    "year": "Year",
    "meeting_kind": "Meeting kind",
    "partners": "Partner",
    "language": "Language",
}

_CHECKBOX = (
    '  <div class="checkbox"><input type="checkbox" id="f-{param}-{n}" name="{param}" value="{key}"{checked}>\n'
    '    <label for="f-{param}-{n}">{label} <span class="muted">({count})</span></label></div>\n'
)


def render(name: str, param: str, buckets: list[tuple[str, int]], chosen: list[str], labels: dict | None) -> Markup:
    """One fieldset of checkboxes with counts; nothing when the facet has no bucket."""
    if not buckets:
        return Markup("")
    # Years newest first, everything else alphabetically (case-insensitive, as Jinja's sort was).
    ordered = sorted(buckets, key=lambda bucket: bucket[0].lower(), reverse=name == "year")
    if name == "partners":
        ordered = [bucket for bucket in ordered if bucket[0] != "none"]
    selected = set(chosen)
    safe_param = escape(param)
    rows = [
        _CHECKBOX.format(
            param=safe_param,
            n=n,
            key=escape(key),
            checked=" checked" if key in selected else "",
            label=escape(labels.get(key, key) if labels else key),
            count=int(count),
        )
        for n, (key, count) in enumerate(ordered, start=1)
    ]
    # Safe: the rows' every value was escaped above, and the legend is one of ours.
    return Markup(f'<fieldset class="facet">\n  <legend>{LEGENDS[name]}</legend>\n{"".join(rows)}</fieldset>\n')  # noqa: S704  # nosec B704
