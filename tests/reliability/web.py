"""A small HTTP client for the reliability suite: one ``Browser`` per signed-in person.

Built on http.client (no new dependency) because the suite needs what higher-level clients hide:
a multipart body sent slowly, a fresh connection per request, and the raw answer of a dying server.
"""

from __future__ import annotations

import http.client
import os
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pyotp

#: words that must never reach a user: a stack trace, a driver's name, SQLite's lock error
LEAKS = ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "database is locked")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def leaks(self) -> list[str]:
        """What this answer shows that it must not (case-insensitive)."""
        lower = self.text.lower()
        return [word for word in LEAKS if word.lower() in lower]


class Browser:
    """Cookies, CSRF-carrying forms and sign-in with the second factor, over plain HTTP/1.1."""

    def __init__(self, base: str, timeout: float = 60):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    # --- requests -------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _headers(self, extra: dict | None = None) -> dict[str, str]:
        headers = {"Host": f"{self.host}:{self.port}", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _read(self, conn: http.client.HTTPConnection) -> Answer:
        response = conn.getresponse()
        body = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, body.decode("utf-8", "replace"))

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        conn = self._connection()
        conn.request(method, path, body=body, headers=self._headers(headers))
        return self._read(conn)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]] | dict) -> Answer:
        pairs = list(fields.items()) if isinstance(fields, dict) else fields
        body = urlencode(pairs).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(
        self,
        path: str,
        fields: list[tuple[str, str]],
        files: list[tuple[str, str, bytes]],
        *,
        chunk: int = 0,
        pause: float = 0.0,
        on_started=None,
    ) -> Answer:
        """POST a multipart form. With ``chunk`` and ``pause`` the body goes out slowly, like a poor
        connection; ``on_started(connection)`` is called once the first part of the body has been sent."""
        body, content_type = multipart(fields, files)
        headers = self._headers({"Content-Type": content_type, "Content-Length": str(len(body))})
        conn = self._connection()
        conn.putrequest("POST", path, skip_host=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        step = chunk or len(body)
        for offset in range(0, len(body), step):
            conn.send(body[offset : offset + step])
            if offset == 0 and on_started is not None:
                on_started(conn)
            if pause:
                time.sleep(pause)  # the client's pace, not a wait for the server
        return self._read(conn)

    # --- forms ----------------------------------------------------------------------------------

    def form(self, page: str, action: str | None = None) -> tuple[str, list[tuple[str, str]]]:
        """The fields of the form on ``page`` (the one whose action contains ``action``), as a browser sends them."""
        answer = self.get(page)
        assert answer.status == 200, f"GET {page} answered {answer.status}"
        return pick_form(answer.text, action or urlsplit(page).path, page)

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        _, fields = self.form("/login", "/login")
        fields = replace(fields, email=email, password=password)
        answer = self.post("/login", fields)
        assert answer.status == 302, f"sign-in of {email} answered {answer.status}"
        if answer.location.startswith("/login/code"):
            assert totp_secret, f"{email} was asked for a code"
            _, fields = self.form("/login/code", "/login/code")
            answer = self.post("/login/code", replace(fields, code=pyotp.TOTP(totp_secret).now()))
            assert answer.status == 302 and "/login" not in answer.location, f"code of {email}: {answer.status}"


def replace(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The form's fields with some single-valued fields set (added if absent)."""
    out = [(k, v) for k, v in fields if k not in values]
    return out + [(k, str(v)) for k, v in values.items()]


def value_of(fields: list[tuple[str, str]], name: str) -> str:
    return next(v for k, v in fields if k == name)


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----reliability" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def image_file(size: int) -> bytes:
    """Random bytes behind a PNG signature: archived as an image, with no text to extract."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def text_file(size: int, token: str) -> bytes:
    """A plain-text document of ``size`` bytes, different for each token (so each is a new blob)."""
    line = f"ASEM reliability document {token} ".encode()
    filler = os.urandom(size // 2).hex().encode()
    return (line + filler)[:size]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.append((a["name"], ""))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            name, value = self._form["fields"][-1]
            if not value and data.startswith("\n"):
                data = data[1:]  # a newline right after <textarea> belongs to the markup (HTML parsing rule)
            self._form["fields"][-1] = (name, value + data)
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]] or ([] if self._select["multiple"] else options[:1])
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "form":
            self._form = None


def pick_form(html: str, action: str, page: str) -> tuple[str, list[tuple[str, str]]]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        target = form["action"] or page  # a form without an action posts to its own page
        if action in target and any(name == "csrf_token" for name, _ in form["fields"]):
            return target, form["fields"]
    raise AssertionError(f"no form posting to {action} on the page")


def file_record(browser: Browser, title: str, files: list[tuple[str, bytes]], **slow) -> Answer:
    """File an archive record with ``files`` (name, bytes) through the form, as a coordinator does."""
    action, fields = browser.form("/archive/records/new")
    fields = replace(fields, title=title, record_date="2026-11-27", confidentiality="restricted")
    return browser.post_multipart(action, fields, [("files", name, data) for name, data in files], **slow)
