"""Three servers behind a round-robin client: the sign-in limit is counted across the cluster, Redis
may go away and come back without an error, and a rolling restart never stops the service.

The search tests (a record filed on A found on B; a server killed with SIGKILL) are in
test_cluster_search.py, waiting for the per-host index.
"""

from __future__ import annotations

import time

import redis
import sqlalchemy as sa

from tests.cluster.conftest import LIMIT, Cluster, RoundRobin, server_logs
from tests.reliability.conftest import wait_until
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


def test_old_servers_keep_answering_once_a_newer_release_migrated(cluster: Cluster):
    """Step 2 of a rolling upgrade (docs/deployment.md, section 9): the new release's migration has run
    (stood for here by a revision this release does not know); the servers still on this release go on
    serving, degraded, rather than all leaving the pool at once."""
    person = cluster.instance.take("officials", 1)[0]
    client = cluster.client()
    client.sign_in(person["email"], cluster.instance.data["password"])
    (release,) = cluster.instance.rows("SELECT version_num FROM alembic_version")[0]
    with cluster.instance.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedf00d'"))
    try:
        for server in cluster.servers:
            assert server.readiness() == (200, '{"status":"degraded"}\n')
        assert [client.get("/").status for _ in range(3)] == [200] * 3
    finally:
        with cluster.instance.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": release})
    for server in cluster.servers:
        assert server.readiness() == (200, '{"status":"ready"}\n')
