"""Refuse input no form can produce and no database accepts: NUL characters in parameters.

PostgreSQL refuses NUL in text, SQLite truncates at it in places; neither is ever legitimate in a
form field or a query string, so such requests are answered 400 before any view sees them.
"""

from __future__ import annotations

from flask import Flask, abort, request


def refuse_nul_bytes():
    for source in (request.args, request.form):
        for key, values in source.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                abort(400)
    return None


def init_app(app: Flask) -> None:
    # First of all before_request hooks, so that nothing reads the values before they are checked.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_bytes)
