"""Security headers on every response, and the per-request CSP nonce."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


#: what every answer but a static file says to caches (a view may have said "no-store" already)
NOT_CACHED = "private, no-store"


def csp_nonce() -> str:
    """The nonce for this response's CSP, for the rare <script nonce=...> in a template."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        # A view may set a stricter policy (downloads use default-src 'none'); keep it.
        headers.setdefault("Content-Security-Policy", CSP_TEMPLATE.format(nonce=csp_nonce()))
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if app.config.get("HSTS"):
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Every answer but our own static files may carry restricted content, a CSRF token or a
        # credential: pages, downloads, exports, and the calendar feeds read without a session.
        if request.endpoint != "static":
            if "no-store" not in headers.get("Cache-Control", ""):
                headers["Cache-Control"] = NOT_CACHED
            headers["Pragma"] = "no-cache"
        return response
