"""The one background process: every job runs at its interval, and a job that fails stops no other."""

from __future__ import annotations

from secretariat import worker


def test_every_job_runs_once_with_what_it_did(app):
    lines = worker.run_once()
    assert lines == [
        "0 file(s) extracted.",
        "0 searchable copies made.",
        "0 mail(s) sent.",
        "0 silence procedure(s) decided.",
        "0 action point reminder(s), 0 silence reminder(s), 0 embargo release(s) announced.",
        "0 old failed sign-in record(s) and 0 ended session(s) deleted.",
    ]


def test_a_failing_job_is_logged_and_the_others_go_on(app, caplog):
    def broken() -> str:
        raise RuntimeError("disk full")

    jobs = [worker.Job("broken", broken, 0), *worker.jobs()[2:3]]
    assert worker.run_once(jobs) == ["broken failed (see the log).", "0 mail(s) sent."]
    assert "worker job broken failed" in caplog.text


def test_jobs_wait_for_their_interval(app):
    job = worker.Job("silence", lambda: "", 60)
    assert job.due(0.0)
    job.last_run = 100.0
    assert not job.due(159.0) and job.due(160.0)
