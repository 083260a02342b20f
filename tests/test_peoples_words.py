"""Issue 28, point 10: people's words, not the program's. Field labels in histories, a readable
audit trail with links and a verify button, one date format in the reader's zone, proper plurals,
breaks without "No outcome recorded"."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from secretariat import audit
from secretariat.agenda import items, minutes
from secretariat.audit.models import AuditEntry
from secretariat.core.filters import day, field_words, plural, when
from secretariat.extensions import db
from secretariat.programme import reports
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# --- one date format, in the reader's zone, the zone named ------------------------------------------


def test_the_filters_write_one_format_in_a_named_zone(app):
    moment = datetime(2026, 12, 6, 12, 5, tzinfo=UTC)
    with app.test_request_context():
        assert when(moment) == "6 December 2026, 12:05 UTC"  # signed out: UTC
        assert when(moment, "Asia/Bangkok") == "6 December 2026, 19:05 Bangkok time"
        assert when(moment, "Europe/Brussels", seconds=True) == "6 December 2026, 13:05:00 Brussels time"
        assert when(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), "Asia/Tokyo") == "7 December 2026, 05:00 Tokyo time"
        assert day(date(2027, 3, 1)) == "1 March 2027"
        assert day(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), "Asia/Tokyo") == "7 December 2026"
        assert day("2027-03-01") == "1 March 2027"  # as mails keep their facts
        assert when(None) == "" and day(None) == ""


def test_a_moment_is_shown_in_the_readers_partners_zone(app, client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    item = make_initiative(coordinator, "ASEM-ECO-800", lead="TH")
    comment = reports.add_comment(item, "Noted.", actor=coordinator)
    comment.created_at = datetime(2026, 12, 6, 12, 5, tzinfo=UTC)
    db.session.commit()
    login_as("official", partner_code="TH")
    assert "6 December 2026, 19:05 Bangkok time" in page_text(client.get(f"/programme/initiatives/{item.id}"))
    client.logout()
    login_as("official", partner_code="FR")
    assert "6 December 2026, 13:05 Paris time" in page_text(client.get(f"/programme/initiatives/{item.id}"))


def test_templates_write_dates_through_the_filters_only():
    for template in TEMPLATES.rglob("*.*"):
        text = template.read_text()
        assert "isoformat()" not in text, template
        # strftime is left only for clock times of the venue (09:30) and a day heading in a timetable
        for fmt in re.findall(r"strftime\('([^']*)'\)", text):
            assert fmt in ("%H:%M", "%a %-d %b"), (template, fmt)


def test_no_template_writes_a_plural_in_brackets():
    for template in TEMPLATES.rglob("*.html"):
        assert not re.search(r"\w\(s\)", template.read_text()), template


def test_plurals(app):
    assert plural(1, "initiative") == "1 initiative"
    assert plural(0, "initiative") == "0 initiatives"
    assert plural(3, "entry", "entries") == "3 entries"


# --- field labels in the history ----------------------------------------------------------------------


def test_the_agenda_history_names_fields_as_people_do(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    item = add(meeting, coordinator, "Opening", duration_minutes=10)
    data = {**items.item_state(item), "duration_minutes": 25, "presenter": "Chair"}
    items.update_item(meeting, item, data, expected_version=item.version, actor=coordinator)
    db.session.commit()
    html = page_text(client.get(f"/meetings/{meeting.id}/versions"))
    assert "Edited item 1 “Opening”: Duration, Presenter" in html
    assert "duration_minutes" not in html
    assert field_words("Edited item 2 “X”: lead_partners") == "Edited item 2 “X”: Lead partners"
    assert field_words("Moved item 2 “X: y” to 3") == "Moved item 2 “X: y” to 3"


# --- the audit trail --------------------------------------------------------------------------------


def test_the_audit_trail_reads_as_sentences_with_links(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title="Old title")
    # what agenda/services.update_meeting records for a changed title
    audit.record(coordinator, "meeting.update", meeting, diff={"title": ["Old title", "New title"]})
    db.session.commit()
    login_as("admin")
    html = page_text(client.get("/admin/audit"))
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    row = next(row for row in body.split("<tr>") if "Meeting changed" in row)
    assert coordinator.email in row
    assert f'<a href="/meetings/{meeting.id}">Meeting {meeting.id}</a>' in row
    assert "<li>Title: <del>Old title</del> → <ins>New title</ins></li>" in row
    assert "{&#34;" not in body and '{"' not in body and "agenda.item" not in body
    assert ">meetings " not in body  # no table names
    # when, in the reader's zone (the administrator's partner is Japan), the zone named
    assert re.search(r"<td>\d{1,2} \w+ \d{4}, \d\d:\d\d:\d\d Tokyo time</td>", row)


def test_an_administrator_verifies_the_chain_from_the_trail(client, login_as):
    login_as("admin")
    html = page_text(client.get("/admin/audit"))
    assert 'action="/admin/audit/verify"' in html and "Verify the whole chain now" in html
    response = client.submit("/admin/audit/verify", page="/admin/audit", follow_redirects=True)
    html = page_text(response)
    assert re.search(r"The audit chain is intact: \d+ entries verified\.", html)
    check = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "audit.verify"))
    assert check is not None and '"ok":true' in check.details
    assert "Audit chain verified" in html


def test_a_rewritten_entry_shows_as_broken_from_the_trail(client, login_as):
    login_as("admin")
    first = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq))
    db.session.execute(
        sa.text("UPDATE audit_entries SET actor_label = 'someone else' WHERE id = :id"), {"id": first.id}
    )
    db.session.commit()
    html = page_text(client.submit("/admin/audit/verify", page="/admin/audit", follow_redirects=True))
    assert f"The audit chain is broken at entry {first.seq}: content does not match its hash" in html


def test_only_those_who_read_the_trail_may_verify_it(client, login_as):
    login_as("coordinator")
    assert client.submit("/admin/audit/verify", page="/").status_code == 403


# --- breaks in the minutes -------------------------------------------------------------------------------


def test_breaks_do_not_say_no_outcome_in_the_minutes(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Statements")
    add(meeting, coordinator, "Coffee", item_type="break", duration_minutes=15)
    add(meeting, coordinator, "Any other business")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="Met.", decisions={}, expected_version=0, actor=coordinator)
    db.session.commit()
    html = page_text(client.get(f"/meetings/{meeting.id}/minutes/print"))
    assert html.count("No outcome recorded.") == 2
    coffee = html[html.index("Coffee") :]
    assert coffee.index("</li>") < coffee.index("No outcome recorded.")
