"""No GET request changes state: walking every page as every role leaves every table as it was."""

import pytest
import sqlalchemy as sa

from secretariat.archive.downloads import COPY_DOWNLOADED, FILE_DOWNLOADED
from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import file_record
from tests.factories import make_user
from tests.programme.helpers import make_initiative
from tests.routes import routes

#: rows that reading legitimately touches: the session's own bookkeeping (auth/sessions.py, write_on_read)
BOOKKEEPING = {"user_sessions"}
#: audit entries a GET writes: security logging of a refused access and of a file downloaded
#: (auth/access.py, archive/downloads.py), not a change of state
AUDITED_READS = ("access.denied", FILE_DOWNLOADED, COPY_DOWNLOADED)


def table_counts() -> dict[str, int]:
    """Rows per table; the audit entries of AUDITED_READS are security logging, not a change of state."""
    db.session.expire_all()
    counts = {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in BOOKKEEPING | {"audit_entries", "audit_head"}
    }
    counts["audit_entries"] = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action.not_in(AUDITED_READS))
    )
    return counts


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_get_requests_change_nothing(app, client, role):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated")
    make_initiative(coordinator, "ASEM-ECO-123", lead="JP")
    file_record(coordinator, "A record", meeting_id=meeting.id)
    from secretariat.archive import services

    services.sync()
    client.login(make_user(role, mfa=False if role in ("official", "observer") else None).email)
    before = table_counts()
    visited = 0
    for _endpoint, url in routes(app, "GET"):
        for concrete in {url, url.replace("/1", f"/{meeting.id}", 1)}:
            client.get(concrete)
            visited += 1
    assert visited > 40
    assert table_counts() == before


#: the statements a GET may send: the session's bookkeeping (auth/sessions.write_on_read, and the
#: two-factor setup page's pending secret) and the audit entries of AUDITED_READS
ALLOWED_WRITES = ("UPDATE user_sessions ", "INSERT INTO audit_entries ", "UPDATE audit_head ")


@pytest.mark.parametrize("role", ["official", "coordinator"])
def test_get_requests_write_only_the_sessions_bookkeeping(app, client, role, monkeypatch):
    """Stricter than counting rows: every INSERT, UPDATE or DELETE a GET sends, whatever its table."""
    from sqlalchemy import event

    from secretariat.archive import services
    from secretariat.auth import sessions

    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated")
    make_initiative(coordinator, "ASEM-ECO-123", lead="JP")
    file_record(coordinator, "A record", meeting_id=meeting.id)
    services.sync()
    client.login(make_user(role, mfa=False if role == "official" else None).email)
    monkeypatch.setattr(sessions, "TOUCH_INTERVAL", sessions.TOUCH_INTERVAL * 0)  # touch on every request
    writes: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(f"{request_url[0]}: {' '.join(statement.split())[:80]}")

    request_url = [""]
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        for _endpoint, url in routes(app, "GET"):
            request_url[0] = url.replace("/1", f"/{meeting.id}", 1)
            client.get(request_url[0])
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert any("UPDATE user_sessions " in write for write in writes)  # the touch was seen
    assert [write for write in writes if not write.split(": ", 1)[1].startswith(ALLOWED_WRITES)] == []
