"""Parse pages as a browser would and report anything that could execute script."""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "img", "base", "meta", "link", "style", "form"}


class _Finder(HTMLParser):
    def __init__(self, allowed_tags: set[str], *, own_scripts: bool = False):
        super().__init__()
        self.allowed = allowed_tags
        self.own_scripts = own_scripts
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        # our layout's progressive-enhancement files: served from /static/, never inline
        own = self.own_scripts and tag == "script" and (dict(attrs).get("src") or "").startswith("/static/js/")
        if tag in ACTIVE_TAGS and tag not in self.allowed and not own:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"srcdoc", "formaction"}:
                self.found.append(f"{tag}@{name}")
            if (
                name in {"href", "src", "action"}
                and value
                and value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.found.append(f"{tag}@{name}={value}")


def executable_bits(html: str, *, page: bool = True) -> list[str]:
    """Active elements, event handlers and script URLs in ``html``.

    For whole pages, our own layout's <meta>, <link>, <form> and /static/js/ <script> elements are expected.
    """
    finder = _Finder({"meta", "link", "form"} if page else set(), own_scripts=page)
    finder.feed(html)
    return finder.found
