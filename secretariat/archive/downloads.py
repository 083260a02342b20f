"""Every download of an archive file is an audit entry: the one write the archive's GETs make.

ASVS 4.0.3 V7.1 and V8.3.5: access to sensitive data is logged. The application log alone is not
enough, since an official's account that downloads everything it may read must leave a trace in the
tamper-evident trail (audit/services.py), where an administrator sees who took which file when.

A GET normally writes nothing: database.end_reads_with_commit never commits what a GET left pending,
and tests/security/test_safe_methods.py holds every GET to that. So the entry is committed here, at
once, as auth/sessions.write_on_read commits a session's bookkeeping: after the access checks passed
and the stored bytes were read (a refused, missing or unreadable file writes nothing), and before
the bytes are returned. If the entry cannot be written (the database is locked or gone), the error
is not caught: errors.unexpected_error rolls back and answers with the generic error page, so no
file ever leaves unaudited.
"""

from __future__ import annotations

from flask import current_app

from secretariat import audit
from secretariat.extensions import db

#: the record's file as it was filed, byte for byte
FILE_DOWNLOADED = "archive.file_downloaded"
#: the searchable PDF/A copy the worker made of a scanned file (archive/searchable_copy.py)
COPY_DOWNLOADED = "archive.copy_downloaded"


def write_on_download(actor, action: str, record, version, row, sha256: str) -> None:
    """Chain and commit the entry for a file about to be served: who, which record, version and
    file, and the hash of the bytes served (never the bytes)."""
    details = {
        "record_id": record.id,
        "version": version.number,
        "file_id": row.id,
        "filename": row.filename,
        "sha256": sha256,
    }
    try:
        audit.record(actor, action, record, **details)
        db.session.commit()
    except Exception:
        current_app.logger.error(
            "download of file %s (record %s, version %s) refused: its audit entry could not be written",
            details["file_id"],
            details["record_id"],
            details["version"],
        )
        raise
