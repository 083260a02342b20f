"""The audit chain's key: read once at start-up from the environment or a key file, never from the database."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

#: shorter keys are refused: the key is what stops someone with the database from forging entries
MIN_KEY_LENGTH = 32


class KeyMisconfigured(RuntimeError):
    """AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE is set but unusable."""


def init_app(app: Flask) -> None:
    """Resolve AUDIT_HMAC_KEY_FILE into AUDIT_HMAC_KEY; refuse a short or unreadable key; warn when none.

    A missing key only warns, even in production: an instance that ran without one must keep
    starting after an upgrade, and its chain is no weaker than before. A key that is set but
    unusable refuses to start: silently falling back to an unkeyed chain would hide the mistake.
    """
    key = app.config.get("AUDIT_HMAC_KEY") or ""
    path = app.config.get("AUDIT_HMAC_KEY_FILE")
    if not key and path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise KeyMisconfigured(f"AUDIT_HMAC_KEY_FILE cannot be read: {error.strerror}") from None
    if key and len(key) < MIN_KEY_LENGTH:
        raise KeyMisconfigured(f"AUDIT_HMAC_KEY must be at least {MIN_KEY_LENGTH} characters long")
    app.config["AUDIT_HMAC_KEY"] = key or None
    if not key and app.config.get("AUDIT_HMAC_KEY_EXPECTED"):
        app.logger.warning(
            "AUDIT_HMAC_KEY is not set: the audit chain is plain SHA-256 and someone with write access "
            "to the database can rewrite it undetected (see SECURITY.md, 'Someone with database access')"
        )
