"""Point-in-time recovery of PostgreSQL, as docs/deployment.md ("Point-in-time recovery") describes:
WAL archiving, a base backup, a mistake, and a restore to the moment just before it.

The machine's PostgreSQL is shared, so the test makes a private cluster (initdb in a temporary folder,
as the ``postgres`` user when run as root). It needs the server binaries, not TEST_DATABASE_URL;
skipped where they are missing, unless REQUIRE_POSTGRES=1 makes that a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess  # nosec B404
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ops.redis_server import free_port
from tests.reliability.conftest import wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Server:
    """A throwaway PostgreSQL with WAL archiving into ``archive/``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.archive = folder / "archive"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603  # nosec B603
            [*self.as_postgres, *map(str, command)], check=True, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        self.run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")
        self.run("mkdir", "-p", self.archive)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# docs/deployment.md, Point-in-time recovery\n"
                "wal_level = replica\n"
                "archive_mode = on\n"
                f"archive_command = 'test ! -f {self.archive}/%f && cp %p {self.archive}/%f'\n"
            )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.run(PG_BIN / "pg_ctl", "start", "-D", self.data, "-w", "-l", self.folder / "log", "-o", options)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run(PG_BIN / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w")

    def engine(self, database: str = "postgres") -> sa.Engine:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def sql(self, statement: str, database: str = "secretariat"):
        engine = self.engine(database)
        try:
            with engine.connect() as conn:
                result = conn.execute(sa.text(statement))
                return result.all() if result.returns_rows else None
        finally:
            engine.dispose()


@pytest.fixture
def server():
    if not (PG_BIN / "initdb").exists():
        message = f"PostgreSQL server binaries not found in {PG_BIN}"
        pytest.fail(message) if os.environ.get("REQUIRE_POSTGRES") == "1" else pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="pitr-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    instance = Server(folder)
    instance.init()
    instance.start()
    yield instance
    instance.stop()
    shutil.rmtree(folder, ignore_errors=True)


def archived(server: Server, wal: str) -> bool:
    return (server.archive / wal).exists()


def test_restore_to_the_moment_before_a_mistake(server):
    server.sql("CREATE DATABASE secretariat", database="postgres")
    server.sql("CREATE TABLE records (id serial PRIMARY KEY, title text NOT NULL)")
    server.sql("INSERT INTO records (title) VALUES ('Chair''s Statement of ASEM13')")
    # The nightly base backup, taken while the application runs.
    base = server.folder / "base"
    server.run(
        PG_BIN / "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        server.port,
        "-U",
        "postgres",
        "-D",
        base,
        "--checkpoint=fast",
    )
    server.sql("INSERT INTO records (title) VALUES ('Minutes of SOM-R, filed after the backup')")
    (target,) = server.sql("SELECT clock_timestamp()")[0]
    server.sql("DELETE FROM records")  # the mistake, after the target time
    (wal,) = server.sql("SELECT pg_walfile_name(pg_switch_wal())")[0]
    wait_until(lambda: archived(server, wal), 60, f"WAL segment {wal} was not archived")
    server.stop()

    # The restore: the base backup in place of the data folder, the archive to replay, a target time.
    shutil.rmtree(server.data)
    server.run("cp", "-a", base, server.data)
    with (server.data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"restore_command = 'cp {server.archive}/%f %p'\n"
            f"recovery_target_time = '{target.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
    server.run("touch", server.data / "recovery.signal")
    server.start()
    wait_until(lambda: server.sql("SELECT pg_is_in_recovery()") == [(False,)], 60, "recovery did not end")
    titles = [title for (title,) in server.sql("SELECT title FROM records ORDER BY id")]
    assert titles == ["Chair's Statement of ASEM13", "Minutes of SOM-R, filed after the backup"]
    server.sql("INSERT INTO records (title) VALUES ('written after the recovery')")  # a primary again
