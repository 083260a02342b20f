"""Three servers behind a round-robin client: the sign-in limit is counted across the cluster, Redis
may go away and come back without an error, and a rolling restart (of this release, then onto the
next with a migration) never stops the service.

The search tests (a record filed on A found on B; a server killed with SIGKILL; a rebuild while
others write) are in test_cluster_search.py.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404
import sys
import threading
import time
from pathlib import Path

import redis
from alembic.script import ScriptDirectory

from tests.cluster.conftest import LIMIT, Cluster, Filer, RoundRobin, server_logs, signed_in
from tests.reliability.conftest import ROOT, wait_until
from tests.reliability.web import replace


def attempt(client: RoundRobin, n: int) -> int:
    """One wrong sign-in (an address nobody has, so no per-account delay): the form from one server,
    the POST to the next. Returns the POST's status."""
    _, fields = client.form("/login", "/login")
    answer = client.post("/login", replace(fields, email=f"nobody{n}@example.org", password="not the password"))
    assert answer.status in (200, 429), f"sign-in answered {answer.status}: {answer.text[:300]}"
    assert not answer.leaks(), answer.text[:500]
    return answer.status


def test_the_sign_in_limit_is_counted_across_the_servers(cluster: Cluster):
    cluster.reset_counts()
    client = cluster.client()
    statuses = [attempt(client, n) for n in range(LIMIT + 3)]
    assert statuses == [200] * LIMIT + [429] * 3, server_logs(cluster)
    posts = client.answered_by[1::2]
    assert set(posts[LIMIT:]) == {"a", "b", "c"}, posts  # every server refuses, having itself seen two or three
    assert max(posts[:LIMIT].count(name) for name in "abc") < LIMIT


def test_redis_stopped_and_started_during_sign_ins(cluster: Cluster):
    cluster.reset_counts()
    client = cluster.client()
    assert [attempt(client, n) for n in range(3)] == [200] * 3
    cluster.redis.stop()
    try:
        # The documented behaviour: each server counts in its own memory from zero; nothing fails.
        assert [attempt(client, n) for n in range(3, 12)] == [200] * 9, server_logs(cluster)
        for server in cluster.servers:
            assert server.readiness() == (200, '{"status":"degraded"}\n')
    finally:
        cluster.redis.start()
    for server in cluster.servers:
        assert server.readiness() == (200, '{"status":"ready"}\n')
    store = redis.Redis.from_url(cluster.redis.url)

    def shared_again() -> bool:
        attempt(client, int(time.monotonic() * 1000))  # 200 or 429, never an error, while the servers notice
        return bool(store.keys("LIMITS*"))

    # A server looks at Redis again at growing intervals (at most about a minute apart).
    wait_until(shared_again, 120, "no server went back to counting in Redis", interval=1)


def test_a_rolling_restart_keeps_answering(cluster: Cluster):
    cluster.reset_counts()
    person = cluster.instance.take("officials", 1)[0]
    client = cluster.client()
    client.sign_in(person["email"], cluster.instance.data["password"])
    for server in cluster.servers:
        server.stop()
        answers = [client.get("/") for _ in range(4)]
        assert [a.status for a in answers] == [200] * 4, [a.text[:200] for a in answers]
        assert server.name not in client.answered_by[-4:]
        server.start()  # the new release, on the same port
    answers = [client.get("/") for _ in range(6)]
    assert [a.status for a in answers] == [200] * 6
    # Still signed in everywhere: the session lives in the database, not in a server.
    assert set(client.answered_by[-6:]) == {"a", "b", "c"}
    assert all("Sign out" in a.text for a in answers), answers[0].text[:500]


def new_release(folder: Path) -> tuple[Path, str]:
    """A checkout of "the next release": this code plus one migration of its own, which adds a
    nullable column as the guide's rolling upgrades require (the previous release never names it).

    The package and migrations/ are copied (the application finds its migrations beside its package);
    the rest of the checkout is linked. Returns the folder and the new revision.
    """
    release = folder / "next-release"
    release.mkdir()
    skip = shutil.ignore_patterns("__pycache__")
    for entry in ROOT.iterdir():
        if entry.name in ("secretariat", "migrations"):
            shutil.copytree(entry, release / entry.name, ignore=skip)
        elif entry.name not in (".git", "instance"):
            (release / entry.name).symlink_to(entry)
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    revision = "c1a5e7e5d00d"
    (release / "migrations" / "versions" / f"29990101_{revision}_cluster_next_release.py").write_text(
        f'''"""The cluster test's next release: a nullable column and a step that takes a few seconds.

Revision ID: {revision}
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("SELECT pg_sleep(3)")  # a backfill's time, while the old servers serve
    with op.batch_alter_table("records") as batch_op:
        batch_op.add_column(sa.Column("next_release_note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("records") as batch_op:
        batch_op.drop_column("next_release_note")
'''
    )
    return release, revision


class Reader(threading.Thread):
    """One signed-in person reading pages through the round-robin until stopped; keeps each status."""

    def __init__(self, client: RoundRobin):
        super().__init__(daemon=True)
        self.client = client
        self.statuses: list[int] = []
        self.halt = threading.Event()

    def run(self) -> None:
        pages = ("/", "/archive/", "/archive/?q=upgradetoken", "/programme/")
        n = 0
        while not self.halt.is_set():
            try:
                self.statuses.append(self.client.get(pages[n % len(pages)]).status)
            except AssertionError:  # every server refused the connection
                self.statuses.append(0)
            n += 1

    def stop(self) -> None:
        self.halt.set()
        self.join(60)


def test_a_rolling_upgrade_with_a_migration_keeps_answering(cluster: Cluster, tmp_path):
    """The guide's rolling upgrade (docs/deployment.md, section 9) with a real migration: `flask db
    upgrade` of the next release runs while the three servers of this release serve reads and
    writes (degraded once the database is ahead of them), then each server is restarted onto the
    next release in turn. Nobody sees an error, no record filed meanwhile is lost."""
    release, revision = new_release(tmp_path)
    reader = signed_in(cluster)
    reader_thread = Reader(reader)
    filer = Filer(signed_in(cluster), "upgradetoken")
    reader_thread.start()
    filer.start()
    try:
        filer.wait_for(2)
        read_before, filed_before = len(reader_thread.statuses), len(filer.filed)
        migrated = subprocess.run(  # noqa: S603  # nosec B603
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=release,
            env=cluster.servers[0].env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        assert cluster.instance.rows("SELECT version_num FROM alembic_version") == [(revision,)]
        # Pages read and records filed while the migration ran (it takes more than 3 s).
        during = len(reader_thread.statuses) - read_before, len(filer.filed) - filed_before
        for server in cluster.servers:
            assert server.readiness() == (200, '{"status":"degraded"}\n')  # a newer release's revision
        for server in cluster.servers:
            server.stop()
            server.release = release
            server.start()
            assert server.readiness() == (200, '{"status":"ready"}\n'), server_logs(cluster)
        filer.wait_for(len(filer.filed) + 2)
    finally:
        filer.stop()
        reader_thread.stop()
    assert during[0] > 0 and during[1] > 0, during
    assert set(reader_thread.statuses) == {200}, (reader_thread.statuses, server_logs(cluster))
    assert not filer.failures, filer.failures
    rows = cluster.instance.rows("SELECT title, next_release_note FROM records WHERE title LIKE '%upgradetoken%'")
    titles = [title for title, _ in rows]
    assert all(titles.count(title) == 1 for title in filer.filed), "a record filed during the upgrade was lost"
    assert all(titles.count(title) <= 1 for title in filer.uncertain), filer.uncertain
