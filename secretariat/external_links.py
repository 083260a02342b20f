"""Absolute URLs, for links read outside the site: password links, calendar addresses, event URLs.

Built on the configured EXTERNAL_BASE_URL only. Flask's external url_for takes the host from the
request, that is from whoever sent it: a request saying ``Host: evil.example`` would get a password
link (shown to an administrator, mailed, logged) pointing to the attacker's server. For the same
reason werkzeug's own redirects, absolute URLs on the request's host, are answered as paths.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request
from werkzeug.routing import RequestRedirect


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on EXTERNAL_BASE_URL (which may carry a mount prefix)."""
    base = current_app.config["EXTERNAL_BASE_URL"]
    if not base:  # every configuration sets one (config.py); a bare Flask app would not
        raise RuntimeError("EXTERNAL_BASE_URL is not configured")
    # A request-free adapter: the path alone, whatever host or script root the current request names.
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base.rstrip("/") + path


def on_this_site(location: str, host: str) -> str:
    """A Location as a path when it names this request's host (or none); any other left alone."""
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc) or parts.netloc not in {host, ""}:
        return location
    # one leading slash: "//elsewhere" would be read as another site's address
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def relative_routing_redirects() -> None:
    """Werkzeug's own redirects (a missing trailing slash, doubled slashes) are absolute URLs on the
    Host header, in the Location and in the page: made again as paths before they are answered."""
    redirect = request.routing_exception
    if isinstance(redirect, RequestRedirect):
        request.routing_exception = RequestRedirect(on_this_site(redirect.new_url, request.host))


def init_app(app: Flask) -> None:
    app.before_request(relative_routing_redirects)
