"""Backups that restore: an instance filled through the application is backed up while it runs,
restored into a fresh empty instance, and proven equal (rows, file hashes, audit chain, downloads)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from secretariat.archive import services as archive
from secretariat.archive.models import RecordFile
from secretariat.extensions import db
from secretariat.ops import facts
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import PNG_1PX, docx, file_record, pdf
from tests.factories import make_user
from tests.programme.helpers import make_initiative

REPORT = {"period_start": "2026-01-01", "period_end": "2026-06-30", "text": "Two workshops held in Bangkok."}


def fill(client) -> dict:
    """Users, a meeting whose agenda has frozen versions, an initiative with a progress report,
    and archive records with files: through the services and, for the report, through the web."""
    coordinator = make_user("coordinator", partner_code="EU")
    official = make_user("official", partner_code="TH")
    make_user("admin", partner_code="EU")
    make_user("observer", partner_code="JP")

    meeting = make_meeting(coordinator)
    opening = add(meeting, coordinator, "Opening of the meeting")
    add(meeting, coordinator, "Welcome by the chair", parent=opening)
    set_status(meeting, coordinator, "drafting", "circulated")
    add(meeting, coordinator, "Connectivity", duration_minutes=45)
    set_status(meeting, coordinator, "circulated", "adopted")

    initiative = make_initiative(coordinator, "ASEM-ECO-700", lead="TH", co=["DE"], status="ongoing")
    assert client.login(official.email).status_code == 302
    response = client.submit(f"/programme/initiatives/{initiative.id}/reports/new", REPORT)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

    statement = file_record(
        coordinator,
        "Chair's Statement of ASEM13",
        files=[("statement.pdf", pdf("Phnom Penh")), ("annex.docx", docx("Annex on connectivity"))],
        partners=["KH"],
    )
    file_record(coordinator, "Family photo", record_type="presentation", files=[("photo.png", PNG_1PX)])
    file_record(coordinator, "Letter of the chair", record_date=date(2022, 1, 10), files=[("l.txt", b"Dear all")])
    # Plain values: ORM objects of this instance must not be touched inside the restored one's context.
    return {"coordinator": coordinator.email, "statement": statement.id}


def database_facts(app) -> tuple[dict, list[str]]:
    with app.app_context(), db.engine.connect() as conn:
        return facts.describe(conn), facts.blob_hashes(conn)


def test_backup_restores_into_an_empty_instance_with_everything_verified(app, client, runner, empty_instance, tmp_path):
    filled = fill(client)
    statement_file = db.session.scalars(sa.select(RecordFile).where(RecordFile.filename == "statement.pdf")).one()
    original_bytes = archive.files.read(statement_file.blob_sha256)
    download_url = f"/archive/records/{filled['statement']}/versions/1/files/{statement_file.id}"
    before, blobs_before = database_facts(app)

    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700  # owner only: it holds every secret hash
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["row_counts"] == before["row_counts"]
    assert manifest["row_counts"]["agenda_versions"] == 3 and manifest["row_counts"]["progress_reports"] == 1
    assert manifest["audit"] == before["audit"] and manifest["audit"]["entries"] > 10
    assert manifest["alembic_revision"] == before["alembic_revision"]
    assert sorted(p.rsplit("/", 1)[-1] for p in manifest["files"] if p.startswith("files/")) == blobs_before
    assert len(blobs_before) >= 5  # four uploads plus the agenda versions and report filed in the archive

    with empty_instance.app_context():
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        assert "Verified: row counts, file hashes and the audit chain match the backup." in result.output

        after, blobs_after = database_facts(empty_instance)
        assert after == before and blobs_after == blobs_before
        for sha in blobs_after:
            assert archive.files.hash_of_stored(sha) == sha
        verify = empty_instance.test_cli_runner().invoke(args=["audit", "verify"])
        assert verify.exit_code == 0 and f"{before['audit']['entries']} entries verified" in verify.output

        # The restored instance serves the same bytes to a signed-in user, and finds the record by search.
        restored_client = empty_instance.test_client()
        assert restored_client.login(filled["coordinator"]).status_code == 302
        download = restored_client.get(download_url)
        assert download.status_code == 200 and download.data == original_bytes
        assert "Chair&#39;s Statement of ASEM13" in restored_client.get("/archive/?q=Phnom").get_data(as_text=True)


@pytest.mark.parametrize("damage", ["a stored file", "the database"])
def test_a_tampered_backup_is_not_restored(app, client, runner, empty_instance, tmp_path, damage):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Chair's Statement", files=[("s.pdf", pdf("Seoul"))])
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    name = (
        next(p for p in manifest["files"] if p.startswith("files/")) if damage == "a stored file" else "database.sqlite"
    )
    name = manifest["database"]["file"] if damage == "the database" else name
    with (tmp_path / "backup" / name).open("r+b") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 1]))

    with empty_instance.app_context():
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code != 0
        assert "the backup is damaged; nothing was restored" in result.output
        assert f"{name}: content does not match the manifest" in result.output
        with db.engine.connect() as conn:
            assert facts.table_names(conn) == []  # the target was not touched
        assert not (tmp_path / "restored-files").exists()


def test_a_restore_that_does_not_match_the_manifest_exits_non_zero(app, runner, empty_instance, tmp_path):
    make_user("official")
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["row_counts"]["users"] += 1  # as if a user had been lost between backup and restore
    path.write_text(json.dumps(manifest))

    with empty_instance.app_context():
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert "MISMATCH: table users: 1 rows, the backup had 2" in result.output
    assert "Restore verification FAILED" in result.output


def test_restore_into_an_instance_with_data_is_refused(app, runner, tmp_path):
    make_user("official")
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    users = facts.row_counts(db.session.connection())["users"]

    result = runner.invoke(args=["restore", str(tmp_path / "backup")])  # into the instance itself
    assert result.exit_code != 0
    assert "the target database is not empty: " in result.output and "users (1)" in result.output
    assert facts.row_counts(db.session.connection())["users"] == users


def test_restore_into_a_non_empty_file_store_is_refused(app, runner, empty_instance, tmp_path):
    make_user("official")
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    stray = tmp_path / "restored-files" / "ab" / "cd" / "leftover"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"from an earlier instance")

    with empty_instance.app_context():
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
    assert result.exit_code != 0
    assert "file store" in result.output and "is not empty" in result.output


def test_backup_refuses_a_folder_that_is_not_empty(app, runner, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")
    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code != 0 and "not an empty folder" in result.output
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["notes.txt"]


def test_restore_refuses_a_folder_that_is_not_a_backup(app, runner, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    result = runner.invoke(args=["restore", str(tmp_path / "elsewhere")])
    assert result.exit_code != 0 and "has no manifest.json" in result.output


def test_restore_into_a_freshly_migrated_instance(app, runner, empty_instance, tmp_path):
    """The usual way: `flask db upgrade` on the new server, then restore into its empty tables."""
    from flask_migrate import upgrade

    make_user("official")
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    before, _ = database_facts(app)

    with empty_instance.app_context():
        upgrade()
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
    after, _ = database_facts(empty_instance)
    assert after == before


def test_a_restored_postgresql_database_has_planner_statistics(app, runner, empty_instance, tmp_path):
    """A dump holds none: without ANALYZE the planner guesses until autovacuum runs (never where it is off),
    and without VACUUM it reads table pages where an index alone would do."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statistics (SQLite's backup copies sqlite_stat1 with the tables)")
    make_user("official")
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    with empty_instance.app_context():
        result = empty_instance.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        with db.engine.connect() as conn:
            done = conn.execute(
                sa.text(
                    "SELECT relname, last_analyze, last_vacuum FROM pg_stat_user_tables"
                    " WHERE relname IN ('users', 'records')"
                )
            ).all()
    assert {name for name, _, _ in done} == {"users", "records"}
    assert all(analyzed is not None and vacuumed is not None for _, analyzed, vacuumed in done), done


def test_a_failed_backup_leaves_nothing_behind(app, runner, tmp_path):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Chair's Statement", files=[("s.pdf", pdf("Hanoi"))])
    storage = app.config["ARCHIVE_STORAGE"]
    app.config["ARCHIVE_STORAGE"] = str(tmp_path / "elsewhere")  # the stored bytes cannot be found
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    finally:
        app.config["ARCHIVE_STORAGE"] = storage
    assert result.exit_code != 0 and "is missing; run `flask archive verify`" in result.output
    assert not (tmp_path / "backup").exists()


def test_pg_dump_reaches_the_database_over_the_socket_the_url_names(app, tmp_path):
    """DATABASE_URL=postgresql://user@/db?host=/socket/folder&port=N, as psycopg takes it: the backup's
    pg_dump must connect there too, not to libpq's default socket (perhaps another server's)."""
    import os
    import subprocess
    from pathlib import Path

    from secretariat.ops.backup import PG_DUMP

    socket = Path("/var/run/postgresql/.s.PGSQL.5432")
    if db.engine.dialect.name != "postgresql" or not socket.exists():
        pytest.skip("PostgreSQL over its Unix socket")
    folder = tmp_path / "sockets"
    folder.mkdir()
    (folder / ".s.PGSQL.6543").symlink_to(socket)  # the same server, found only through this folder
    here = db.engine.url
    url = sa.engine.URL.create(
        here.drivername, username=here.username, database=here.database, query={"host": str(folder), "port": "6543"}
    )
    args, env = facts.pg_command_parts(url)
    assert args[:4] == ["--host", str(folder), "--port", "6543"]
    # libpq's defaults point nowhere: only the arguments can lead pg_dump to the database.
    result = subprocess.run(  # noqa: S603 (fixed program)
        [PG_DUMP, "--schema-only", *args],
        env={**os.environ, "PGHOST": str(tmp_path / "nowhere"), "PGPORT": "1", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE public.records" in result.stdout
