"""The coarse request limits (Flask-Limiter) on a shared Redis, and what happens when Redis goes away:
each process counts in its own memory, /readyz says "degraded", no request fails with a 500.

The limiter is one object for the whole process (secretariat/extensions.py): an application made here
rebinds its store, so `limiter_restored` gives the suite's application its store back afterwards.
Sharing between separate servers is proven in tests/cluster/.
"""

from __future__ import annotations

import pytest
import redis

from secretariat import create_app
from secretariat.extensions import limiter
from tests.factories import Client
from tests.ops.redis_server import free_port, redis_server  # noqa: F401 (a fixture)

LIMIT = 3


@pytest.fixture
def limiter_restored():
    saved = dict(vars(limiter))
    saved["_storage_options"] = dict(limiter._storage_options)
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


def make_server(app, storage_uri: str):
    """Another application on the suite's database, limited to LIMIT sign-in attempts a minute."""
    server = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "ARCHIVE_STORAGE": app.config["ARCHIVE_STORAGE"],
            "ARCHIVE_INDEX": app.config["ARCHIVE_INDEX"],
            "AUTH_POST_RATE_LIMIT": f"{LIMIT} per minute",
            "RATELIMIT_STORAGE_URI": storage_uri,
        },
    )
    server.test_client_class = Client
    return server


def sign_in(client: Client) -> int:
    return client.submit("/login", {"email": "nobody@example.org", "password": "not the password"}).status_code


def test_counts_live_in_redis(app, redis_server, limiter_restored):  # noqa: F811
    server = make_server(app, redis_server.url)
    client = server.test_client()
    assert [sign_in(client) for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
    # Any other server reading the same Redis sees these counts: they are not in this process.
    keys = redis.Redis.from_url(redis_server.url).keys("LIMITS*")
    assert keys, "no limiter counter in Redis"
    assert client.get("/readyz").json == {"status": "ready"}


def test_redis_going_away_falls_back_to_memory_without_errors(app, redis_server, limiter_restored, caplog):  # noqa: F811
    server = make_server(app, redis_server.url)
    client = server.test_client()
    assert sign_in(client) == 200
    redis_server.stop()
    # Still answered, still limited: from now on in this process's memory, counting from zero.
    statuses = [sign_in(client) for _ in range(LIMIT + 1)]
    assert statuses == [200] * LIMIT + [429]
    assert "falling back to in-memory storage" in caplog.text
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json == {"status": "degraded"}
    assert "rate-limit store unreachable" in caplog.text
    assert str(redis_server.port) not in ready.get_data(as_text=True)
    redis_server.start()
    assert client.get("/readyz").json == {"status": "ready"}
    assert sign_in(client) in (200, 429)


def test_redis_unreachable_from_the_start(app, limiter_restored):
    # Nothing listens on this port: the connection is refused at once.
    server = make_server(app, f"redis://127.0.0.1:{free_port()}/0")
    client = server.test_client()
    assert client.get("/healthz").status_code == 200
    assert [sign_in(client) for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
    assert client.get("/readyz").json == {"status": "degraded"}


def test_memory_limits_need_no_redis(client):
    assert client.get("/readyz").json == {"status": "ready"}
