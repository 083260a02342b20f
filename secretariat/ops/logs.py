"""Structured logs: one JSON object per line on stderr, each tied to its request.

Every request gets an id: a sane X-Request-ID from the proxy, or a new one. It is echoed in the
response's X-Request-ID header, shown on error pages, and carried by every line logged while the
request runs, with the signed-in user's id. One line per request records method, path, status
and duration.

What never reaches the log: passwords, cookies, form bodies and query strings (none is ever
written), and the secret tokens some paths carry (password links, calendar feeds), which are
replaced by "[redacted]" wherever they appear in a line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

#: an incoming request id is kept only if it is a short token: no spaces, quotes or control characters
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: paths whose last segment is a credential (auth.set_password, agenda.calendar_feed)
SECRET_PATHS = (
    (re.compile(r"(/password/set/)[^/?#\s\"'<>]+"), r"\1[redacted]"),
    (re.compile(r"(/feed/)[^/?#\s\"'<>]+?(\.ics\b)"), r"\1[redacted]\2"),
)
#: attributes a log record may carry into its JSON line, in this order
FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")

request_log = logging.getLogger("secretariat.request")


def redact(text: str) -> str:
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def request_id() -> str:
    """This request's id (taken from a sane X-Request-ID header, else new), fixed on first use."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def user_id() -> int | None:
    """The signed-in user's id, if Flask-Login has loaded one; never queries the database."""
    user = g.get("_login_user")
    if user is None:
        return None
    # Not user.is_authenticated: after a rollback it reloads an expired column, and with the database
    # down that raised inside the error handler's own log call (tests/reliability/test_postgres_restart.py).
    try:
        identity = sa.inspect(user).identity  # the primary key, read without loading expired attributes
    except sa.exc.NoInspectionAvailable:  # the anonymous user
        return None
    return identity[0] if identity else None


class RequestContext(logging.Filter):
    """Adds the request's id, user, method and (redacted) path to every line logged during it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            for name, value in (
                ("request_id", request_id()),
                ("user_id", user_id()),
                ("method", request.method),
                ("path", redact(request.path)),
            ):
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is when a line is written (so a reassigned stderr still works)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(app: Flask) -> None:
    """Send every logger's lines (ours and the libraries') as JSON to stderr, at LOG_LEVEL."""
    level = app.config["LOG_LEVEL"]
    root = logging.getLogger()
    # A plain stream handler set up by someone else (alembic's fileConfig when migrations run in this
    # process, logging.basicConfig) would print every line a second time, as text: ours replaces it.
    for handler in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(handler)
    if not any(isinstance(handler, StderrHandler) for handler in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    root.setLevel(level)
    app.logger.removeHandler(default_handler)  # Flask's own plain-text handler would repeat each line
    app.logger.setLevel(level)
    # The development server's access lines carry query strings; our request line replaces them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up chatter


def init_app(app: Flask) -> None:
    """Time each request, echo its id, and write its one request line."""

    def start() -> None:
        g.request_started = time.perf_counter()
        request_id()

    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_log.info(
            "%s %s %s",
            request.method,
            redact(request.path),
            response.status_code,
            extra={"status": response.status_code, "duration_ms": duration},
        )
        return response

    # First of all hooks, so the clock starts before anything else runs.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(finish)
    app.context_processor(lambda: {"request_id": request_id() if has_request_context() else None})
