"""A crawler for the confidentiality test: walks the site as one signed-in user and looks for marker words.

It follows every same-site link and redirect, submits every GET form with its default values, and is
also handed URLs made from the database (every id of every object, as an attacker guessing ids would
try them). Every answer is read whole: the decoded body, the headers that carry names
(Content-Disposition), and for zip files (DOCX, exports) each member's name and contents.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit

#: paths never requested: signing out would end the crawl, static files hold no data
SKIPPED_PREFIXES = ("/logout", "/static/")


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: select name -> its first option's value, used when no option is marked selected
    first_options: dict[str, str] = field(default_factory=dict)
    selected: set[str] = field(default_factory=set)


class PageParser(HTMLParser):
    """The links of a page and its forms with the values a browser would submit untouched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            self._option = (a.get("value"), "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._textarea_text = a["name"], ""

    def handle_data(self, data):
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select and self._form is not None:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            self._form.first_options.setdefault(self._select, value)
            if selected:
                self._form.fields.append((self._select, value))
                self._form.selected.add(self._select)
            self._option = None
        elif tag == "select" and self._select and self._form is not None:
            if self._select not in self._form.selected and self._select in self._form.first_options:
                self._form.fields.append((self._select, self._form.first_options[self._select]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, self._textarea_text))
            self._textarea = None
        elif tag == "form":
            self._form = None


def readable_text(response) -> str:
    """Everything a reader of the answer gets: headers that name things, the body, a zip's members."""
    data = response.get_data()
    parts = [response.headers.get("Content-Disposition", ""), response.headers.get("Location", "")]
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    parts.append(info.filename)
                    parts.append(archive.read(info).decode("utf-8", "replace"))
        except zipfile.BadZipFile:
            parts.append(data.decode("utf-8", "replace"))
    else:
        parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def without_echo(text: str, url: str, markers: Iterable[re.Pattern]) -> str:
    """The text without the places where a page repeats its own query (a search box's value, "results
    for “word”", links to the next page): a marker the crawler typed in is no leak. Only query values
    holding a marker are taken out."""
    markers = list(markers)
    # the URL itself, as a sign-in page's "next" carries it (quoted one way or another)
    text = unquote(text)
    for echo in (escape(url), url):
        text = text.replace(echo, "")
    for _name, value in parse_qsl(urlsplit(url).query, keep_blank_values=False):
        if not any(pattern.search(value) for pattern in markers):
            continue
        for echo in {escape(value), escape(value, quote=False), quote(value), quote(value).replace("%20", "+")}:
            text = text.replace(f'value="{echo}"', "").replace(f"“{echo}”", "").replace(f"={echo}", "=")
    return text


@dataclass
class Visit:
    url: str
    status: int


class Crawler:
    """Walks the site with one test client, starting from seed URLs, up to ``max_pages`` requests."""

    def __init__(self, client, markers: dict[str, re.Pattern], *, max_pages: int):
        self.client = client
        self.markers = markers
        self.max_pages = max_pages
        self.seen: set[str] = set()
        self.queue: deque[str] = deque()
        self.visits: list[Visit] = []
        #: marker -> URLs whose answer carried it
        self.found: dict[str, list[str]] = {}
        self.server_errors: list[tuple[str, int]] = []
        self.forms_sent: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, urls: Iterable[str]) -> None:
        for url in urls:
            url = normalise(url)
            if url is not None and url not in self.seen:
                self.seen.add(url)
                self.queue.append(url)

    def run(self) -> None:
        while self.queue and len(self.visits) < self.max_pages:
            self._visit(self.queue.popleft())

    @property
    def exhausted(self) -> bool:
        """Whether the crawl stopped at its bound with pages still to visit."""
        return bool(self.queue)

    def _visit(self, url: str) -> None:
        response = self.client.get(url)
        self.visits.append(Visit(url, response.status_code))
        if response.status_code >= 500:
            self.server_errors.append((url, response.status_code))
        text = without_echo(readable_text(response), url, self.markers.values())
        for name, pattern in self.markers.items():
            if pattern.search(text):
                self.found.setdefault(name, []).append(url)
        if "Location" in response.headers:
            self.add([urljoin(url, response.headers["Location"])])
        if response.mimetype == "text/html":
            parser = PageParser()
            parser.feed(response.get_data(as_text=True))
            self.add(urljoin(url, link) for link in parser.links)
            for form in parser.forms:
                target = urljoin(url, form.action or url)
                # A form seen on many pages (the search box on every search) is submitted once.
                signature = (urlsplit(target).path, tuple(sorted({name for name, _ in form.fields})))
                if form.method == "get" and signature not in self.forms_sent:
                    self.forms_sent.add(signature)
                    self.add([urlsplit(target)._replace(query=urlencode(form.fields)).geturl()])


def normalise(url: str) -> str | None:
    """The same-site path and query of ``url`` (fragment dropped), or None for what is not crawled."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "localhost"):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return None
    if path == "/login":
        return path  # the sign-in page is the same page whatever "next" it carries
    return path + (f"?{parts.query}" if parts.query else "")
