"""Security headers on every response, and the per-request CSP nonce."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

from secretariat.ops.logs import user_id

CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


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
        # logs.user_id() never queries: loading the user here would fail again inside the error
        # page of a request that failed because the database was down (tests/reliability).
        if user_id() is not None or response.mimetype == "text/html":
            # Pages may carry restricted content or CSRF tokens: never store them.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
