"""Main pages run a bounded number of SQL queries, whatever the amount of data (no N+1)."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from secretariat.agenda import minutes
from secretariat.agenda.models import AgendaItem
from secretariat.archive import services
from secretariat.archive.models import Record
from secretariat.extensions import db
from secretariat.programme import reports, silence
from secretariat.programme import services as programme
from secretariat.programme.models import Initiative, SilencePosition
from secretariat.timeutil import utcnow
from tests.agenda.helpers import add, item_form, make_meeting, set_status
from tests.archive.helpers import file_record
from tests.factories import make_user
from tests.programme.helpers import make_initiative

MAX_QUERIES = 12
#: a lead partner each: the session loads a partner once by id, so an N+1 on leads shows only if they differ
LEADS = "JP TH SG CN IN ID MY PH KH LA MM BN MN PK BD AU NZ RU DE FR".split()  # noqa: SIM905 (not KR, VN: co-sponsors)


def queries_for(client, url) -> int:
    count = [0]

    def on_execute(*_args, **_kwargs):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200, url
    return count[0]


def grow(coordinator, meeting, n: int, start: int, steps: tuple[str, ...]) -> None:
    """n more agenda items, initiatives (each with a report awaiting review), records; the first
    initiative takes the status steps given (each naming a meeting) and gains a comment per round."""
    for i in range(start, start + n):
        add(meeting, coordinator, f"Item {i}", lead_partners=["JP", "EU", "KH"], coordinator_notes="note")
        initiative = make_initiative(coordinator, f"ASEM-ECO-{i:03d}", lead=LEADS[i % len(LEADS)], co=["KR", "VN"])
        reports.submit_report(
            initiative,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 6, 30),
            text=f"Progress {i}",
            milestones_done=set(),
            actor=coordinator,
        )
        file_record(coordinator, f"Record {i} water", partners=["JP", "TH"], meeting_id=meeting.id)
    first = db.session.scalar(sa.select(Initiative).order_by(Initiative.id).limit(1))
    for target in steps:
        programme.change_status(
            first, target, effective=date(2025, 7, 1), meeting_id=meeting.id, note="", actor=coordinator
        )
    for i in range(start, start + n):
        reports.add_comment(first, f"Comment {i}", actor=coordinator)
    db.session.commit()
    services.sync()  # measure pages, not the index catching up with pending changes


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_main_pages_query_count_is_small_and_does_not_grow(app, client, role):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    grow(coordinator, meeting, 5, 0, steps=("endorsed",))
    set_status(meeting, coordinator, "drafting", "circulated")
    add(meeting, coordinator, "Late item")
    set_status(meeting, coordinator, "circulated")
    services.sync()
    client.login(make_user(role).email)
    initiative_id = db.session.scalar(sa.select(sa.func.min(Initiative.id)))
    record_id = db.session.scalar(sa.select(sa.func.min(Record.id)))
    pages = [
        "/",
        "/meetings/",
        f"/meetings/{meeting.id}",
        f"/meetings/{meeting.id}/compare?from=v1&to=v2",
        "/programme/",
        f"/programme/initiatives/{initiative_id}",
        "/archive/?q=water",
        "/archive/?q=eco&type=initiative",  # initiatives with their lead partners (records: above)
        f"/archive/records/{record_id}",
    ]
    if role == "admin":
        pages += ["/admin/users", "/admin/audit"]
    before = {url: queries_for(client, url) for url in pages}
    grow(coordinator, meeting, 15, 5, steps=("ongoing",))
    after = {url: queries_for(client, url) for url in pages}
    for url in pages:
        assert after[url] <= MAX_QUERIES, (url, after[url])
    assert after == before


def statements_of_post(client, url: str, data: dict, form_page: str) -> tuple[int, int]:
    """SQL statements of one form POST, in all and after its last COMMIT; it must redirect.

    The CSRF token is taken from ``form_page`` beforehand, off the count.
    """
    data = {**data, "csrf_token": client.csrf_token(form_page)}
    statements, at_commit = [0], [0]

    def on_execute(*_args, **_kwargs):
        statements[0] += 1

    def on_commit(*_args, **_kwargs):
        at_commit[0] = statements[0]

    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_commit)
    try:
        response = client.post(url, data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
        event.remove(db.engine, "commit", on_commit)
    assert response.status_code == 302, (url, response.status_code)
    return statements[0], statements[0] - at_commit[0]


def test_a_save_does_not_read_again_what_it_wrote(app, client):
    """A comment, an agenda item's edit and a proposal: nothing read after the commit to build the
    redirect (a commit expires the objects, and reading one loads it again with its relationships),
    and a comment reads none of the initiative's relationships.

    A comment on an initiative with co-sponsors and contacts once took 12 statements, 5 of them
    reading its lead, co-sponsors and contacts before and after the commit (17.6 ms on PostgreSQL,
    8.9 ms without them: bench/README, ninth pass).
    """
    coordinator = make_user("coordinator", partner_code="EU")
    contact = make_user("official", partner_code="KR")
    initiative = make_initiative(coordinator, "ASEM-ECO-950", lead="JP", co=["KR", "VN", "TH"])
    initiative.contacts.append(contact)
    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Connectivity", lead_partners=["JP", "EU", "KH"])
    db.session.commit()
    client.login(coordinator.email)
    page = f"/programme/initiatives/{initiative.id}"
    comment, after = statements_of_post(client, page + "/comments", {"text": "Agreed."}, page)
    # the session check, the initiative, the comment, the audit entry (3), and its mail to the people
    # who run the initiative: who they are (one statement over the link tables), their preferences,
    # the outbox rows
    assert (comment, after) == (9, 0)
    edit_url = f"/meetings/{meeting.id}/items/{item.id}/edit"
    form = item_form("Connectivity and transport", version="1", lead_partners=["JP", "EU", "KH"])
    edit, after = statements_of_post(client, edit_url, form, edit_url)
    # the session check, the meeting, the item and its partners, the form's partners; the lock, the
    # meeting and the item read again under it, its partners, the partners chosen, one UPDATE of
    # the item, the agenda and its partners read once for the item's number and the revision, the
    # editor (the lock expired every object), the revision, the audit entry (3). It took 21 when
    # the agenda was read twice and the item updated twice.
    assert (edit, after) == (18, 0)
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).title == "Connectivity and transport"
    new_url = f"/meetings/{meeting.id}/items/new"
    _, after = statements_of_post(client, new_url, item_form("Trade facilitation"), new_url)
    assert after == 0
    # a partner's position in a silence procedure, the write of a summit's last days
    procedure = silence.start(
        subject="Endorse the Chair's Statement",
        text="Text",
        deadline_local=(utcnow() + timedelta(days=2)).replace(tzinfo=None, second=0, microsecond=0),
        zone="UTC",
        initiative=None,
        proposed_status=None,
        actor=coordinator,
    )
    db.session.commit()
    client.logout()
    client.login(contact.email)
    silence_page = f"/programme/silence/{procedure.id}"
    _, after = statements_of_post(client, silence_page + "/position", {"position": "agreed"}, silence_page)
    assert after == 0
    position = db.session.scalar(sa.select(SilencePosition).where(SilencePosition.procedure_id == procedure.id))
    assert (position.user_id, position.partner.code) == (contact.id, "KR")  # the contact's, for Korea


def test_the_initiative_page_reads_the_filed_records_with_the_reports(app, client):
    """Each report's archive record (filed as ``progress-report:<id>``) comes in the reports' own
    statement: one statement fewer than a second query for the reports' ids (10 → 9 for an official)."""
    coordinator = make_user("coordinator", partner_code="EU")
    initiative = make_initiative(coordinator, "ASEM-ECO-960", lead="JP", co=["KR"])
    for half in (1, 7):
        reports.submit_report(
            initiative,
            period_start=date(2025, half, 1),
            period_end=date(2025, half + 5, 28),
            text=f"Progress from month {half}",
            milestones_done=set(),
            actor=coordinator,
        )
    db.session.commit()
    filed = db.session.scalars(sa.select(Record.id).where(Record.source_ref.like("progress-report:%"))).all()
    assert len(filed) == 2
    client.login(make_user("official").email)
    url = f"/programme/initiatives/{initiative.id}"
    client.get(url)  # the index settles on a first visit
    # the session check, the initiative, its co-sponsors, its contacts, the reports with their
    # records, the milestones, the history, the comments, the silence procedures
    assert queries_for(client, url) == 9
    page = client.get(url).get_data(as_text=True)
    for record_id in filed:
        assert f'<a href="/archive/records/{record_id}">Filed in the archive</a>' in page


def test_the_meeting_page_reads_the_minutes_with_the_meeting(app, client):
    """The minutes (one per meeting at most) come in the meeting's own statement (10 → 9)."""
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="The SOM *met*.", decisions={}, expected_version=0, actor=coordinator)
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    client.login(make_user("official").email)
    url = f"/meetings/{meeting.id}"
    client.get(url)
    # the session check, the meeting with its minutes and whether the reader follows it, the latest
    # version, the minutes' outcomes, the partners' names, the proposals, the action points, the
    # initiatives it mandated, its records
    assert queries_for(client, url) == 9
    assert "<em>met</em>" in client.get(url).get_data(as_text=True)
