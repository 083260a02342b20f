"""Generic error pages in the site's layout, each with an id that is also written to the log."""

from __future__ import annotations

import secrets
import sys

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from secretariat.extensions import db

MESSAGES = {
    400: (
        "Bad request",
        "The request could not be understood. If you submitted a form, go back, reload the page and try again.",
    ),
    403: ("Access denied", "You do not have permission to see this page or perform this action."),
    404: ("Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."),
    405: ("Method not allowed", "This address cannot be used in this way."),
    409: ("Conflict", "Someone else changed this in the meantime. Reload the page and try again."),
    413: ("File too large", "The upload is larger than this site accepts."),
    429: ("Too many requests", "Too many attempts in a short time. Wait a few minutes and try again."),
    500: ("Something went wrong", "An unexpected error occurred. Nothing you saved before this page was lost."),
}


class NotFound(LookupError):
    """Raised by services for an object that does not exist or that the user may not know of: 404."""


class Forbidden(PermissionError):
    """Raised by services for an action the user may not take on an object they may see: 403."""


def _error_id() -> str:
    return secrets.token_hex(6)


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    error_id = _error_id()
    log = current_app.logger.error if code >= 500 else current_app.logger.info
    log("error_id=%s status=%s %s %s %s", error_id, code, request.method, request.path, detail or "")
    if code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        message = f"The upload is larger than the {size} this site accepts. Nothing was saved."
    message = detail or message
    try:
        page = render_template("errors/error.html", code=code, title=title, message=message, error_id=error_id)
    except Exception:  # the layout needs the database (the signed-in user) and the database is down
        current_app.logger.exception("error_id=%s error page failed", error_id)
        page = bare_page(title, message, error_id)
    return page, code


def bare_page(title: str, message: str, error_id: str) -> str:
    """The error page without the layout, for when the layout itself cannot be drawn."""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Error</title>"
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p><p>Error id: {escape(error_id)}</p></html>"
    )


class LastResort:
    """WSGI wrapper: an exception that escapes Flask itself (a teardown or a hook failing while the
    database restarts, say) still gets the generic page, never the server's bare error page.

    Seen in tests/reliability/test_postgres_restart.py: once in a few runs, one request during the
    restart was answered by gunicorn's own "Internal Server Error". This answers it as the
    application's other errors are, and logs it with its error id so the cause can be found.
    """

    HEADERS = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("Content-Security-Policy", "default-src 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    ]

    def __init__(self, wsgi_app, logger) -> None:
        self.wsgi_app = wsgi_app
        self.logger = logger

    def __call__(self, environ, start_response):
        # The app's status and headers reach the server only once the app has returned: Flask gives
        # them before its teardown runs, and gunicorn appends the headers of a second start_response
        # to the first ones (two Content-Length headers, a body cut short) instead of replacing them.
        held: dict = {}

        def hold(status, headers, exc_info=None):
            held["start"] = (status, headers, exc_info)
            return lambda data: pass_on()(data)  # WSGI's write(): rarely used, it starts the response

        def pass_on():
            if "write" not in held:
                held["write"] = start_response(*held["start"])
            return held["write"]

        try:
            body = self.wsgi_app(environ, hold)
        except Exception:
            error_id = _error_id()
            self.logger.exception(
                "error_id=%s error outside the request's handlers on %s %s",
                error_id,
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
            page = bare_page(*MESSAGES[500], error_id).encode("utf-8")
            headers = [*self.HEADERS, ("Content-Length", str(len(page)))]
            # Only a response already passed on needs the exception (WSGI); a first one must not get it.
            start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info() if "write" in held else None)
            return [page]
        pass_on()
        return body


def init_app(app: Flask) -> None:
    app.wsgi_app = LastResort(app.wsgi_app, app.logger)

    # Services raise these instead of calling abort(): the answer is the web's business, not theirs.
    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return render_error(404)

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return render_error(403)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, "The form had expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        response = render_error(code)
        if code == 405 and getattr(exc, "valid_methods", None):
            return response[0], code, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        try:
            db.session.rollback()
        except Exception:  # the database is gone; the session is discarded at teardown anyway
            current_app.logger.warning("rollback failed after an unhandled error", exc_info=True)
        error_id = _error_id()
        current_app.logger.exception("error_id=%s unhandled error on %s %s", error_id, request.method, request.path)
        title, message = MESSAGES[500]
        try:
            page = render_template("errors/error.html", code=500, title=title, message=message, error_id=error_id)
        except Exception:  # the layout itself failed (e.g. database down): answer with bare HTML
            current_app.logger.exception("error_id=%s error page failed", error_id)
            page = bare_page(title, message, error_id)
        return page, InternalServerError.code
