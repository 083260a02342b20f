"""Command-line tools: creating users, seeding the demo, verifying the audit trail."""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.auth.models import Partner, User
from secretariat.extensions import db

ROOT = Path(__file__).resolve().parent.parent

PASSPHRASE = "cli chosen passphrase of some length"


def test_create_user_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(
        args=["create-user", "Chair@Example.org", "--role", "coordinator", "--partner", "kh", "--name", "The Chair"],
        input=PASSPHRASE + "\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "chair@example.org"))
    assert user.role == "coordinator" and user.partner.code == "KH" and user.display_name == "The Chair"
    assert client.login("chair@example.org", PASSPHRASE).status_code == 302


def test_create_user_refuses_a_weak_password_and_creates_nothing(runner):
    result = runner.invoke(
        args=["create-user", "weak@example.org", "--role", "official", "--partner", "JP"], input="password1234\n"
    )
    assert result.exit_code == 1
    assert "commonly used" in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "weak@example.org")) is None


def test_create_user_refuses_unknown_partner_and_role(runner):
    assert runner.invoke(args=["create-user", "a@example.org", "--role", "official", "--partner", "XX"]).exit_code != 0
    assert runner.invoke(args=["create-user", "a@example.org", "--role", "king", "--partner", "JP"]).exit_code != 0


def test_create_user_refuses_duplicates_case_insensitively(runner):
    args = ["create-user", "dup@example.org", "--role", "official", "--partner", "JP"]
    assert runner.invoke(args=args, input=PASSPHRASE + "\n").exit_code == 0
    args[1] = "DUP@example.org"
    result = runner.invoke(args=args, input=PASSPHRASE + "\n")
    assert result.exit_code == 1 and "already exists" in result.output


def test_create_user_with_link(runner):
    result = runner.invoke(args=["create-user", "l@example.org", "--role", "observer", "--partner", "NO", "--link"])
    assert result.exit_code == 0 and "/password/set/" in result.output


def test_password_is_never_an_argument(runner):
    result = runner.invoke(args=["create-user", "--help"])
    assert "--password" not in result.output


def test_seed_demo_loads_real_facts_and_prints_working_credentials(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(Partner.id))) == 53
    sides = dict(db.session.execute(sa.select(Partner.side, sa.func.count(Partner.id)).group_by(Partner.side)).all())
    assert sides == {"Europe": 31, "Asia": 22}  # 30 + EU, 21 + ASEAN Secretariat
    summits = db.session.scalars(sa.select(Meeting).where(Meeting.kind == "summit").order_by(Meeting.start_date)).all()
    assert len(summits) == 13
    assert (summits[0].code, summits[0].city, summits[0].start_date.isoformat()) == ("ASEM1", "Bangkok", "1996-03-01")
    assert summits[-1].code == "ASEM13" and summits[-1].host.code == "KH"
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.kind == "fmm")) >= 14
    credentials = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", result.output, re.M)
    assert {role for role, _, _ in credentials} == {"admin", "coordinator", "official", "observer"}
    for _role, email, password in credentials:
        assert client.login(email, password).status_code == 302
        client.logout()


def test_seed_demo_twice_changes_nothing(runner):
    runner.invoke(args=["seed-demo"])
    counts = (
        db.session.scalar(sa.select(sa.func.count(User.id))),
        db.session.scalar(sa.select(sa.func.count(Meeting.id))),
    )
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "no demo users created" in result.output
    assert counts == (
        db.session.scalar(sa.select(sa.func.count(User.id))),
        db.session.scalar(sa.select(sa.func.count(Meeting.id))),
    )


def test_demo_passwords_issues_new_ones(runner, client):
    first = runner.invoke(args=["seed-demo"]).output
    old = re.search(r"admin\s+(\S+)\s+(\S+)", first.split("passwords are shown only now")[1]).groups()
    second = runner.invoke(args=["demo-passwords"]).output
    new = re.search(r"admin\s+(\S+)\s+(\S+)", second).groups()
    assert new[0] == old[0] and new[1] != old[1]
    assert client.login(old[0], old[1]).status_code == 200
    assert client.login(new[0], new[1]).status_code == 302


def test_seed_demo_builds_the_work_programme_from_the_facts(runner):
    from secretariat.programme.models import Initiative, ProgressReport, SilenceProcedure

    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(sa.select(sa.func.count(Initiative.id))) >= 20
    asef = db.session.scalar(sa.select(Initiative).where(Initiative.title.like("%Asia-Europe Foundation%")))
    assert asef.mandate_meeting.code == "ASEM1" and asef.lead_partner.code == "SG"
    assert db.session.scalar(sa.select(sa.func.count(ProgressReport.id))) == 1
    assert db.session.scalar(sa.select(SilenceProcedure)).outcome == "open"


def test_seed_demo_files_sample_records_and_indexes_them(runner, client):
    from secretariat.archive.models import Record

    output = runner.invoke(args=["seed-demo"]).output
    assert db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.source_ref.like("seed:%"))) == 11
    email, password = re.search(r"observer\s+(\S+)\s+(\S+)", output.split("shown only now")[1]).groups()
    client.login(email, password)
    body = client.get("/archive/?q=milan").get_data(as_text=True)
    assert "ASEM10 Chair&#39;s Statement" in body


def test_throwaway_folders_of_a_test_application_go_when_its_process_ends(tmp_path):
    """An application made for tests without folders of its own gets temporary ones, removed when
    its process exits, but not when a forked child (a gunicorn worker) exits first."""
    script = (
        "import os, sys\n"
        "from secretariat import create_app\n"
        "app = create_app('testing')\n"
        "folders = [app.config['ARCHIVE_STORAGE'], app.config['ARCHIVE_INDEX']]\n"
        "print(*folders, flush=True)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print(all(os.path.isdir(f) for f in folders), flush=True)\n"
    )
    env = {**os.environ, "TEST_DATABASE_URL": f"sqlite:///{tmp_path / 'throwaway.sqlite'}"}
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    folders_line, after_child = done.stdout.strip().splitlines()[-2:]
    folders = folders_line.split()
    assert len(folders) == 2 and all(f.startswith(tempfile.gettempdir()) for f in folders)
    assert after_child == "True"  # the child's exit left them
    assert not any(os.path.exists(f) for f in folders)  # the parent's removed them
