"""The one place where user-supplied text becomes HTML.

Users write rich text as Markdown (it works in a plain textarea, without JavaScript).
``rich_text`` renders it and ``clean_html`` passes the result, or any HTML from elsewhere,
through bleach with a short allow-list. Every area stores and shows only this output.
"""

from __future__ import annotations

import re
from html import unescape

import bleach
import markdown
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def _link_attrs(attrs, new=False):
    # Links in user text never get the opener or leak our URLs to other sites.
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    return attrs


_linker = bleach.linkifier.Linker(callbacks=[_link_attrs], skip_tags={"pre", "code"})


def clean_html(html: str) -> Markup:
    """Reduce arbitrary HTML to the allow-list; the result is safe to render unescaped."""
    cleaned = _cleaner.clean(html or "")
    # This is the sanitizer: the text was cleaned just above.
    return Markup(_linker.linkify(cleaned))  # noqa: S704  # nosec B704


def rich_text(source: str) -> Markup:
    """Render user Markdown to safe HTML (raw HTML in the source is treated as text, then cleaned)."""
    html = markdown.markdown(
        _escape_raw_html(source or ""),
        extensions=["sane_lists", "tables"],
        output_format="html",
    )
    return clean_html(html)


_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """The text of HTML this module produced (for the search index, filed text and mail).

    Tags are dropped and entities decoded, so the result is text, not HTML: escape it to show it
    (templates do). Only for this module's own output, which is well-formed: a regular expression
    is enough there, and the search index runs this once per record (100x faster than re-parsing).
    """
    return unescape(_TAG.sub("", _BLOCK_END.sub("\n", html or ""))).strip()


def _escape_raw_html(source: str) -> str:
    # Markdown passes raw HTML through; escaping "<" first makes typed tags show as text.
    return source.replace("&", "&amp;").replace("<", "&lt;")
