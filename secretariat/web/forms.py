"""Forms used by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that changes state: it carries only its CSRF token."""
