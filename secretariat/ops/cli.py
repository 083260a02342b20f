"""`flask backup PATH` and `flask restore PATH`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa

from secretariat.ops import backup as backups
from secretariat.ops import progress
from secretariat.ops import restore as restores


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database and the archive's files into PATH (new or empty), while the app runs."""
    try:
        manifest = backups.backup(path, progress.bar)
    except (backups.BackupError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    except (sa.exc.SQLAlchemyError, OSError) as error:
        raise click.ClickException(f"backup failed: {type(error).__name__}: {error}") from error
    rows = sum(manifest["row_counts"].values())
    blobs = len(manifest["files"]) - 1
    click.echo(
        f"Backup written to {path}: {manifest['database']['kind']} database at revision "
        f"{manifest['alembic_revision']}, {rows} rows in {len(manifest['row_counts'])} tables, {blobs} stored files, "
        f"audit chain head seq {manifest['audit']['seq']}."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore the backup in PATH into this empty instance, then verify counts, file hashes and the audit chain."""
    from secretariat.archive import services as archive
    from secretariat.archive.search import indexing
    from secretariat.extensions import db

    try:
        report = restores.restore(path, progress.bar)
    except (restores.RestoreError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    except (sa.exc.SQLAlchemyError, OSError) as error:
        raise click.ClickException(f"restore failed: {type(error).__name__}: {error}") from error
    click.echo(
        f"Restored {report.rows} rows in {report.tables} tables, {report.files} stored files, "
        f"{report.audit_entries} audit entries (backup of {report.manifest['created_at']})."
    )
    if not report.ok:
        for problem in report.problems:
            click.echo(f"MISMATCH: {problem}", err=True)
        click.echo("Restore verification FAILED: do not put this instance into service.", err=True)
        sys.exit(1)
    click.echo("Verified: row counts, file hashes and the audit chain match the backup.")
    # The indexes registered in the backup hold what the database held then, or later: every host rebuilds.
    indexing.request_rebuild()
    db.session.commit()
    click.echo(f"Search index rebuilt: {archive.rebuild()} records.")
