"""Command-line tools on the Flask CLI. Secrets are read from a prompt or stdin, never from arguments."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from secretariat import audit as audit_trail
from secretariat import seed, worker
from secretariat.auth import services, throttle
from secretariat.auth.models import Role, User
from secretariat.extensions import db
from secretariat.ops import cli as ops_cli
from secretariat.ops import progress


def _read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--partner", "partner_code", required=True, help="Partner code, e.g. EU, JP, ASEAN")
@click.option("--name", default="", help="Display name (defaults to the email address)")
@click.option("--link", is_flag=True, help="Issue a one-time password link instead of reading a password")
def create_user_command(email: str, role: str, partner_code: str, name: str, link: bool) -> None:
    """Create a user; the password is read from the prompt or stdin (or a link is issued)."""
    partner = services.partner_by_code(partner_code)
    if partner is None:
        raise click.UsageError(f"Unknown partner code {partner_code!r}; run seed-demo or check the code.")
    try:
        user = services.create_user(email=email, display_name=name or email, partner=partner, role=role, actor=None)
        if link:
            url = services.issue_password_link(user, actor=None)
            click.echo(f"Password link (valid once): {url}")
        else:
            services.set_password(user, _read_secret("Password"), actor=None, via="cli")
    except services.ValidationFailed as failed:
        db.session.rollback()
        for messages in failed.errors.values():
            for message in messages:
                click.echo(f"Error: {message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created {user.email} ({role}, {partner.name}).")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the real partners and meetings, and create one demo user per role (passwords printed once)."""
    added = seed.seed_partners()
    meetings = seed.seed_meetings()
    credentials = seed.seed_demo_users()
    db.session.commit()
    from secretariat.archive import services as archive

    archive.sync(wait=True)
    click.echo(f"Partners added: {added}; meetings added: {meetings}.")
    _print_credentials(credentials)
    if not credentials:
        click.echo(
            "Users already exist: no demo users created. `flask --app wsgi demo-passwords` issues new demo passwords."
        )


@click.command("demo-passwords")
def demo_passwords_command() -> None:
    """Give the demo accounts new random passwords and print them."""
    credentials = seed.reset_demo_users()
    db.session.commit()
    _print_credentials(credentials)


def _print_credentials(credentials: list[tuple[str, str, str]]) -> None:
    if not credentials:
        return
    click.echo("\nDemo accounts (passwords are shown only now):")
    for email, role, password in credentials:
        click.echo(f"  {role:<12} {email:<34} {password}")


audit_cli = AppGroup("audit", help="The audit trail.")


def _read_checkpoint(path: Path | None):
    """The checkpoint in FILE (JSON, or any text with its printed line), or None; a clear error otherwise."""
    if path is None:
        return None
    from secretariat.audit import checkpoints

    try:
        return checkpoints.parse(path.read_text(encoding="utf-8", errors="replace"))
    except checkpoints.CheckpointUnreadable as error:
        raise click.ClickException(f"{path}: {error}") from error


_CHECKPOINT_OPTION = click.option(
    "--checkpoint",
    "checkpoint_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint kept outside the database (downloaded from /audit/checkpoint or printed on "
    "adopted minutes and agenda versions): fail if the chain was rewritten or cut before it",
)


@audit_cli.command("verify")
@_CHECKPOINT_OPTION
def audit_verify_command(checkpoint_path: Path | None) -> None:
    """Check the whole hash chain; name the first broken entry."""
    checkpoint = _read_checkpoint(checkpoint_path)
    result = audit_trail.verify(checkpoint=checkpoint)
    if result.ok:
        keyed = f", {result.keyed} of them under the key" if result.keyed else ""
        click.echo(f"Audit chain intact: {result.checked} entries verified{keyed}.")
        if checkpoint is not None:
            click.echo(f"Checkpoint at entry {checkpoint.seq} matches: nothing up to it was rewritten or removed.")
        return
    click.echo(
        f"Audit chain BROKEN at entry seq={result.broken_seq} id={result.broken_id}: {result.reason} "
        f"({result.checked} entries before it verified).",
        err=True,
    )
    sys.exit(1)


@audit_cli.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the file here (else print)")
def audit_checkpoint_command(output: Path | None) -> None:
    """The chain's newest entry as a checkpoint file, to keep outside the database (e.g. from cron)."""
    from secretariat.audit import checkpoints

    point = checkpoints.latest()
    if point is None:
        raise click.ClickException("The audit chain is empty: there is nothing to checkpoint yet.")
    if output is None:
        click.echo(point.to_json(), nl=False)
        return
    output.write_text(point.to_json(), encoding="utf-8")
    click.echo(f"{point.line()} written to {output}.")


programme_cli = AppGroup("programme", help="The work programme.")


@programme_cli.command("settle-silence")
def settle_silence_command() -> None:
    """Decide every silence procedure whose deadline has passed (run from cron, e.g. every minute)."""
    from secretariat.programme import silence

    decided = silence.settle_due()
    db.session.commit()
    for procedure in decided:
        click.echo(f"#{procedure.id} {procedure.subject}: {procedure.outcome}")
    click.echo(f"{len(decided)} procedure(s) decided.")


archive_cli = AppGroup("archive", help="The archive and its search index.")


@archive_cli.command("verify")
@_CHECKPOINT_OPTION
def archive_verify_command(checkpoint_path: Path | None) -> None:
    """Re-hash every stored file, check every version's seal, every record's access fields against
    what the audit chain seals, and the chain; name what is wrong."""
    from secretariat.archive import integrity

    report = integrity.verify(checkpoint=_read_checkpoint(checkpoint_path), progress=progress.bar)
    click.echo(
        f"Checked {report.files_checked} files, {report.versions_checked} record versions, "
        f"{report.records_checked} records, {report.meetings_checked} meetings, agenda versions and minutes "
        f"and {report.accounts_checked} accounts."
    )
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if report.problems:
        sys.exit(1)
    click.echo("Archive intact.")


@archive_cli.command("sync")
def archive_sync_command() -> None:
    """Apply pending changes to the search index (safe to run any time, e.g. from cron)."""
    from secretariat.archive.search import indexing

    try:
        click.echo(f"{indexing.sync(wait=True)} record(s) re-indexed.")
    except indexing.IndexBusy as busy:
        raise click.ClickException(f"the index's writer stayed busy ({busy}); try again") from busy


@archive_cli.command("reindex")
def archive_reindex_command() -> None:
    """Rebuild the whole search index from the database (searches use the old one until it is done)."""
    import time

    from secretariat.archive.search import indexing

    started = time.monotonic()
    try:
        if sys.stdout.isatty():
            with click.progressbar(length=indexing.archive_size(), label="Indexing records and initiatives") as bar:
                count = indexing.rebuild(progress=bar.update)
        else:  # cron, a pipe: only the summary
            count = indexing.rebuild()
    except indexing.IndexBusy as busy:
        raise click.ClickException(str(busy)) from busy
    click.echo(f"Index rebuilt: {count} records in {time.monotonic() - started:.1f} s; lag {indexing.index_lag()}.")


@archive_cli.command("searchable-copies")
@click.option("--retry-failed", is_flag=True, help="Try again the copies given up after their failed tries")
def archive_searchable_copies_command(retry_failed: bool) -> None:
    """Make the searchable PDF/A copies of scanned files that have none (files recognised earlier)."""
    from secretariat.archive import searchable_copy

    queued = searchable_copy.queue_missing(retry_failed=retry_failed)
    made, failed = searchable_copy.make_all_now(progress.bar)
    click.echo(f"{queued} file(s) queued; {made} searchable copies made, {failed} failed (the worker tries again).")


@archive_cli.command("sweep")
@click.option("--remove", is_flag=True, help="Delete the orphaned files (otherwise only list them)")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Keep files written more recently than this: they may belong to an upload in progress",
)
def archive_sweep_command(remove: bool, grace_minutes: int) -> None:
    """Find stored bytes without a row (after a crash) and rows whose bytes are missing."""
    from secretariat.archive import services as archive

    grace = timedelta(minutes=grace_minutes)
    kept_note = f" (kept: written less than {grace_minutes} minutes ago, may be an upload in progress)"

    def state(removed: bool) -> str:
        return " (removed)" if removed else kept_note if remove else ""

    orphans, missing = archive.sweep_orphans(remove=remove, grace=grace)
    for sha, removed in orphans:
        click.echo(f"orphan {sha}{state(removed)}")
    for name, removed in archive.sweep_temporaries(remove=remove, grace=grace):
        click.echo(f"half-written {name}{state(removed)}")
    for sha in missing:
        click.echo(f"MISSING bytes for {sha}", err=True)
    click.echo(f"{len(orphans)} orphaned file(s), {len(missing)} missing.")
    if missing:
        sys.exit(1)


@archive_cli.command("raise-filed-levels")
@click.option("--dry-run", is_flag=True, help="Only list the records that would be raised")
def archive_raise_filed_levels_command(dry_run: bool) -> None:
    """Give records filed by the application the audience of their source (e.g. a coordinators'
    meeting's agenda and minutes: coordinators only), each as a new, sealed and audited version."""
    from secretariat.archive import filing
    from secretariat.archive import services as archive

    raised = filing.raise_filed_levels(actor="cli:archive-raise-filed-levels", dry_run=dry_run)
    for line in raised:
        click.echo(f"record {line.record_id}: {line.before.value} -> {line.after.value}")
    if dry_run:
        db.session.rollback()
        click.echo(f"{len(raised)} record(s) would be raised.")
        return
    db.session.commit()
    archive.sync(wait=True)
    click.echo(f"{len(raised)} record(s) raised.")


@archive_cli.command("export")
@click.argument("path", type=click.Path(path_type=Path))
def archive_export_command(path: Path) -> None:
    """Write a self-contained bundle (every archive row, files, audit trail, manifest, HTML index); PATH.zip zips it."""
    from secretariat.archive import bundle

    try:
        manifest = bundle.export(path, progress.bar)
    except bundle.BundleError as error:
        raise click.ClickException(str(error)) from None
    stored = sum(1 for name in manifest["files"] if name.startswith("files/"))
    click.echo(f"Exported {manifest['records']} records and {stored} files to {path}.")


@archive_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def archive_import_command(path: Path) -> None:
    """Import a bundle (folder or .zip) into this empty archive, after checking every hash, seal and access field."""
    from secretariat.archive import bundle
    from secretariat.archive import services as archive

    try:
        result = bundle.import_bundle(path, actor="cli:archive-import", progress=progress.bar)
    except bundle.BundleError as error:
        db.session.rollback()
        # The refusal is kept: someone may be trying to slip an altered bundle in.
        audit_trail.record(
            "cli:archive-import", "archive.import.refused", None, path=str(path), reason=str(error)[:2000]
        )
        db.session.commit()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    archive.sync(wait=True)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(
        f"Imported {result.records} records, {result.versions} versions, {result.files} files"
        f" and {result.meetings} meetings."
    )


@archive_cli.command("import-folder")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def archive_import_folder_command(path: Path) -> None:
    """File historical records from PATH/manifest.csv (columns: files;title;type;date;meeting;partners;…)."""
    from secretariat.archive import bulk
    from secretariat.archive import services as archive

    result = bulk.import_folder(path, actor="cli:import-folder", progress=progress.bar)
    if result.errors:
        db.session.rollback()
        for error in result.errors:
            click.echo(error, err=True)
        raise click.ClickException(f"Nothing was filed: {len(result.errors)} problem(s).")
    db.session.commit()
    archive.sync(wait=True)
    click.echo(f"Filed {result.filed} records.")


@click.command("purge-login-attempts")
def purge_login_attempts_command() -> None:
    """Delete failed sign-in records older than the throttling window."""
    count = throttle.purge_old()
    db.session.commit()
    click.echo(f"Deleted {count} old failed sign-in records.")


@click.command("db-is-empty")
def db_is_empty_command() -> None:
    """Exit 0 if there are no users yet (used by `make run` to decide whether to seed)."""
    has_users = db.session.scalar(sa.select(sa.func.count(User.id)))
    sys.exit(1 if has_users else 0)


def register(app: Flask) -> None:
    for command in (
        create_user_command,
        seed_demo_command,
        demo_passwords_command,
        audit_cli,
        programme_cli,
        archive_cli,
        purge_login_attempts_command,
        db_is_empty_command,
        ops_cli.backup_command,
        ops_cli.restore_command,
        worker.worker_command,
    ):
        app.cli.add_command(command)
