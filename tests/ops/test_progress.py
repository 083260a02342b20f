"""The long commands show a bar on a terminal, and from cron (no terminal) print nothing but their
one-line summary."""

from __future__ import annotations

import os
import pty
import subprocess  # nosec B404
import sys

from secretariat.settings import PROJECT_ROOT
from tests.archive.helpers import PNG_1PX, file_record, pdf
from tests.factories import make_user

COUNT = "from secretariat.ops import progress; print(sum(progress.bar(range(7), label='Counting things')))"


def run_python(code: str, *, terminal: bool) -> tuple[str, str]:
    """Run ``code`` with its standard error on a pseudo-terminal or a pipe; (stdout, stderr)."""
    if not terminal:
        done = subprocess.run(  # noqa: S603  # nosec B603
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(  # noqa: S603  # nosec B603
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=follower, text=True
    )
    os.close(follower)
    out, _ = process.communicate(timeout=60)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return out, shown.decode("utf-8", "replace")


def test_a_bar_on_a_terminal():
    out, shown = run_python(COUNT, terminal=True)
    assert out == "21\n"
    assert "Counting things" in shown and "7/7" in shown and "####" in shown


def test_nothing_but_the_result_without_a_terminal():
    assert run_python(COUNT, terminal=False) == ("21\n", "")


def test_commands_print_one_line_from_cron(app, runner, tmp_path):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Chair's Statement", files=[("statement.pdf", pdf("Phnom Penh"))])
    file_record(coordinator, "Family photo", record_type="presentation", files=[("photo.png", PNG_1PX)])
    for args in (["backup", str(tmp_path / "backup")], ["archive", "export", str(tmp_path / "bundle")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert result.stderr == "" and len(result.stdout.splitlines()) == 1, result.output
    result = runner.invoke(args=["archive", "verify"])
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert result.stdout.splitlines()[-1] == "Archive intact."
