"""The one background process, `flask worker`: text extraction, searchable copies of scanned paper,
mail delivery and the scheduled jobs (silence settlement, the reminders and releases to announce, purges).

Each job runs at its own interval inside one loop, in the application context, committing its own
work; a job that fails is logged and tried again at its next turn, never stopping the others. The
commands that run the same jobs by hand (`programme settle-silence`, `archive sync`,
`purge-login-attempts`) stay, for cron and for operators.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import current_app

from secretariat.extensions import db
from secretariat.ops import joblock


def _extract() -> str:
    from secretariat.archive import extraction

    return f"{extraction.run_pending()} file(s) extracted."


def _searchable_copy() -> str:
    from secretariat.archive import searchable_copy

    # One copy a turn (each takes seconds a page): new uploads' text and mail do not wait for a backlog.
    made, failed = searchable_copy.run_pending(limit=1)
    return f"{made} searchable cop{'y' if made == 1 else 'ies'} made" + (f", {failed} failed." if failed else ".")


def _deliver() -> str:
    from secretariat.notify import delivery

    return f"{delivery.deliver_due()} mail(s) sent."


def _settle_silence() -> str:
    from secretariat.programme import silence

    decided = silence.settle_due()
    db.session.commit()
    return f"{len(decided)} silence procedure(s) decided."


def _announce() -> str:
    from secretariat.notify import schedule

    made = schedule.announce_due()
    db.session.commit()
    return ", ".join(f"{count} {what}" for what, count in made.items()) + " announced."


def _purge_login_attempts() -> str:
    from secretariat.auth import sessions, throttle

    count = throttle.purge_old()
    ended = sessions.purge_ended()
    db.session.commit()
    return f"{count} old failed sign-in record(s) and {ended} ended session(s) deleted."


@dataclass
class Job:
    name: str
    run: Callable[[], str]
    #: seconds between runs; 0: at every poll
    every: float
    #: one worker at a time across all servers (ops/joblock.py); jobs that claim rows need no lock
    exclusive: bool = False
    last_run: float = field(default=float("-inf"))

    def due(self, now: float) -> bool:
        return now - self.last_run >= self.every


def jobs() -> list[Job]:
    """The jobs in the order they run (extraction also keeps the search index in sync)."""
    return [
        Job("extraction", _extract, 0),
        Job("searchable copies", _searchable_copy, 0),
        Job("mail", _deliver, 0),
        Job("silence", _settle_silence, 60, exclusive=True),
        Job("reminders", _announce, 60, exclusive=True),
        Job("purge", _purge_login_attempts, 3600, exclusive=True),
    ]


def run_job(job: Job) -> str:
    """Run one job; its failure is logged, rolled back and left for its next turn."""
    job.last_run = time.monotonic()
    try:
        if job.exclusive and not joblock.take(job.name):
            db.session.rollback()
            return f"{job.name}: another worker is running it."
        return job.run()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("worker job %s failed; it will be tried again", job.name)
        return f"{job.name} failed (see the log)."


def run_once(selected: list[Job] | None = None) -> list[str]:
    """Every job once, now; what each did."""
    return [run_job(job) for job in (selected or jobs())]


def run_forever(poll_seconds: float = 1.0) -> None:
    """Run the jobs at their intervals until SIGTERM or Ctrl-C (a file being read is given back)."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started in the background, where SIGINT was ignored
    schedule = jobs()
    try:
        while True:
            now = time.monotonic()
            for job in schedule:
                if job.due(now):
                    run_job(job)
            db.session.remove()
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        db.session.rollback()


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once, then exit (for cron and tests)")
@click.option("--poll", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Seconds between looks")
def worker_command(once: bool, poll: float) -> None:
    """Extract uploads' text, copy scans as searchable PDF/A, send mail, decide silence procedures, announce
    reminders, purge old records."""
    if once:
        for line in run_once():
            click.echo(line)
        return
    from secretariat.archive.extraction import Limits

    limits = Limits.from_config()
    click.echo(
        f"Worker started: extraction (each file in a child limited to {limits.memory_mb} MB, "
        f"{limits.cpu_seconds} s of CPU and {limits.wall_seconds:g} s), searchable copies of scans, mail, "
        "silence procedures and reminders (every minute), sign-in records purge (hourly). Ctrl-C stops it."
    )
    run_forever(poll)
