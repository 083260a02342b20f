"""A second, empty instance to restore into: another SQLite file or another PostgreSQL database,
with its own file store and search index."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from secretariat import create_app, database_url
from secretariat.extensions import db
from tests.factories import Client


@pytest.fixture
def empty_instance(database_url: str, tmp_path):
    """A fresh instance with no schema at all; on PostgreSQL a database created and dropped here."""
    url = make_url(database_url)
    server = None
    if url.get_backend_name() == "postgresql":
        name = f"{url.database}_restore"
        server = sa.create_engine(
            database_url_for(url.set(database="postgres")), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        target = url.set(database=name).render_as_string(hide_password=False)
    else:
        target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    instance = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": target,
            "ARCHIVE_STORAGE": str(tmp_path / "restored-files"),
            "ARCHIVE_INDEX": str(tmp_path / "restored-index"),
        },
    )
    instance.test_client_class = Client
    yield instance
    with instance.app_context():
        db.session.remove()
        db.engine.dispose()
    if server is not None:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def database_url_for(url) -> str:
    return database_url(url.render_as_string(hide_password=False))
