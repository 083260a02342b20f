"""Reading forms and links out of our HTML, and filling a form as a browser would, for the XSS test.

The standard library's HTML parser is enough: our templates are valid HTML (the browser suite checks
them with the Nu Html Checker), and discovery over HTTP is much faster than driving Chromium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: input types a person types free text into (the payloads go there)
LINE_TYPES = {"text", "search", "url", "tel", "email"}
#: hidden fields that change with every page: a token, the version, the values an edit started from
PER_PAGE = ("csrf_token", "version", "edit_base")
#: values that pass the browser's and the server's checks of the other input types
VALID = {
    "date": "2027-03-15",
    "datetime-local": "2027-03-15T10:00",
    "time": "10:00",
    "month": "2027-03",
    "week": "2027-W11",
    "color": "#336699",
}


@dataclass
class Field:
    name: str
    kind: str  # line, email, textarea, hidden, select, checkbox, radio, file, password, number, or an input type
    value: str = ""
    maxlength: int | None = None
    minimum: str | None = None
    multiple: bool = False
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    id: str = ""
    hint: str = ""  # the text tied to it by aria-describedby (our forms say there when Markdown is formatted)

    @property
    def free_text(self) -> bool:
        return self.kind in ("line", "email", "textarea")

    @property
    def markdown(self) -> bool:
        return self.kind == "textarea" and "**bold**" in self.hint


@dataclass
class Form:
    page: str  # the path of the page that offered it
    action: str  # absolute path (with query) the form posts to
    method: str
    fields: list[Field] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What makes two forms "the same form": the action with ids blanked, the free-text fields, and the
        fixed hidden values (a status change to "circulated" is not the one to "adopted")."""
        hidden = sorted(f"{f.name}={f.value}" for f in self.fields if f.kind == "hidden" and f.name not in PER_PAGE)
        text = sorted(f.name for f in self.fields if f.free_text)
        return f"{self.method} {pattern(self.action)} [{' '.join(text)}] {' '.join(hidden)}".strip()

    @property
    def text_fields(self) -> list[Field]:
        return [f for f in self.fields if f.free_text]

    def encode(self, values: dict[str, str]) -> list[tuple[str, str]]:
        """The name/value pairs a browser would send, with ``values`` typed into the named fields and every
        other field left as the page set it (a date or number the page left empty gets a valid one)."""
        pairs: list[tuple[str, str]] = []
        for f in self.fields:
            if f.name in values:
                pairs.append((f.name, values[f.name]))
            elif f.kind in ("checkbox", "radio"):
                if f.checked:
                    pairs.append((f.name, f.value or "on"))
            elif f.kind == "select":
                chosen = f.selected or ([] if f.multiple else f.options[:1])
                pairs.extend((f.name, v) for v in chosen)
            elif f.kind in ("file", "submit", "password"):
                continue
            elif f.kind == "number":
                pairs.append((f.name, f.value or f.minimum or "1"))
            elif f.kind in VALID:
                pairs.append((f.name, f.value or VALID[f.kind]))
            else:
                pairs.append((f.name, f.value))
        return pairs


def pattern(url: str) -> str:
    """A URL with its numbers blanked and its query reduced to the parameter names: /meetings/N?kind."""
    parts = urlsplit(url)
    keys = sorted({p.split("=", 1)[0] for p in parts.query.split("&") if p})
    return re.sub(r"\d+", "N", parts.path) + (f"?{'&'.join(keys)}" if keys else "")


class _Parser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None
        self.hints: dict[str, str] = {}
        self._hint: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if a.get("id", "").endswith("-hint"):
            self._hint = a["id"]
            self.hints[self._hint] = ""
        if tag == "a" and "href" in a:
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, _local(action), a.get("method", "get").lower())
        elif tag == "option" and self._select is not None:
            self._end_option()  # an option's end tag may be omitted
            self._option = (a.get("value"), "selected" in a, [])
        elif self._form is None or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            kind = "line" if kind in LINE_TYPES - {"email"} else kind
            self._form.fields.append(
                Field(
                    a["name"],
                    kind,
                    a.get("value", ""),
                    maxlength=int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None,
                    minimum=a.get("min"),
                    checked="checked" in a,
                    id=a.get("id", a["name"]),
                )
            )
        elif tag == "textarea":
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._textarea = Field(a["name"], "textarea", maxlength=maxlength, id=a.get("id", a["name"]))
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a, id=a.get("id", a["name"]))
            self._form.fields.append(self._select)

    def handle_data(self, data):
        if self._hint is not None:
            self.hints[self._hint] += data
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "p":
            self._hint = None
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "textarea":
            if self._textarea is not None:  # a browser drops the newline that follows <textarea>
                self._textarea.value = re.sub(r"^\r?\n", "", self._textarea.value)
            self._textarea = None
        elif tag == "option":
            self._end_option()
        elif tag == "select":
            self._end_option()
            self._select = None

    def _end_option(self):
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            value = value if value is not None else "".join(text).strip()
            self._select.options.append(value)
            if selected:
                self._select.selected.append(value)
        self._option = None


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse(html: str, page: str) -> tuple[list[Form], list[str]]:
    """The forms on a page and the absolute URLs of its links (``page`` is the page's absolute URL)."""
    parser = _Parser(page)
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        form.page = _local(page)
        for f in form.fields:
            f.hint = parser.hints.get(f"{f.id}-hint", "")
    return parser.forms, parser.links
