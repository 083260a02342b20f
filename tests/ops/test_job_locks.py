"""Scheduled jobs are safe with a worker on every server: two `flask worker --once` at the same time
decide each due silence procedure once, purge once, and leave the audit chain whole."""

from __future__ import annotations

import os
import subprocess  # nosec B404
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from secretariat import worker
from secretariat.audit import services as audit
from secretariat.audit.models import AuditEntry
from secretariat.auth.models import LoginAttempt, Role, UserSession
from secretariat.extensions import db
from secretariat.ops import joblock
from secretariat.programme.models import SilenceProcedure
from secretariat.settings import PROJECT_ROOT
from secretariat.timeutil import utcnow
from tests.factories import make_user

DUE = 6


def due_work():
    """Procedures past their deadline, an old failed sign-in, a session ended long ago, one still open."""
    coordinator = make_user(Role.COORDINATOR)
    past = utcnow() - timedelta(hours=1)
    db.session.add_all(
        SilenceProcedure(
            subject=f"Due {i}", text_source="t", text_html="t", deadline=past, created_by_id=coordinator.id
        )
        for i in range(DUE)
    )
    long_ago = utcnow() - timedelta(days=90)
    db.session.add(LoginAttempt(email="x@example.org", ip_address="192.0.2.1", created_at=long_ago))
    db.session.add(UserSession(token_hash="a" * 64, user_id=coordinator.id, created_at=long_ago, last_seen_at=long_ago))
    db.session.add(UserSession(token_hash="b" * 64, user_id=coordinator.id))
    db.session.commit()


def worker_process(app) -> subprocess.Popen:
    env = {
        **os.environ,
        "SECRETARIAT_CONFIG": "testing",
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FLASK_APP": "wsgi",
    }
    command = [sys.executable, "-m", "flask", "worker", "--once"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, **pipes)  # noqa: S603  # nosec B603


def test_two_workers_at_once_do_each_thing_once(app):
    due_work()
    db.session.remove()
    first, second = worker_process(app), worker_process(app)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    text = "".join(out for out, _ in outputs)
    assert "see the log" not in text, outputs
    assert db.session.scalar(sa.select(sa.func.count()).where(SilenceProcedure.outcome == "open")) == 0
    settled = db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "silence.settle"))
    assert settled == DUE
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0
    assert list(db.session.scalars(sa.select(UserSession.token_hash))) == ["b" * 64]
    assert audit.verify().ok


def test_a_job_another_worker_holds_is_skipped(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the second worker waits for the write lock instead (BEGIN IMMEDIATE)")
    due_work()
    with db.engine.connect() as other_worker:
        other_worker.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": joblock.lock_key("silence")})
        silence = next(job for job in worker.jobs() if job.name == "silence")
        assert worker.run_once([silence]) == ["silence: another worker is running it."]
        assert db.session.scalar(sa.select(sa.func.count()).where(SilenceProcedure.outcome == "open")) == DUE
        other_worker.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": joblock.lock_key("silence")})
    assert worker.run_once([silence]) == [f"{DUE} silence procedure(s) decided."]
