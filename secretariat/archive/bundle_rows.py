"""The rows of a bundle: which tables and columns it carries, and their values to and from JSON.

Decoding trusts nothing: each value must have its column's type and length, or the row is
refused with its table, line and column.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.archive.bundle_folder import BundleError
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, record_partners
from secretariat.auth.models import Partner, User

FORMAT = "asem-archive-bundle/2"

#: every table a bundle carries, in the order an import inserts them, with the columns it carries
TABLES: dict[str, tuple[sa.Column, ...]] = {
    "partners": tuple(Partner.__table__.columns),
    "users": (User.__table__.c.id, User.__table__.c.email),
    "meetings": tuple(Meeting.__table__.columns),
    "blobs": tuple(Blob.__table__.columns),
    "records": tuple(Record.__table__.columns),
    "record_partners": tuple(record_partners.columns),
    "record_versions": tuple(RecordVersion.__table__.columns),
    "record_files": tuple(RecordFile.__table__.columns),
}


# --- values ---------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _python_type(column: sa.Column) -> type:
    for candidate in (column, *(fk.column for fk in column.foreign_keys)):
        kind = candidate.type
        if isinstance(kind, sa.types.TypeDecorator):
            kind = kind.impl  # UTCDateTime says "object": its implementation says datetime
        try:
            return kind.python_type
        except NotImplementedError:
            continue
    return object


def _decode(column: sa.Column, value: Any, where: str) -> Any:
    """A bundle's value for a column, of the column's type, or a refusal naming the row and the column."""
    if value is None:
        if column.nullable and not column.primary_key:
            return None
        raise BundleError(f"{where}: {column.name} is empty.")
    kind = _python_type(column)
    try:
        if kind is datetime:
            decoded = datetime.fromisoformat(value)
            if decoded.tzinfo is None:
                raise ValueError
            return decoded
        if kind is date:
            return date.fromisoformat(value)
        if kind is time:
            return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise BundleError(f"{where}: {column.name} is not a valid {kind.__name__}: {value!r}.") from None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise BundleError(f"{where}: {column.name} is not a whole number: {value!r}.")
    if kind is str:
        if not isinstance(value, str) or "\x00" in value:
            raise BundleError(f"{where}: {column.name} is not text.")
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise BundleError(f"{where}: {column.name} is longer than {length} characters.")
    if kind is bool and not isinstance(value, bool):
        raise BundleError(f"{where}: {column.name} is not true or false.")
    return value


def decode_row(table: str, raw: dict, where: str) -> dict:
    columns = TABLES[table]
    names = {c.name for c in columns}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise BundleError(f"{where}: unknown column {unknown[0]} (a bundle from a newer version?).")
    missing = sorted(names - set(raw))
    if missing:
        raise BundleError(f"{where}: column {missing[0]} is missing.")
    return {c.name: _decode(c, raw[c.name], where) for c in columns}
