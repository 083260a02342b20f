"""Initiatives: lists and filters, edits with conflicts, status rules, milestones, mandates, CSV."""

import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from secretariat.programme import services
from secretariat.programme.models import Initiative, StatusChange
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text
from tests.html_checks import executable_bits
from tests.programme.helpers import make_initiative


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def test_list_filters_by_pillar_status_partner_and_overdue(client, login_as, coordinator):
    a = make_initiative(coordinator, "ASEM-ECO-001", lead="SG", co=["JP"])
    make_initiative(coordinator, "ASEM-SOC-002", lead="FR", pillar="social", status="ongoing")
    services.add_milestone(a, title="Late report", kind="deliverable", due=date(2020, 1, 1), actor=coordinator)
    db.session.commit()
    login_as("observer")
    assert "ASEM-ECO-001" in page_text(client.get("/programme/?pillar=economic"))
    assert "ASEM-SOC-002" not in page_text(client.get("/programme/?pillar=economic"))
    assert "ASEM-SOC-002" in page_text(client.get("/programme/?status=ongoing"))
    by_cosponsor = page_text(client.get("/programme/?partner=JP"))
    assert "ASEM-ECO-001" in by_cosponsor and "ASEM-SOC-002" not in by_cosponsor
    # the filter form shows what was chosen, among every partner
    assert '<option value="JP" selected>Japan</option>' in by_cosponsor
    assert by_cosponsor.count("<option value=") >= 53 + 1 and by_cosponsor.count(" selected>") == 1
    overdue = page_text(client.get("/programme/?overdue=1"))
    assert "ASEM-ECO-001" in overdue and "ASEM-SOC-002" not in overdue and "milestone overdue" in overdue
    # the whole list marks the late initiative's row, and only it, with the list's count
    everything = page_text(client.get("/programme/"))
    rows = {row.split("</td>")[0].rsplit(">", 1)[1]: row for row in everything.split("<tr>")[2:]}
    assert "milestone overdue" in rows["ASEM-ECO-001"] and "milestone overdue" not in rows["ASEM-SOC-002"]
    assert "Initiatives, 2 in all" in everything


def test_partner_view_shows_what_is_due(client, login_as, coordinator):
    a = make_initiative(coordinator, "ASEM-ECO-003", lead="VN")
    services.add_milestone(
        a, title="Workshop in Hanoi", kind="milestone", due=utcnow().date() + timedelta(days=30), actor=coordinator
    )
    db.session.commit()
    login_as("official", partner_code="VN")
    body = page_text(client.get("/programme/partner"))
    assert "ASEM-ECO-003" in body and "Workshop in Hanoi" in body and "Lead" in body


def test_create_initiative_form_keeps_input_and_refuses_duplicate_codes(client, coordinator):
    make_initiative(coordinator, "ASEM-POL-001")
    client.login(coordinator.email)
    response = client.submit(
        "/programme/initiatives/new",
        {
            "code": "asem-pol-001",
            "title": "Typed title",
            "pillar": "political",
            "lead_partner": "KR",
            "summary_source": "Typed summary",
        },
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "already has the code ASEM-POL-001" in body and 'value="Typed title"' in body and "Typed summary" in body


def test_status_changes_follow_the_rules_with_date_and_meeting(client, coordinator):
    meeting = make_meeting(coordinator, title="SOM Vienna")
    item = make_initiative(coordinator)
    client.login(coordinator.email)
    bad = client.submit(
        f"/programme/initiatives/{item.id}/status",
        {"status": "completed", "effective_date": "2026-05-01", "note": "Typed note"},
    )
    # Completed is not offered from proposed: the form answers on the spot and keeps what was typed.
    assert bad.status_code == 400
    assert "Not a valid choice" in page_text(bad) and 'value="Typed note"' in page_text(bad)
    client.submit(
        f"/programme/initiatives/{item.id}/status",
        {
            "status": "endorsed",
            "effective_date": "2026-05-01",
            "meeting_id": str(meeting.id),
            "note": "Endorsed by SOM",
        },
    )
    db.session.expire_all()
    assert db.session.get(Initiative, item.id).status == "endorsed"
    change = db.session.scalars(sa.select(StatusChange).where(StatusChange.from_status.is_not(None))).one()
    assert change.effective_date == date(2026, 5, 1) and change.meeting_id == meeting.id
    page = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert "proposed → <strong>endorsed</strong>" in page and "SOM Vienna" in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "initiative.status"))
    assert json.loads(entry.details)["diff"] == {"status": ["proposed", "endorsed"]}


@pytest.mark.parametrize(
    "source, target",
    [("proposed", "ongoing"), ("completed", "ongoing"), ("withdrawn", "endorsed"), ("ongoing", "proposed")],
)
def test_disallowed_transitions_are_refused(coordinator, source, target):
    item = make_initiative(coordinator, status=source)
    with pytest.raises(services.ProgrammeRefused):
        services.change_status(item, target, effective=date(2026, 1, 1), meeting_id=None, note="", actor=coordinator)


def test_mandate_is_shown_both_ways(client, coordinator):
    summit = make_meeting(coordinator, title="ASEM1 Bangkok", kind="summit")
    item = make_initiative(
        coordinator, "ASEM-SOC-100", mandate_meeting_id=summit.id, mandate_reference="Chairman's Statement, para 19"
    )
    client.login(coordinator.email)
    assert "Chairman&#39;s Statement, para 19" in page_text(client.get(f"/programme/initiatives/{item.id}"))
    meeting_page = page_text(client.get(f"/meetings/{summit.id}"))
    assert "Initiatives mandated or endorsed here" in meeting_page
    assert (
        f'<li><a href="/programme/initiatives/{item.id}">ASEM-SOC-100 {item.title}</a>'
        ' <span class="muted">Chairman&#39;s Statement, para 19</span></li>'
    ) in meeting_page


def test_two_coordinators_editing_an_initiative(app, coordinator):
    item = make_initiative(coordinator)
    other = make_user("coordinator", partner_code="SG")
    alice, bob = app.test_client(), app.test_client()
    alice.login(coordinator.email)
    bob.login(other.email)
    url = f"/programme/initiatives/{item.id}/edit"
    base = {"code": item.code, "pillar": "economic", "lead_partner": "SG", "version": "1"}
    assert alice.submit(url, {**base, "title": "Alice's title"}).status_code == 302
    response = bob.submit(url, {**base, "title": "Bob's title"})
    assert response.status_code == 409
    assert "Bob&#39;s title" in page_text(response) and "Alice&#39;s title" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Initiative, item.id).title == "Alice's title"


def test_edits_are_audited_with_diffs(client, coordinator):
    item = make_initiative(coordinator)
    client.login(coordinator.email)
    client.submit(
        f"/programme/initiatives/{item.id}/edit",
        {
            "code": item.code,
            "title": "Renamed",
            "pillar": "social",
            "lead_partner": "SG",
            "co_sponsors": ["TH"],
            "version": "1",
        },
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "initiative.update"))
    diff = json.loads(entry.details)["diff"]
    assert diff["title"][1] == "Renamed" and diff["pillar"] == ["economic", "social"]
    assert diff["co_sponsors"] == [[], ["TH"]]


def test_csv_export_then_import_round_trip(client, coordinator):
    make_initiative(coordinator, "ASEM-ECO-010", co=["JP", "KR"], summary_source="=cmd|' /C calc'!A0")
    client.login(coordinator.email)
    exported = client.get("/programme/export.csv").get_data(as_text=True)
    assert "'=cmd" in exported  # formula defused
    db.session.execute(sa.update(Initiative).values(title="Changed locally"))
    db.session.commit()
    response = client.submit(
        "/programme/import", {"file": (io.BytesIO(exported.encode()), "i.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.scalar(sa.select(Initiative))
    assert item.title == "Initiative ASEM-ECO-010" and item.summary_source == "=cmd|' /C calc'!A0"
    assert sorted(p.code for p in item.co_sponsors) == ["JP", "KR"]


def test_csv_import_is_all_or_nothing_with_line_numbers(client, coordinator):
    client.login(coordinator.email)
    csv_text = (
        "code,title,pillar,lead_partner,co_sponsors,status,start_date,end_date,mandate_meeting,mandate_reference,summary\n"
        "ASEM-ECO-201,Good one,economic,JP,KR;CN,ongoing,2025-01-01,,,,\n"
        "ASEM-ECO-202,Bad pillar,cooking,JP,,,,,,,\n"
        "ASEM-ECO-203,Bad partner,social,XX,,,2025-13-01,,ASEM99,,\n"
    )
    response = client.submit(
        "/programme/import", {"file": (io.BytesIO(csv_text.encode()), "i.csv")}, content_type="multipart/form-data"
    )
    body = page_text(response)
    assert response.status_code == 400
    assert "Nothing was imported" in body
    assert "Line 3: pillar" in body and "Line 4: lead partner" in body and "Line 4: start_date" in body
    assert "Line 4: meeting" in body
    assert db.session.scalar(sa.select(sa.func.count(Initiative.id))) == 0


def test_csv_import_refuses_non_utf8_and_missing_columns(client, coordinator):
    client.login(coordinator.email)
    r = client.submit(
        "/programme/import",
        {"file": (io.BytesIO("code,title\n".encode("utf-16")), "x.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "not UTF-8" in page_text(r)
    r = client.submit(
        "/programme/import", {"file": (io.BytesIO(b"code,title\nA,B\n"), "x.csv")}, content_type="multipart/form-data"
    )
    assert "missing column(s): lead_partner, pillar" in page_text(r)


XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "{{7*7}}"]


@pytest.mark.parametrize("payload", XSS)
def test_rich_text_fields_are_inert(app, client, coordinator, payload):
    item = make_initiative(
        coordinator, "ASEM-SOC-777", lead="JP", title=f"T {payload}", summary_source=f"S {payload}", status="ongoing"
    )
    official = make_user("official", partner_code="JP")
    client.login(official.email)
    client.submit(
        f"/programme/initiatives/{item.id}/reports/new",
        {"period_start": "2026-01-01", "period_end": "2026-06-30", "text": f"R {payload}"},
    )
    client.submit(
        f"/programme/initiatives/{item.id}/comments", {"text": f"C {payload}"}, page=f"/programme/initiatives/{item.id}"
    )
    body = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert executable_bits(body) == []
    if "{{" in payload:
        assert "S {{7*7}}" in body and "R {{7*7}}" in body and "C {{7*7}}" in body and " 49" not in body


def test_the_status_form_offers_the_meetings_near_today_only(client, coordinator):
    today = utcnow().date()
    recent = make_meeting(coordinator, title="Recent SOM", code="SOM-R", start_date=today, end_date=today)
    old_day = today.replace(year=today.year - 10, day=1)
    old = make_meeting(coordinator, title="Old SOM", code="SOM-O", start_date=old_day, end_date=old_day)
    item = make_initiative(coordinator, "ASEM-ECO-321", lead="SG", status="proposed")
    db.session.commit()
    client.login(coordinator.email)
    page = page_text(client.get(f"/programme/initiatives/{item.id}/status"))
    assert f'value="{recent.id}"' in page and f'value="{old.id}"' not in page
    response = client.submit(
        f"/programme/initiatives/{item.id}/status",
        {"status": "endorsed", "effective_date": today.isoformat(), "meeting_id": str(old.id)},
    )
    assert response.status_code == 400
    db.session.refresh(item)
    assert item.status == "proposed"  # a meeting outside the offered ones is refused, nothing changes
    client.submit(
        f"/programme/initiatives/{item.id}/status",
        {"status": "endorsed", "effective_date": today.isoformat(), "meeting_id": str(recent.id)},
    )
    db.session.refresh(item)
    assert item.status == "endorsed"


def _saved_meanwhile(item) -> None:
    """Another save of the initiative's row, behind the session's back (the loaded object keeps its version)."""
    db.session.execute(
        sa.update(Initiative).where(Initiative.id == item.id).values(version=Initiative.version + 1),
        execution_options={"synchronize_session": False},
    )


def test_an_edit_saved_after_anothers_is_a_conflict(coordinator):
    """Both read version 1; the other saved between our read and our write: the version refuses our UPDATE."""
    item = make_initiative(coordinator)
    data = {**services.initiative_state(item), "title": "Mine", "contacts": [], "start_date": item.start_date}
    _saved_meanwhile(item)
    with pytest.raises(services.InitiativeConflict):
        services.update_initiative(item, data, expected_version=1, actor=coordinator)
    db.session.rollback()
    assert db.session.get(Initiative, item.id).title != "Mine"


def test_a_status_change_after_anothers_is_refused(coordinator):
    item = make_initiative(coordinator)
    _saved_meanwhile(item)
    with pytest.raises(services.ProgrammeRefused, match="changed meanwhile"):
        services.change_status(
            item, "endorsed", effective=date(2026, 1, 1), meeting_id=None, note="", actor=coordinator
        )
    db.session.rollback()
    assert db.session.get(Initiative, item.id).status == "proposed"


def test_an_edit_of_the_sponsors_alone_moves_the_version_on(coordinator):
    item = make_initiative(coordinator, co=["JP"])
    data = {
        **services.initiative_state(item),
        "co_sponsors": ["JP", "KR"],
        "contacts": [],
        "start_date": item.start_date,
    }
    services.update_initiative(item, data, expected_version=1, actor=coordinator)
    db.session.commit()
    assert db.session.get(Initiative, item.id).version == 2


def test_the_initiative_page_links_to_the_status_page_without_listing_meetings(client, coordinator):
    official = make_user("official", partner_code="JP")
    meeting = make_meeting(coordinator, title="SOM Lisbon", code="SOM-L")
    item = make_initiative(coordinator, "ASEM-ECO-322", lead="SG", status="proposed")
    db.session.commit()
    client.login(coordinator.email)
    page = page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert f'href="/programme/initiatives/{item.id}/status"' in page and "(to endorsed or withdrawn)" in page
    assert f'value="{meeting.id}"' not in page  # the meeting list is on the status page only
    client.logout()
    client.login(official.email)
    assert f"/programme/initiatives/{item.id}/status" not in page_text(client.get(f"/programme/initiatives/{item.id}"))
    assert client.get(f"/programme/initiatives/{item.id}/status").status_code == 403


def test_a_final_status_has_no_status_page(client, coordinator):
    item = make_initiative(coordinator, "ASEM-ECO-323", lead="SG", status="completed")
    db.session.commit()
    client.login(coordinator.email)
    response = client.get(f"/programme/initiatives/{item.id}/status")
    assert response.status_code == 302
    assert "is final" in page_text(client.get(f"/programme/initiatives/{item.id}"))
