"""A successful GET ends its transaction with COMMIT (secretariat/database.py:end_reads_with_commit).

For the data it must be the same as the rollback it replaces: a GET's pending changes are never
written, a failed GET and every POST keep their own handling. For PostgreSQL it must keep psycopg's
prepared statements alive from one request to the next (a rollback drops them, and every query was
planned anew: 0.2-1 ms each).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from secretariat.database import end_reads_with_commit
from secretariat.extensions import db


class _Base(DeclarativeBase):
    pass


def _small_app(tmp_path):
    """An app with one table and routes that leave a transaction in every state a view can."""
    app = Flask("reads")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'reads.sqlite'}"
    store = SQLAlchemy(model_class=_Base)

    class Note(store.Model):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str]

    store.init_app(app)
    end_reads_with_commit(app, store)

    @app.get("/read")
    def read():
        return str(store.session.scalar(sa.select(sa.func.count()).select_from(Note)))

    @app.get("/pending")
    def pending():  # a change made but neither flushed nor committed
        store.session.get(Note, 1).text = "changed by a GET"
        store.session.add(Note(id=2, text="added by a GET"))
        return "ok"

    @app.get("/failing")
    def failing():  # flushed, then the view answers with an error
        store.session.add(Note(id=3, text="flushed by a failing GET"))
        store.session.flush()
        return "refused", 409

    @app.post("/posted")
    def posted():  # a POST that flushed but did not commit: rolled back as before
        store.session.add(Note(id=4, text="flushed by a POST"))
        store.session.flush()
        return "ok"

    with app.app_context():
        store.create_all()
        store.session.add(Note(id=1, text="original"))
        store.session.commit()
    return app, store, Note


def test_a_get_never_writes_what_it_left_pending_and_errors_and_posts_still_roll_back(tmp_path):
    app, store, note = _small_app(tmp_path)
    client = app.test_client()
    assert client.get("/read").get_data(as_text=True) == "1"
    assert client.get("/pending").status_code == 200
    assert client.get("/failing").status_code == 409
    assert client.post("/posted").status_code == 200
    with app.app_context():
        rows = dict(store.session.execute(sa.select(note.id, note.text)).all())
    assert rows == {1: "original"}


def test_postgresql_keeps_prepared_statements_from_one_request_to_the_next(app, client, login_as):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    used = set()

    def remember(conn, *_args):
        used.add(conn.connection.driver_connection)

    login_as("official")
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        for _ in range(8):  # psycopg prepares a statement at its fifth use in a connection
            assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    prepared = 0
    for connection in used:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%user_sessions%'")
            prepared += cursor.fetchone()[0]
        connection.commit()
    assert prepared >= 1, "the session lookup was never prepared: each request planned it again"


def test_prepared_statements_can_be_turned_off_for_pgbouncer(app):
    """DATABASE_PREPARE_THRESHOLD=none (docs/deployment.md): no statement is ever prepared."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    from secretariat import create_app

    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": str(db.engine.url.render_as_string(hide_password=False)),
            "DATABASE_PREPARE_THRESHOLD": "none",
        },
    )
    with other.app_context():
        engine = db.engine
        with engine.connect() as connection:
            for _ in range(8):
                connection.execute(sa.text("SELECT count(*) FROM partners")).scalar()
            raw = connection.connection.driver_connection
            assert raw.prepare_threshold is None
            prepared = connection.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        engine.dispose()
    assert prepared == 0
