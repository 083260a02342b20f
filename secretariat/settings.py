"""Configuration classes, read from the environment with safe defaults.

Pick one with ``create_app("production")`` or the ``SECRETARIAT_CONFIG`` variable
(development, testing, production). Secrets come from the environment only.
The top-level ``config.py`` re-exports these classes for a checkout.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
#: An installed package carries copies of the top-level templates/ and migrations/ (setup.py);
#: a checkout has only the top-level folders.
INSTALLED = (PACKAGE_DIR / "templates").is_dir()
TEMPLATES_DIR = PACKAGE_DIR / "templates" if INSTALLED else PROJECT_ROOT / "templates"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations" if INSTALLED else PROJECT_ROOT / "migrations"
# Flask's rule for an instance folder: beside the package in a checkout, under the environment's
# prefix once installed (never inside site-packages).
_DEFAULT_INSTANCE = Path(sys.prefix) / "var" / "secretariat-instance" if INSTALLED else PROJECT_ROOT / "instance"
INSTANCE_DIR = Path(os.environ.get("SECRETARIAT_INSTANCE") or _DEFAULT_INSTANCE)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    """A comma-separated setting as a list; None when it is not set."""
    value = os.environ.get(name)
    return None if value is None else _as_list(value)


def _as_list(value) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item and item.strip()]


def _local_secret_key() -> str:
    """A per-machine key for development, kept in instance/ so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    """Settings shared by every environment."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'secretariat.sqlite'}")
    # hide_parameters: SQL errors in the log never show the values bound to a statement (hashes, tokens).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: "none" turns psycopg's prepared statements off, for PgBouncer in transaction mode before 1.22
    #: (docs/deployment.md, section 4); otherwise a statement is prepared at its fifth use.
    DATABASE_PREPARE_THRESHOLD = os.environ.get("DATABASE_PREPARE_THRESHOLD", "")

    #: previous secret keys, comma-separated: cookies signed with them are still accepted (and re-signed
    #: with SECRET_KEY), so a key rotates without signing anyone out. Drop the old key after a session's
    #: absolute lifetime (SESSION_ABSOLUTE_HOURS) has passed.
    SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS") or []

    # Sessions: a signed cookie holding only a server-side session id (see auth/sessions.py).
    SESSION_COOKIE_NAME = "secretariat_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)  # no "remember me": sessions end with the browser

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own timeouts
    MAX_CONTENT_LENGTH = _env_int("MAX_UPLOAD_MB", 50) * 1024 * 1024

    # Passwords and sign-in throttling.
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 256
    PASSWORD_TOKEN_HOURS = _env_int("PASSWORD_TOKEN_HOURS", 72)
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    # See auth/throttle.py: delays per account and address, a ceiling per address (spraying), a
    # ceiling per account high enough not to shut the owner out (NIST SP 800-63B: at most 100),
    # and known devices (device cookies) that only their own failures can slow down.
    LOGIN_FAILURE_WINDOW = timedelta(hours=24)
    LOGIN_BACKOFF_AFTER = 5
    LOGIN_BACKOFF_BASE = timedelta(seconds=30)
    LOGIN_BACKOFF_CAP = timedelta(minutes=15)
    LOGIN_ADDRESS_WINDOW = timedelta(minutes=15)
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 100
    MFA_MAX_FAILURES_PER_ACCOUNT = 20
    DEVICE_COOKIE_DAYS = _env_int("DEVICE_COOKIE_DAYS", 180)
    DEVICE_MAX_FAILURES = 10

    # Coarse request limits (Flask-Limiter). With several servers, redis://host:6379/0 (or valkey://)
    # shares the counts between them; memory:// keeps them per process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    #: Redis unreachable: each process counts in its own memory until Redis answers again (checked at
    #: growing intervals, at most about a minute apart), /readyz says "degraded", nothing answers 500.
    #: The per-account sign-in throttle lives in the database and never depends on Redis.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _env_bool("RATELIMIT_IN_MEMORY_FALLBACK", True)
    #: a limiter failure the fallback does not cover lets the request through (logged), never a 500
    RATELIMIT_SWALLOW_ERRORS = True
    #: seconds to wait for Redis before counting in memory (set for redis:// and valkey:// only)
    RATELIMIT_REDIS_TIMEOUT = float(os.environ.get("RATELIMIT_REDIS_TIMEOUT", "0.5"))
    AUTH_POST_RATE_LIMIT = os.environ.get("AUTH_POST_RATE_LIMIT", "60 per minute")

    # Mail: with no MAIL_SERVER, password links are shown to the admin and written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "secretariat@localhost")
    #: implicit TLS from the first byte (port 465) instead of STARTTLS; both verify certificate and host name
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    #: a CA bundle for a mail server signed by a private authority (the system's store otherwise)
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE")
    #: print mails to the worker's output instead of sending them (also when MAIL_SERVER is unset)
    MAIL_SUPPRESS = _env_bool("MAIL_SUPPRESS", False)
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 15)
    # Base of every absolute link the application makes (password links, calendar addresses, event
    # URLs), e.g. https://secretariat.example.org: never taken from the request's Host header.
    EXTERNAL_BASE_URL = os.environ.get("EXTERNAL_BASE_URL")
    #: host names a request may name in Host (or X-Forwarded-Host behind TRUSTED_PROXIES); others get
    #: a 400 (Flask's TRUSTED_HOSTS). None accepts any: production defaults to EXTERNAL_BASE_URL's host.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")

    # The archive's files and search index live outside the web root, beside the database.
    ARCHIVE_STORAGE = os.environ.get("ARCHIVE_STORAGE", str(INSTANCE_DIR / "archive-files"))
    ARCHIVE_INDEX = os.environ.get("ARCHIVE_INDEX", str(INSTANCE_DIR / "search-index"))

    # Text extraction of uploads (`flask worker`, archive/extraction.py): each file is read in a child
    # process stopped past these limits, its text then "could not be extracted" with the reason.
    EXTRACTION_MEMORY_MB = _env_int("EXTRACTION_MEMORY_MB", 512)
    EXTRACTION_CPU_SECONDS = _env_int("EXTRACTION_CPU_SECONDS", 30)
    EXTRACTION_WALL_SECONDS = _env_int("EXTRACTION_WALL_SECONDS", 60)
    # Scanned paper (images, PDFs of images) is recognised with Tesseract when it is installed
    # (archive/ocr.py): a few seconds a page, so such files have their own wall clock.
    EXTRACTION_RECOGNISE = os.environ.get("EXTRACTION_RECOGNISE", "1") == "1"
    EXTRACTION_RECOGNISE_WALL_SECONDS = _env_int("EXTRACTION_RECOGNISE_WALL_SECONDS", 600)

    # The audit chain's key, held outside the database (secretariat/audit/keys.py): the value, or a
    # file holding it. Without it the chain is plain SHA-256, which anyone who can write the database
    # can recompute.
    AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY")
    AUDIT_HMAC_KEY_FILE = os.environ.get("AUDIT_HMAC_KEY_FILE")
    #: log a warning at start-up when no key is configured (production)
    AUDIT_HMAC_KEY_EXPECTED = False

    # Readiness (/readyz, secretariat/ops/readiness.py): not ready while this host's search index is
    # more than this many changes behind the database's change log.
    READINESS_MAX_INDEX_LAG = _env_int("READINESS_MAX_INDEX_LAG", 500)
    #: ended sessions (signed out, revoked, timed out) are deleted by the worker after so many days
    SESSION_RETENTION_DAYS = _env_int("SESSION_RETENTION_DAYS", 30)

    HSTS = False
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)  # number of reverse proxies in front
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()  # JSON lines on stderr (secretariat/ops/logs.py)

    @staticmethod
    def finalize(settings: dict) -> None:
        """Check or complete the settings once they are loaded; overridden per environment."""
        _check_hosts(settings)
        _finish_shared(settings)


def _finish_shared(settings: dict) -> None:
    """Settings every environment completes the same way: key fallbacks as a list, Redis time-outs."""
    fallbacks = settings.get("SECRET_KEY_FALLBACKS") or []
    settings["SECRET_KEY_FALLBACKS"] = _as_list(fallbacks)
    if settings["SECRET_KEY_FALLBACKS"] and not settings.get("WTF_CSRF_SECRET_KEY"):
        # Forms opened before the rotation still submit: itsdangerous signs with the last key of a
        # list and accepts any of them.
        settings["WTF_CSRF_SECRET_KEY"] = [*reversed(settings["SECRET_KEY_FALLBACKS"]), settings.get("SECRET_KEY")]
    uri = settings.get("RATELIMIT_STORAGE_URI") or ""
    if uri.split(":", 1)[0] in {"redis", "rediss", "valkey", "valkeys"}:
        timeout = float(settings.get("RATELIMIT_REDIS_TIMEOUT") or 0.5)
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        settings["RATELIMIT_STORAGE_OPTIONS"] = {**options, **(settings.get("RATELIMIT_STORAGE_OPTIONS") or {})}


def _check_hosts(settings: dict, *, default_base: str | None = None, require_https: bool = False) -> None:
    """EXTERNAL_BASE_URL as an absolute http(s) URL without a trailing slash; TRUSTED_HOSTS as a list.

    Production passes no default and requires https: with no configured base, links would have to
    come from the request's Host header, which the client chooses.
    """
    base = (settings.get("EXTERNAL_BASE_URL") or default_base or "").strip()
    parts = urlsplit(base)
    schemes = {"https"} if require_https else {"http", "https"}
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        wanted = "https://host[/prefix]" if require_https else "http(s)://host[:port][/prefix]"
        raise RuntimeError(
            f"EXTERNAL_BASE_URL must be set to the site's public address, {wanted} "
            "(links in mails and calendars are built on it, never on the request's Host header)"
        )
    settings["EXTERNAL_BASE_URL"] = base.rstrip("/")
    if settings.get("TRUSTED_HOSTS") is not None:
        settings["TRUSTED_HOSTS"] = _as_list(settings["TRUSTED_HOSTS"]) or None


class DevelopmentConfig(Config):
    """Local use: embedded SQLite, a generated secret key kept in instance/."""

    SECRET_KEY = os.environ.get("SECRET_KEY")

    @staticmethod
    def finalize(settings: dict) -> None:
        """Fill in a local secret key when none is given; links point to `make run`'s address."""
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _local_secret_key()
        _check_hosts(settings, default_base="http://127.0.0.1:5000")
        _finish_shared(settings)


class TestingConfig(Config):
    """The test suite: fast hashing, a throwaway key, the database from TEST_DATABASE_URL."""

    TESTING = True
    SECRET_KEY = "test-" + secrets.token_hex(16)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    # Throwaway folders, made when an application is created without its own (see finalize): made
    # here, every import of this module left two empty folders behind.
    ARCHIVE_STORAGE = ""
    ARCHIVE_INDEX = ""
    # The limiter stays on (as in production) with a ceiling no test reaches by accident.
    AUTH_POST_RATE_LIMIT = "10000 per minute"
    # The test client's own address, whatever the environment says; any Host is accepted.
    EXTERNAL_BASE_URL = "http://localhost"
    TRUSTED_HOSTS = None
    # Recognising scanned paper takes seconds a page: on only where a test asks for it.
    EXTRACTION_RECOGNISE = False

    @staticmethod
    def finalize(settings: dict) -> None:
        """Throwaway file store and index folders unless the caller gave its own."""
        _check_hosts(settings)
        _finish_shared(settings)
        if not settings.get("ARCHIVE_STORAGE"):
            settings["ARCHIVE_STORAGE"] = _throwaway_folder("secretariat-files-")
        if not settings.get("ARCHIVE_INDEX"):
            settings["ARCHIVE_INDEX"] = _throwaway_folder("secretariat-index-")


def _throwaway_folder(prefix: str) -> str:
    """A temporary folder, removed when the process that made it exits (a suite left about fourteen).

    Only by that process: a forked child (a gunicorn worker) that exits must not take the folder
    from its parent and siblings.
    """
    path = tempfile.mkdtemp(prefix=prefix)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


class ProductionConfig(Config):
    """Production: refuses to start without a real secret key or public address, or with debug on."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    HSTS = True
    AUDIT_HMAC_KEY_EXPECTED = True
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "pool_size": _env_int("DATABASE_POOL_SIZE", 10),
        "max_overflow": _env_int("DATABASE_MAX_OVERFLOW", 5),
    }

    @staticmethod
    def finalize(settings: dict) -> None:
        """Refuse unsafe settings: a missing or toy secret key, debug mode, no https public address."""
        key = settings.get("SECRET_KEY") or ""
        if len(key) < 32 or key.lower() in {"changeme", "secret", "dev", "development"}:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters")
        if settings.get("DEBUG") or _env_bool("FLASK_DEBUG"):
            raise RuntimeError("Refusing to run the production configuration with debug on")
        _check_hosts(settings, require_https=True)
        _finish_shared(settings)
        for old in settings["SECRET_KEY_FALLBACKS"]:
            if len(old) < 32:
                raise RuntimeError("every key in SECRET_KEY_FALLBACKS must be at least 32 characters")
        if settings.get("TRUSTED_HOSTS") is None:
            # Only the public name: a request for any other host is refused before any view runs.
            settings["TRUSTED_HOSTS"] = [urlsplit(settings["EXTERNAL_BASE_URL"]).hostname]


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
