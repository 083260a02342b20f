"""PostgreSQL restarted under traffic: the application recovers by itself, without a gunicorn restart.

The machine's PostgreSQL is shared, so the test starts a private cluster (initdb into a temporary
folder, pg_ctl on a free port; as root both run as the ``postgres`` user), serves an instance on it
with two gunicorn workers, drives reads and writes from four signed-in officials, and restarts the
cluster with ``pg_ctl restart -m fast``. Requests in flight during the restart may fail, but only
with the generic error page (500) or 503, never with a trace or a driver's message; every request
started after the restart has returned succeeds (pool_pre_ping replaces the dead connections).

It needs the PostgreSQL server binaries, not TEST_DATABASE_URL, so it runs in both CI passes; it is
skipped where the binaries are missing, unless REQUIRE_POSTGRES=1 makes that a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.reliability.conftest import free_port, wait_until
from tests.reliability.threads import Drivers
from tests.reliability.web import Browser, pick_form, replace

PG_BIN = Path("/usr/lib/postgresql/15/bin")
THREADS = 4


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 that only this test uses."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="reliability-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self.run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")
        self.pg_ctl("start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/secretariat"
        admin = sa.create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE secretariat"))
        admin.dispose()

    def run(self, *command) -> None:
        subprocess.run([*self.as_postgres, *map(str, command)], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(PG_BIN / "pg_ctl", action, "-D", self.data, "-w", "-l", self.folder / "log", "-o", options, *extra)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run(PG_BIN / "pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)


def problems(answer) -> list[str]:
    """A failure must be the generic error page; no answer may show a trace or the driver's words."""
    generic = answer.status < 500 or "Something went wrong" in answer.text
    wrong = [] if generic else [f"{answer.status} without the generic error page: {answer.text[:300]!r}"]
    return answer.leaks() + wrong


@pytest.fixture
def cluster():
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but the PostgreSQL server binaries are not in {PG_BIN}")
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    cluster = Cluster()
    yield cluster
    cluster.remove()


def test_the_app_recovers_from_a_database_restart_without_a_restart_of_its_own(cluster, instance_factory, serve):
    instance = instance_factory(coordinators=0, officials=THREADS, database_url=cluster.url)
    server = serve(instance)
    initiative = instance.data["initiative_id"]
    stop = threading.Event()
    log: list[tuple[float, float, int, list[str]]] = []  # (started, ended, status, what is wrong with the answer)
    acknowledged: list[str] = []

    def drive(n: int) -> None:
        person = instance.data["officials"][n]
        browser = Browser(server.base, timeout=30)
        browser.sign_in(person["email"], instance.data["password"])
        k = 0
        while not stop.is_set():
            k += 1
            started = time.monotonic()
            page = browser.get(f"/programme/initiatives/{initiative}")
            log.append((started, time.monotonic(), page.status, problems(page)))
            if page.status != 200:
                continue
            action, fields = pick_form(page.text, "/comments", "")
            text = f"comment {n}-{k}"
            started = time.monotonic()
            answer = browser.post(action, replace(fields, text=text))
            log.append((started, time.monotonic(), answer.status, problems(answer)))
            if answer.status == 302:
                acknowledged.append(text)

    # Any exception in a client (a truncated answer, a reset connection) fails the test: it is not a clean failure.
    drivers = Drivers()
    for n in range(THREADS):
        drivers.start(drive, n)
    try:
        wait_until(lambda: drivers.check() or sum(1 for e in log if e[2] in (200, 302)) >= 20, 60, "no traffic")
        began = time.monotonic()
        cluster.pg_ctl("restart", "-m", "fast")
        ended = time.monotonic()
        wait_until(lambda: drivers.check() or sum(1 for e in log if e[0] > ended) >= 40, 60, "no traffic after")
    finally:
        stop.set()
    drivers.join(60)

    # Requests that overlapped the restart may fail (cleanly); the others must not.
    counts = {
        "before": [e[2] for e in log if e[1] < began],
        "during": [e[2] for e in log if e[1] >= began and e[0] <= ended],
        "after": [e[2] for e in log if e[0] > ended],
    }
    restart_seconds = ended - began
    print(
        f"\nPostgreSQL restart ({restart_seconds:.1f} s) under {THREADS} clients: "
        + ", ".join(f"{p}: {len(s)} requests, {sum(x >= 500 for x in s)} failed" for p, s in counts.items())
    )
    assert [e for e in log if e[3]] == []
    assert all(status in (200, 302, 500, 503) for status in counts["during"]), counts["during"]
    assert counts["before"] and all(status in (200, 302) for status in counts["before"]), counts["before"]
    assert all(status in (200, 302) for status in counts["after"]), counts["after"]
    assert server.process.poll() is None
    stored = {r[0] for r in instance.rows("SELECT text_source FROM programme_comments")}
    assert set(acknowledged) <= stored
