"""The ASEM Virtual Secretariat: application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from secretariat.settings import CONFIGS, INSTANCE_DIR, MIGRATIONS_DIR, TEMPLATES_DIR


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application for ``config_name`` (development, testing or production)."""
    name = config_name or os.environ.get("SECRETARIAT_CONFIG", "development")
    config_class = CONFIGS[name]
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    config_class.finalize(app.config)
    from secretariat.ops import logs

    logs.configure(app)
    from secretariat import trusted_hosts

    trusted_hosts.init_app(app)  # inside ProxyFix: the host it checks is the one a trusted proxy forwards
    from secretariat.audit import keys as audit_keys

    audit_keys.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    register_extensions(app)
    # Ids in URLs fit the database's integers: /records/99999999999999999999 is a 404, not an overflow.
    app.url_map.converters["int"] = BoundedIntConverter
    register_blueprints(app)
    from secretariat import errors, external_links, request_guard, security_headers
    from secretariat.auth import access
    from secretariat.core import filters

    access.init_app(app)
    request_guard.init_app(app)
    filters.init_app(app)
    security_headers.init_app(app)
    external_links.init_app(app)
    errors.init_app(app)
    logs.init_app(app)  # last, so its before-request hook is the very first to run
    register_commands(app)
    return app


class BoundedIntConverter(IntegerConverter):
    """The default <int:...> converter, limited to positive 32-bit values."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def register_extensions(app: Flask) -> None:
    from secretariat.database import configure_engine, discard_sessions_quietly, end_reads_with_commit
    from secretariat.extensions import cache, csrf, db, limiter, login_manager, migrate

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("postgresql"):
        # The connection used last is handed out first: its prepared statements are reused by the next
        # request (a FIFO pool that grew once spreads requests over all its connections, none reaching
        # psycopg's fifth use), and the connections left idle can be closed by the server.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_use_lifo": True}
    if uri.startswith("postgresql") and app.config["DATABASE_PREPARE_THRESHOLD"].strip().lower() == "none":
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": {"prepare_threshold": None}}
    db.init_app(app)
    cache.init_app(app)
    discard_sessions_quietly(app, db)
    end_reads_with_commit(app, db)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from secretariat import notify
    from secretariat.admin.views import bp as admin_bp
    from secretariat.agenda.views import bp as agenda_bp
    from secretariat.archive import filing
    from secretariat.archive.search import indexing
    from secretariat.archive.views import bp as archive_bp
    from secretariat.audit import views as audit_views
    from secretariat.auth.views import bp as auth_bp
    from secretariat.core.views import bp as core_bp
    from secretariat.notify import views as notify_views
    from secretariat.programme.views import bp as programme_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(agenda_bp, url_prefix="/meetings")
    app.register_blueprint(programme_bp, url_prefix="/programme")
    app.register_blueprint(archive_bp, url_prefix="/archive")
    app.register_blueprint(notify_views.bp)
    audit_views.init_app(app)
    filing.connect()
    notify.connect()
    indexing.init_app(app)


def register_commands(app: Flask) -> None:
    from secretariat.commands import register

    register(app)
