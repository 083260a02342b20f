"""/healthz says the process is up; /readyz says whether this instance may take traffic, and why
not only in the log."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from secretariat import create_app
from secretariat.extensions import db
from secretariat.ops import readiness

UNAVAILABLE = {"status": "unavailable"}


def test_a_ready_instance(client):
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ready"}
    assert response.headers["Cache-Control"] == alive.headers["Cache-Control"] == "no-store"


def test_readyz_writes_nothing(app, client, tmp_path):
    """Called every few seconds by every balancer: no file made, no row written, not even a folder."""
    from secretariat.auth.models import UserSession
    from tests.factories import make_user

    make_user()
    storage, kept = tmp_path / "files", app.config["ARCHIVE_STORAGE"]
    app.config["ARCHIVE_STORAGE"] = str(storage)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
        app.config["ARCHIVE_STORAGE"] = kept
    assert not storage.exists() and list(tmp_path.iterdir()) == []
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_unreachable_database_is_not_ready_but_alive(tmp_path, caplog):
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    down = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql://postgres:pw-never-logged@127.0.0.1:1/nothing",
            "ARCHIVE_STORAGE": str(tmp_path / "files"),
        },
    )
    client = down.test_client()
    assert client.get("/healthz").status_code == 200
    with caplog.at_level(logging.ERROR):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json == UNAVAILABLE
    assert "database unreachable" in caplog.text
    assert "pw-never-logged" not in caplog.text


def test_migrations_behind_the_release_are_not_ready(empty_instance):
    client = empty_instance.test_client()
    with empty_instance.app_context():
        head = sorted(readiness.migration_heads())[0]
        previous = ScriptDirectory(empty_instance.extensions["migrate"].directory).get_revision(head).down_revision
        assert client.get("/readyz").status_code == 503  # a new database nobody migrated
        upgrade(revision=previous)
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json == UNAVAILABLE  # one release behind
        upgrade()
        assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_unwritable_file_store_is_not_ready(app, client, tmp_path, caplog):
    # Tests run as root, for whom permissions do not stop a write: a path through a regular file does.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    storage = app.config["ARCHIVE_STORAGE"]
    app.config["ARCHIVE_STORAGE"] = str(blocker / "archive-files")
    try:
        with caplog.at_level(logging.ERROR):
            response = client.get("/readyz")
    finally:
        app.config["ARCHIVE_STORAGE"] = storage
    assert response.status_code == 503 and response.json == UNAVAILABLE
    assert "file store not writable" in caplog.text
    assert str(blocker) not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_answer_anonymous_get_only(client, url):
    assert client.post(url).status_code in (400, 405)


def test_a_newer_release_migrating_leaves_this_one_serving(empty_instance):
    """Rolling upgrade: the new release's migration has run; the servers still on this release keep
    answering (degraded, in the log), since migrations are written for the previous release."""
    client = empty_instance.test_client()
    with empty_instance.app_context():
        upgrade()
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedf00d'"))
        db.session.commit()
        response = client.get("/readyz")
        assert response.status_code == 200 and response.json == {"status": "degraded"}
        assert "newer than this release" in readiness.check().degraded[0]
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("lag", "status", "answer"),
    [(0, 200, "ready"), (500, 200, "ready"), (501, 503, "unavailable"), (None, 200, "ready")],
)
def test_a_search_index_far_behind_is_not_ready(app, client, monkeypatch, lag, status, answer):
    """The index's lag (search/indexing.index_lag, the per-host index's) against READINESS_MAX_INDEX_LAG."""
    from secretariat.archive.search import indexing

    monkeypatch.setattr(indexing, "index_lag", lambda: lag, raising=False)
    monkeypatch.setitem(app.config, "READINESS_MAX_INDEX_LAG", 500)
    response = client.get("/readyz")
    assert response.status_code == status and response.json == {"status": answer}


def test_an_index_that_cannot_tell_its_lag_is_not_ready(app, client, monkeypatch):
    from secretariat.archive.search import indexing

    def broken():
        raise OSError("index folder gone")

    monkeypatch.setattr(indexing, "index_lag", broken, raising=False)
    response = client.get("/readyz")
    assert response.status_code == 503 and "index folder" not in response.get_data(as_text=True)
