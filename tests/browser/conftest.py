"""The browser suite: the application under gunicorn on 127.0.0.1 with demo data, driven by Debian's Chromium.

Chromium is launched with the flags from the project guide so it never reaches for outside hosts.
Without Chromium the suite is skipped, unless REQUIRE_BROWSER=1 (as in CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyotp
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def require(reason: str):
    """A tool of the browser suite is missing: fail in CI (REQUIRE_BROWSER=1), skip elsewhere."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _flask(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run a ``flask --app wsgi`` command against the browser suite's instance; returns its output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        input=stdin,
    )
    return done.stdout


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict:
    """The environment of the browser suite's instance: its own folder, SQLite, development settings."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {**os.environ, "SECRETARIAT_INSTANCE": str(instance), "SECRETARIAT_CONFIG": "development"}
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture(scope="session")
def live_server(server_env):
    """gunicorn serving a fresh SQLite instance with the demo data; yields (base_url, credentials)."""
    env = server_env
    _flask(env, "db", "upgrade")
    seeded = _flask(env, "seed-demo")
    _flask(env, "archive", "reindex")  # what `make run`'s worker does at its first poll: the host's index
    credentials = {
        role: (email, password) for role, email, password in re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", seeded, re.M)
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={**env, "EXTERNAL_BASE_URL": base},  # links the application writes point here, not at port 5000
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback only)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base, credentials
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def new_account(live_server, server_env):
    """Creates a fresh account with the admin command line, so that each journey signs in as its own person
    (and enrols its own second factor) whatever the other tests did; returns (email, password)."""
    counter = iter(range(1, 1000))

    def make(role: str, partner: str = "EU", name: str = "") -> tuple[str, str]:
        number = next(counter)
        email = f"{role}-{number}-{secrets.token_hex(3)}@journeys.example"
        password = f"journey passphrase {secrets.token_hex(8)}"
        _flask(
            server_env,
            "create-user",
            email,
            "--role",
            role,
            "--partner",
            partner,
            "--name",
            name or email,
            stdin=password + "\n",
        )
        return email, password

    return make


#: TOTP secrets of the accounts enrolled during this session, by email, so later sign-ins can answer
TOTP_SECRETS: dict[str, str] = {}
#: the last 30-second step used per account: the server accepts each step once
_LAST_STEP: dict[str, int] = {}


@pytest.fixture(scope="session")
def totp_secrets() -> dict[str, str]:
    """email → TOTP secret of every account enrolled in this browser session."""
    return TOTP_SECRETS


def totp_code(email: str) -> str:
    """A code the server has not seen for this account yet. The server accepts one step of drift and each
    step once, so a second sign-in in the same 30 s uses the next step, and a third waits for the clock."""
    totp = pyotp.TOTP(TOTP_SECRETS[email])
    now = int(time.time()) // totp.interval
    step = max(now, _LAST_STEP.get(email, now - 1) + 1)
    if step > now + 1:
        time.sleep((step - 1) * totp.interval - time.time() + 0.5)
    _LAST_STEP[email] = step
    return totp.generate_otp(step)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        require("Chromium is not installed (apt-get install chromium)")
    if not AXE.exists():
        require("axe-core is not installed (npm install)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("playwright is not installed")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
