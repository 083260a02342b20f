"""Test fixtures: a real database (SQLite file by default, PostgreSQL with TEST_DATABASE_URL),
the schema built by the migrations, every test starting from empty tables (partners kept)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from secretariat import create_app
from secretariat.audit.services import GENESIS_HASH
from secretariat.auth.models import Role, User
from secretariat.extensions import db
from tests.factories import Client, make_user

#: tables whose rows survive between tests (loaded once per run)
KEPT_TABLES = {"partners", "alembic_version"}


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.exit("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set", returncode=3)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _reset_schema(engine: sa.Engine) -> None:
    """Drop everything so the migrations start from an empty database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        meta = sa.MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    from secretariat import seed

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ARCHIVE_STORAGE": str(tmp_path_factory.mktemp("archive-files")),
            "ARCHIVE_INDEX": str(tmp_path_factory.mktemp("search-index")),
        },
    )
    app.test_client_class = Client
    with app.app_context():
        try:
            _reset_schema(db.engine)
        except sa.exc.OperationalError as exc:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.exit(f"PostgreSQL required but not reachable: {exc}", returncode=3)
            raise
        upgrade()
        seed.seed_partners()
        db.session.commit()
        # As every test's teardown leaves it: otherwise the first test of a run to search finds an
        # index just started (engine.NEW_MARK) and counts the archive, and run alone it fails.
        _empty_archive()
    return app


def _empty_tables() -> None:
    """DELETE every row (children first); on small tables this is much faster than TRUNCATE on PostgreSQL."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    db.session.execute(sa.text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH})
    db.session.commit()
    _empty_archive()


def _empty_archive() -> None:
    """Stored files and the search index start empty too."""
    from flask import current_app

    from secretariat.archive.search import engine, folders, indexing, pairs

    index = engine.get_index()
    index.reload()
    if index.searcher().num_docs:
        engine.delete_all(index)
    (engine.folder_of(index) / pairs.FILE_NAME).unlink(missing_ok=True)
    folders.forget_applied(engine.folder_of(index))  # as a new index; the sync finds the archive empty:
    indexing.sync()  # an empty archive's complete index, registered (tests that need a new one forget it)
    storage = Path(current_app.config["ARCHIVE_STORAGE"])
    if storage.exists():
        shutil.rmtree(storage)


@pytest.fixture
def app(_app):
    """The application inside an app context, on empty tables (the 53 partners are there)."""
    with _app.app_context():
        yield _app
        db.session.remove()
        _empty_tables()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Create a user of a role and sign the test client in as them."""

    def _login(role: str | Role = Role.OFFICIAL, **kwargs) -> User:
        user = make_user(role, **kwargs)
        response = client.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture(name="db")
def db_fixture(app):
    """The Flask-SQLAlchemy handle, bound to the test's app context."""
    return db
