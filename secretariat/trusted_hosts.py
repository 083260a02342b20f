"""Requests naming a host the site does not serve are refused before anything of the application runs.

Flask checks TRUSTED_HOSTS too, but only once the request context exists: the before-request hooks
(CSRF, sign-in throttling) would run first, and the error page could not be drawn (no URL adapter).
Here the check comes first, after ProxyFix has applied a trusted proxy's X-Forwarded-Host, and the
answer is the generic page without the layout: 400, an error id, nothing about the cause.
"""

from __future__ import annotations

import logging

from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from secretariat.errors import MESSAGES, LastResort, _error_id, bare_page


class TrustedHosts:
    """WSGI wrapper answering 400 to a request whose Host (or forwarded host) is not in ``trusted``."""

    def __init__(self, wsgi_app, trusted: list[str], logger: logging.Logger) -> None:
        self.wsgi_app = wsgi_app
        self.trusted = trusted
        self.logger = logger

    def __call__(self, environ, start_response):
        try:
            get_host(environ, self.trusted)
        except SecurityError:
            error_id = _error_id()
            # The host is the client's text: cut short, and the JSON log line escapes it.
            self.logger.warning(
                "error_id=%s status=400 refused a request for host %r, not in TRUSTED_HOSTS",
                error_id,
                environ.get("HTTP_HOST", "")[:100],
            )
            page = bare_page(*MESSAGES[400], error_id).encode("utf-8")
            start_response("400 BAD REQUEST", [*LastResort.HEADERS, ("Content-Length", str(len(page)))])
            return [page]
        return self.wsgi_app(environ, start_response)


def init_app(app) -> None:
    """Wrap the application when TRUSTED_HOSTS is set (production sets it from EXTERNAL_BASE_URL)."""
    if app.config.get("TRUSTED_HOSTS"):
        app.wsgi_app = TrustedHosts(app.wsgi_app, app.config["TRUSTED_HOSTS"], app.logger)
