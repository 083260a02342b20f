"""Absolute URLs, for links read outside the site: password links, calendar addresses, event URLs.

Built on the configured EXTERNAL_BASE_URL only. Flask's external url_for takes the
host from the request, that is from whoever sent it: a request saying ``Host: evil.example`` would
get a password link (shown to an administrator, mailed, logged) pointing to the attacker's server.
"""

from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on EXTERNAL_BASE_URL (which may carry a mount prefix)."""
    base = current_app.config["EXTERNAL_BASE_URL"]
    if not base:  # every configuration sets one (config.py); a bare Flask app would not
        raise RuntimeError("EXTERNAL_BASE_URL is not configured")
    # A request-free adapter: the path alone, whatever host or script root the current request names.
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base.rstrip("/") + path
