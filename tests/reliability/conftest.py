"""The reliability suite: the application under gunicorn on 127.0.0.1, pushed with concurrency and faults.

An instance is a fresh SQLite file in a temporary folder, or, when TEST_DATABASE_URL is set, a fresh
PostgreSQL database created beside that one (and dropped afterwards), so that the suite runs on the
pass's database without touching the shared test database. It is migrated with ``flask db upgrade``
and filled by ``provision.py``. The tests share one instance where they can (building one takes
seconds on two busy cores) and each starts its own gunicorn on it, with two sync workers as
``make run`` does; the PostgreSQL restart test builds its own on a private cluster.

Which pass runs what: the SQLite-writers test only the SQLite pass; the PostgreSQL-restart test both
passes (it needs the server binaries, not TEST_DATABASE_URL); the others both, on the pass's database.
Waits poll a condition with a deadline (``wait_until``); nothing sleeps to let the server catch up.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from secretariat import database_url as driver_url

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout: float, message: str, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail with ``message`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Instance:
    """A migrated, provisioned instance: its folder, database and the people and objects in it."""

    root: Path
    database_url: str
    env: dict[str, str]
    data: dict = field(default_factory=dict)
    _engine: sa.Engine | None = None
    _pools: dict = field(default_factory=dict)

    def take(self, role: str, n: int) -> list[dict]:
        """``n`` accounts of a role ("coordinators", "officials") that no other test has signed in with:
        a TOTP code is accepted once per 30-second step and person, so tests sharing an instance never
        share a coordinator."""
        pool = self._pools.setdefault(role, iter(self.data[role]))
        return [next(pool) for _ in range(n)]

    @property
    def storage(self) -> Path:
        return self.root / "instance" / "archive-files"

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    @property
    def engine(self) -> sa.Engine:
        """The test's own connection to the database, to check what was really stored."""
        if self._engine is None:
            self._engine = sa.create_engine(driver_url(self.database_url), poolclass=sa.pool.NullPool)
        return self._engine

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))


def make_instance(root: Path, database_url: str, coordinators: int, officials: int) -> Instance:
    (root / "instance").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SECRETARIAT_INSTANCE": str(root / "instance"),
        "SECRETARIAT_CONFIG": "development",
        "DATABASE_URL": database_url,
        # Twenty people sign in within seconds from one address; the real ceiling is per minute per process.
        "AUTH_POST_RATE_LIMIT": "1000 per minute",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    instance = Instance(root, database_url, env)
    instance.flask("db", "upgrade")
    out = subprocess.run(
        [sys.executable, "-m", "tests.reliability.provision", str(coordinators), str(officials)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    instance.data = json.loads(out.stdout.strip().splitlines()[-1])
    return instance


class PostgresDatabases:
    """Fresh databases on the server of TEST_DATABASE_URL (never the shared database itself)."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.created: list[str] = []

    def _run(self, sql: str) -> None:
        engine = sa.create_engine(driver_url(self.admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
        engine.dispose()

    def create(self) -> str:
        name = "reliability_" + secrets.token_hex(4)
        self._run(f"CREATE DATABASE {name}")
        self.created.append(name)
        return _with_db(self.admin_url, name)

    def drop_all(self) -> None:
        for name in self.created:
            self._run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _with_db(url: str, name: str) -> str:
    head, _, tail = url.partition("://")
    authority, _, rest = tail.partition("/")
    query = rest.partition("?")[2]
    return f"{head}://{authority}/{name}" + (f"?{query}" if query else "")


class Instances:
    """Builds instances on the suite's database choice and removes their databases afterwards."""

    def __init__(self, folder: Path):
        self.folder = folder
        admin_url = os.environ.get("TEST_DATABASE_URL")
        self.databases = PostgresDatabases(admin_url) if admin_url else None
        self.built: list[Instance] = []

    def build(self, coordinators: int = 2, officials: int = 2, database_url: str | None = None) -> Instance:
        root = self.folder / f"instance{len(self.built)}"
        if database_url is None:
            database_url = self.databases.create() if self.databases else f"sqlite:///{root / 'secretariat.sqlite'}"
        instance = make_instance(root, database_url, coordinators, officials)
        self.built.append(instance)
        return instance

    def close(self) -> None:
        for instance in self.built:
            if instance._engine is not None:
                instance._engine.dispose()
        if self.databases:
            self.databases.drop_all()


@pytest.fixture
def instance_factory(tmp_path):
    """A fresh instance of one's own (e.g. on a private PostgreSQL cluster)."""
    instances = Instances(tmp_path)
    yield instances.build
    instances.close()


@pytest.fixture(scope="session")
def shared_instance(tmp_path_factory):
    """One instance for the tests that can share it (building one costs seconds on two busy cores);
    each test takes its own accounts from it with ``Instance.take``."""
    instances = Instances(tmp_path_factory.mktemp("reliability"))
    instance = instances.build(coordinators=40, officials=12)
    yield instance
    instances.close()


class Server:
    """gunicorn serving an instance on a free loopback port."""

    def __init__(self, instance: Instance, *, workers: int = 2, graceful_timeout: int = 30):
        self.instance = instance
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = instance.root / f"gunicorn-{self.port}.log"
        self.log = self.log_path.open("wb")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            str(graceful_timeout),
            "wsgi:app",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=instance.env, stdout=self.log, stderr=self.log)
        wait_until(self.healthy, 60, f"gunicorn did not answer on {self.base} (see {self.log_path})")
        wait_until(lambda: len(self.workers()) == workers, 30, "gunicorn did not start its workers")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:  # noqa: S310 (loopback only)
                return response.status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        """The process ids of the master's workers."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def worker_serving(self, client_port: int) -> int | None:
        """The worker that has accepted the connection coming from ``client_port`` (None if none has yet)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as fh:
                for line in fh.readlines()[1:]:
                    fields = line.split()
                    local, remote, inode = (
                        int(fields[1].rsplit(":", 1)[1], 16),
                        int(fields[2].rsplit(":", 1)[1], 16),
                        fields[9],
                    )
                    if (local, remote) == (self.port, client_port):
                        inodes.add(f"socket:[{inode}]")
        for pid in self.workers():
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(fd) in inodes:
                        return pid
                except OSError:
                    continue
        return None

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def serve(request):
    """Start gunicorn on an instance; every server started is stopped at the end of the test
    (and its log shown when the test failed, since the server's side of a failure is there)."""
    servers: list[Server] = []

    def start(instance: Instance, **options) -> Server:
        server = Server(instance, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        if getattr(request.node, "call_failed", False):
            # Everything but the one-line-per-request access entries: warnings, errors and traces.
            lines = [line for line in server.log_text().splitlines() if '"level": "INFO"' not in line]
            print(f"--- {server.log_path}, without INFO entries ---\n" + "\n".join(lines)[-12000:])
