"""Connection settings that must hold on every database connection."""

from flask import request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15000


def configure_engine(engine: Engine) -> None:
    """Turn on WAL, foreign keys and a busy timeout for each new SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def discard_sessions_quietly(app, db) -> None:
    """End each request's session without letting a dead connection's failed rollback escape Flask.

    Flask-SQLAlchemy's own teardown closes the session, which rolls back the open transaction; when
    PostgreSQL restarted after the request's last query, that rollback raises on the dead connection.
    Raised in a teardown, the error escapes Flask after the response's status and headers were given
    to gunicorn, which then appends the error page's headers to them: the client got two
    Content-Length headers and a body cut short (IncompleteRead in tests/reliability). The
    connection is already invalidated by then, so the request's own answer stands.
    """

    @app.teardown_appcontext  # registered after db.init_app, so it runs before Flask-SQLAlchemy's
    def remove_session(_exc) -> None:
        try:
            db.session.remove()
        except Exception:
            app.logger.warning("closing the request's database session failed; it is discarded", exc_info=True)
            db.session.registry.clear()  # a failed close leaves it registered for this worker's next request


def end_reads_with_commit(app, db) -> None:
    """End a successful GET's transaction with COMMIT rather than the session's ROLLBACK.

    The same for the data: GET and HEAD change nothing here (every change is a POST, and code that
    writes commits its own work), and a read-only transaction commits as it rolls back. Not the
    same for speed on PostgreSQL: psycopg forgets its prepared statements at every rollback, so a
    statement never reached its fifth use in a connection and every query of every request was
    planned anew (0.2-1 ms each here; EXPLAIN ANALYZE of the record page: 0.02-0.1 ms to run,
    0.2-1.0 ms to plan). Only when the session holds no unflushed change, so nothing the ORM was
    asked to keep is written by accident; if the commit fails (the database went away), the
    answer stands and the session is discarded as at any other request's end.
    """

    @app.after_request
    def commit_reads(response):
        if request.method not in ("GET", "HEAD") or response.status_code >= 400:
            return response
        session = db.session()  # this request's session, not the registry
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return response
        try:
            session.commit()
        except Exception:
            app.logger.warning("ending a read's transaction failed; the session is discarded", exc_info=True)
        return response
