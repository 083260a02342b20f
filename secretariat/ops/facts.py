"""What a backup states about a database, read the same way when it is taken and when it is restored.

Row counts per table, the Alembic revision and the head of the audit chain: the restore recomputes
them on the restored database and compares them with the manifest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

#: tables that hold no application data: Alembic's bookkeeping and the audit chain's head row
#: (a freshly migrated database already has the head row, at seq 0)
BOOKKEEPING_TABLES = {"alembic_version", "audit_head"}
#: state of each host rather than of the archive (the registry of search indexes: the instance
#: restored registers its own index), copied but not counted
HOST_TABLES = {"search_indexes"}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def table_names(conn: sa.Connection) -> list[str]:
    return sorted(name for name in sa.inspect(conn).get_table_names() if not name.startswith("sqlite_"))


def row_counts(conn: sa.Connection) -> dict[str, int]:
    return {
        name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in table_names(conn)
        if name not in HOST_TABLES
    }


def alembic_revision(conn: sa.Connection) -> str | None:
    if "alembic_version" not in table_names(conn):
        return None
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def audit_head(conn: sa.Connection) -> dict:
    """The chain's head as stored (seq and hash of the last entry), and how many entries there are."""
    row = conn.execute(sa.text("SELECT seq, last_hash FROM audit_head WHERE id = 1")).one_or_none()
    entries = conn.scalar(sa.text("SELECT count(*) FROM audit_entries"))
    return {"seq": row.seq if row else 0, "hash": row.last_hash if row else None, "entries": entries}


def blob_hashes(conn: sa.Connection) -> list[str]:
    return list(conn.scalars(sa.text("SELECT sha256 FROM blobs ORDER BY sha256")))


def application_rows(conn: sa.Connection) -> dict[str, int]:
    """Tables holding application data (empty for a new or freshly migrated database)."""
    counts = {name: n for name, n in row_counts(conn).items() if name not in BOOKKEEPING_TABLES and n}
    if "audit_head" in table_names(conn) and audit_head(conn)["seq"]:
        counts["audit_head"] = 1
    return counts


def describe(conn: sa.Connection) -> dict:
    """Everything the manifest records about the database, read through ``conn`` (one snapshot)."""
    return {
        "alembic_revision": alembic_revision(conn),
        "row_counts": row_counts(conn),
        "audit": audit_head(conn),
    }


def pg_command_parts(url: str | URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore and the environment holding the password.

    The password goes into PGPASSWORD for the child process only: never on a command line (where
    `ps` shows it) and never printed.
    """
    url = make_url(url)
    args = []
    # A Unix socket's folder (and a port) may come in the query, as libpq and psycopg take them:
    # postgresql://user@/db?host=/run/postgresql. Without them pg_dump would connect to libpq's
    # default socket, perhaps another server's.
    host = url.host or _single(url.query.get("host"))
    port = url.port or _single(url.query.get("port"))
    if host:
        args += ["--host", host]
    if port:
        args += ["--port", str(port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database or ""]
    env = {"PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = url.password
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return args, env


def _single(value: str | tuple[str, ...] | None) -> str | None:
    """A query value given once; several hosts (libpq's failover list) are passed as libpq's list."""
    if isinstance(value, tuple):
        return ",".join(value) or None
    return value


def sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)
