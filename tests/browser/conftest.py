"""The browser suite: the application under gunicorn on 127.0.0.1 with demo data, driven by Debian's Chromium.

Chromium is launched with the flags from the project guide so it never reaches for outside hosts.
Without Chromium the suite is skipped, unless REQUIRE_BROWSER=1 (as in CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn serving a fresh SQLite instance with the demo data; yields (base_url, credentials)."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {**os.environ, "SECRETARIAT_INSTANCE": str(instance), "SECRETARIAT_CONFIG": "development"}
    env.pop("DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    credentials = {
        role: (email, password)
        for role, email, password in re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", seeded.stdout, re.M)
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
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
