"""The main navigation of every page, rendered once per role and current page and kept in the process.

What it shows depends on nothing but the signed-in user's role (which entries they may use), the
page being shown (marked aria-current) and where the application is mounted (the links' prefix):
those are the key. Rendering it with its eight permission checks and links cost about 0.1 ms of
every page.
"""

from __future__ import annotations

from flask import Flask, current_app, get_template_attribute, request
from flask_login import current_user
from markupsafe import Markup

from secretariat.auth.access import current_user_can


def main_nav() -> Markup:
    key = (current_user.role, request.endpoint, request.script_root)
    cache: dict = current_app.extensions.setdefault("main_nav", {})
    html = cache.get(key)
    if html is None:
        render = get_template_attribute("_nav.html", "main_nav")
        html = render(current_user_can, request.endpoint)
        cache[key] = html  # a few roles times the endpoints: bounded by the application's routes
    return html


def init_app(app: Flask) -> None:
    app.jinja_env.globals["main_nav"] = main_nav
