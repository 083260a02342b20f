"""Helpers to walk every route of the application."""

from __future__ import annotations

from flask import Flask

PLACEHOLDERS = {"int": "1", "default": "x", "string": "x", "path": "x"}


def concrete_url(rule) -> str:
    """The rule's path with every variable filled by a harmless placeholder."""
    path = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__.lower().replace("converter", "") or "default"
        value = PLACEHOLDERS.get("int" if "integer" in converter or converter == "int" else "default")
        path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", value)
        path = path.replace(f"<path:{argument}>", value)
    return path


def routes(app: Flask, method: str):
    """(endpoint, url) for every rule that accepts ``method`` (static files excluded)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in (rule.methods or ()):
            continue
        yield rule.endpoint, concrete_url(rule)
