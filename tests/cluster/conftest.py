"""Three application servers on one PostgreSQL database and one Redis, as docs/deployment.md describes.

Each server is gunicorn on its own loopback port with its own search index folder; the file store
and the secret key are shared (one instance folder), the database is a fresh one beside
TEST_DATABASE_URL's, and Redis is a redis-server of the suite's own on a free port, so the tests can
stop and start it. A ``RoundRobin`` client plays the proxy: each request goes to the next server,
and a server that refuses the connection (stopping, restarting) is passed over, as a proxy's
health checks would.

PostgreSQL only: several servers on one SQLite file is not a supported deployment. Skipped with
the reason on SQLite; under REQUIRE_POSTGRES=1 a missing TEST_DATABASE_URL or redis-server fails.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import signal
import socket
import subprocess  # nosec B404
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from tests.ops.redis_server import REDIS_SERVER, RedisServer
from tests.reliability.conftest import ROOT, Instance, Instances, free_port, wait_until
from tests.reliability.web import Answer, Browser, file_record, text_file

#: sign-in attempts (POSTs) a minute from one address, across the whole cluster
LIMIT = 6


def _require_cluster_tools() -> None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    required = os.environ.get("REQUIRE_POSTGRES") == "1"
    if not url.startswith(("postgresql", "postgres:")):
        message = "the cluster runs on PostgreSQL only: set TEST_DATABASE_URL (no several servers on one SQLite file)"
        pytest.fail(message) if required else pytest.skip(message)
    if REDIS_SERVER is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        pytest.fail(message) if required else pytest.skip(message)


class ClusterServer:
    """One host: gunicorn serving the instance on a fixed loopback port (kept across restarts, as a
    proxy's list is) and its ``flask worker``, which keeps the host's search index in step."""

    #: the worker's poll (deployment: 2 s by default); the tests wait for the index with deadlines
    WORKER_POLL = "0.5"

    def __init__(self, name: str, instance: Instance, port: int, env: dict[str, str]):
        self.name, self.instance, self.port, self.env = name, instance, port, env
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = instance.root / f"gunicorn-{name}.log"
        self.worker_log_path = instance.root / f"worker-{name}.log"
        #: the checkout the host runs (a rolling upgrade points it at the new release's)
        self.release = ROOT
        self.process: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the host's units; each in a session of its own, so that a crash can take all its processes."""
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"]
        worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", self.WORKER_POLL]
        with self.log_path.open("ab") as log, self.worker_log_path.open("ab") as worker_log:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603
                command, cwd=self.release, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
            self.worker = subprocess.Popen(  # noqa: S603  # nosec B603
                worker, cwd=self.release, env=self.env, stdout=worker_log, stderr=worker_log, start_new_session=True
            )
        wait_until(self.healthy, 60, f"server {self.name} did not answer (see {self.log_path})")

    def healthy(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False  # never a /healthz answered by another host's leftover process
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                return response.status == 200
        except OSError:
            return False

    def readiness(self) -> tuple[int, str]:
        answer = Browser(self.base).get("/readyz")
        return answer.status, answer.text

    def stop(self) -> None:
        """SIGTERM to both units: gunicorn finishes the requests in progress and stops listening at once;
        the worker gives back the file it was reading."""
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.process, self.worker):
            if process is None:
                continue
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.process = self.worker = None

    def crash(self) -> None:
        """SIGKILL to every process of the host (gunicorn's master and workers, the worker), as a power cut.

        Killing only gunicorn's master would leave its worker serving on the port until it notices
        (up to half the timeout), then dying under the restarted server: not a crash but a test artefact.
        """
        for process in (self.process, self.worker):
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        for process in (self.process, self.worker):
            if process is not None:
                process.wait(10)
        wait_until(lambda: not _listening(self.port), 10, f"port of {self.name} still open after the kill")
        self.process = self.worker = None


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Unanswered(Exception):
    """A request was sent and its server went away before answering: whether it was applied is unknown."""


#: a connection that died with its server after the request was sent: the outcome is unknown
LOST = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected, http.client.IncompleteRead, Unanswered)


class RoundRobin(Browser):
    """One person's browser behind a round-robin proxy over the servers; records who answered what."""

    def __init__(self, servers: list[ClusterServer]):
        super().__init__(servers[0].base)
        self.servers = servers
        self.turn = 0
        self.answered_by: list[str] = []

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        for _ in range(len(self.servers)):
            server = self.servers[self.turn % len(self.servers)]
            self.turn += 1
            self.host, self.port = "127.0.0.1", server.port
            try:
                answer = super().request(method, path, body, headers)
            except ConnectionRefusedError:
                continue  # this server is down or stopping: the proxy tries the next one
            except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError) as lost:
                # Sent, then the server died. A proxy retries only what may be repeated (nginx's
                # proxy_next_upstream leaves non-idempotent requests alone): a POST may have been applied.
                if method != "GET":
                    raise Unanswered(f"{method} {path} to {server.name}: {lost!r}") from lost
                continue
            self.answered_by.append(server.name)
            return answer
        raise AssertionError(f"no server answered {method} {path}")


@dataclasses.dataclass
class Cluster:
    instance: Instance
    servers: list[ClusterServer]
    redis: RedisServer

    def client(self) -> RoundRobin:
        return RoundRobin(self.servers)

    def reset_counts(self) -> None:
        """A test starts with no sign-in failures recorded, in the database (throttle) or in Redis (limiter)."""
        with self.instance.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_attempts"))
        redis.Redis.from_url(self.redis.url).flushdb()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    _require_cluster_tools()
    folder = tmp_path_factory.mktemp("cluster")
    instances = Instances(folder)
    instance = instances.build(coordinators=4, officials=4)
    redis_server = RedisServer(folder)
    redis_server.start()
    servers = []
    for name in ("a", "b", "c"):
        env = {
            **instance.env,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "AUTH_POST_RATE_LIMIT": f"{LIMIT} per minute",
            # Each server keeps its own search index; the file store is shared (the instance folder).
            "ARCHIVE_INDEX": str(instance.root / f"search-index-{name}"),
            "ARCHIVE_STORAGE": str(instance.storage),
        }
        servers.append(ClusterServer(name, instance, free_port(), env))
    try:
        for server in servers:
            server.start()
        yield Cluster(instance, servers, redis_server)
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()
        instances.close()


def same_person(client: RoundRobin, servers: list[ClusterServer]) -> RoundRobin:
    """Another tab of the same signed-in person, behind a proxy that knows only ``servers``."""
    other = RoundRobin(servers)
    other.cookies = dict(client.cookies)
    return other


class Filer(threading.Thread):
    """Files records one after the other through ``client`` until stopped; keeps what each POST answered."""

    def __init__(self, client: RoundRobin, token: str):
        super().__init__(daemon=True)
        self.client, self.token = client, token
        self.filed: dict[str, int] = {}  # title -> record id, for each 302
        self.uncertain: list[str] = []  # sent to a server that died before answering
        self.failures: list[str] = []
        self.finished_at: dict[str, float] = {}
        self.halt = threading.Event()

    def title(self, n: int) -> str:
        """A title with the test's token and the word of its group of ten (searched ten at a time)."""
        return f"Filed {n} {self.token} {self.token}g{n // 10}"

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            title = self.title(n)
            n += 1
            try:
                answer = file_record(self.client, title, [("n.txt", text_file(400, self.token))])
            except ConnectionRefusedError:
                continue  # the form's server went down before the POST was sent: nothing was filed
            except LOST:
                self.uncertain.append(title)
                continue
            except AssertionError as error:  # the form page itself failed
                self.failures.append(f"{title}: {error}")
                continue
            if answer.status == 302 and "/archive/records/" in answer.location:
                self.filed[title] = int(answer.location.rstrip("/").rsplit("/", 1)[1])
                self.finished_at[title] = time.monotonic()
            else:
                self.failures.append(f"{title}: {answer.status} {answer.text[:200]}")

    def wait_for(self, count: int, timeout: float = 60) -> None:
        wait_until(lambda: len(self.filed) >= count, timeout, f"only {len(self.filed)} records filed")

    def stop(self) -> None:
        self.halt.set()
        self.join(60)


class Searcher(threading.Thread):
    """Searches through the round-robin until stopped; keeps each status (0: no server answered)."""

    def __init__(self, client: RoundRobin, query: str):
        super().__init__(daemon=True)
        self.client, self.query = client, query
        self.statuses: list[int] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                self.statuses.append(self.client.get(f"/archive/?q={self.query}").status)
            except AssertionError:  # every server refused the connection
                self.statuses.append(0)

    def stop(self) -> None:
        self.halt.set()
        self.join(60)


def signed_in(cluster: Cluster, servers: list[ClusterServer] | None = None) -> RoundRobin:
    """A coordinator no other test used, signed in, behind a proxy of ``servers`` (all by default).

    The cluster's sign-in limit is low (LIMIT a minute, for its own test): the counts start afresh."""
    cluster.reset_counts()
    person = cluster.instance.take("coordinators", 1)[0]
    client = cluster.client()
    client.sign_in(person["email"], cluster.instance.data["password"], person["totp"])
    client.servers = servers or cluster.servers
    return client


def server_logs(cluster: Cluster, workers: bool = False) -> str:
    """The end of each server's log (and of its worker's, with ``workers``), for a failure's message."""
    paths = [(s.name, s.log_path) for s in cluster.servers]
    if workers:
        paths += [(f"{s.name} worker", s.worker_log_path) for s in cluster.servers]
    tails = (f"--- {name} ---\n" + Path(path).read_text(errors="replace")[-4000:] for name, path in paths)
    return "\n".join(tails)
