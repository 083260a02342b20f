"""Migrations: empty database → head → base → head on both databases; models match the schema."""

import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from secretariat import create_app
from secretariat.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new, empty database of the same kind as the suite's."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


#: the indexes on expressions (lower-case keys), which compare_metadata does not compare on SQLite
EXPRESSION_INDEXES = {"ix_meetings_code_lower", "ix_meetings_city_lower"}


def not_an_expression_index(obj, name, type_, _reflected, _compare_to) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def index_names(engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    )
    with engine.connect() as conn:
        return set(conn.exec_driver_sql(query).scalars())


def test_upgrade_downgrade_upgrade_and_models_match(empty_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        assert tables(db.engine) == set(db.metadata.tables)
        downgrade(revision="base")
        assert tables(db.engine) == set()
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            # Indexes on expressions are left out of the comparison and checked by name below: SQLite's
            # reflection skips them, and the models declare one per dialect (ddl_if), which the
            # comparison does not tell apart.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            opts = {"compare_type": True, "include_object": not_an_expression_index}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        assert diff == [], diff
        assert index_names(db.engine) >= EXPRESSION_INDEXES
        head = db.session.execute(sa.text("SELECT seq, last_hash FROM audit_head")).one()
        assert head == (0, "0" * 64)
        db.engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_migration_files_are_date_prefixed():
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names and all(name[:8].isdigit() and name[8] == "_" for name in names), names
