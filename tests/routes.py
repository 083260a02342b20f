"""Helpers to walk every route of the application."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter


def concrete_url(rule) -> str:
    """The rule's path with every variable filled by a harmless placeholder (1 for ids, x for text)."""
    path = rule.rule
    for argument, converter in rule._converters.items():
        value = "1" if isinstance(converter, IntegerConverter) else "x"
        for form in (f"<int:{argument}>", f"<{argument}>", f"<path:{argument}>", f"<string:{argument}>"):
            path = path.replace(form, value)
    return path


def routes(app: Flask, method: str):
    """(endpoint, url) for every rule that accepts ``method`` (static files excluded)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in (rule.methods or ()):
            continue
        yield rule.endpoint, concrete_url(rule)
