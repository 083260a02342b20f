"""The home page: what needs each user now, their partner's action points and initiatives, upcoming
meetings and silence procedures, each list in order, escaped, and only what the user may see."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from secretariat.agenda.models import ActionPoint, Minutes
from secretariat.core.queries import REPORT_INTERVAL
from secretariat.extensions import db
from secretariat.programme import reports
from secretariat.programme import services as programme
from secretariat.programme.models import SilencePosition, SilenceProcedure
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text, partner
from tests.programme.helpers import make_initiative

NASTY = "<b>&\"'x</b>"
ESCAPED = "&lt;b&gt;&amp;&#34;&#39;x&lt;/b&gt;"
DAY = timedelta(days=1)


def _scenario():
    """Meetings (one of coordinators, one drafting), action points of JP, silence procedures (one JP
    answered), JP's initiatives with overdue milestones and reports awaiting review; text to escape."""
    coordinator = make_user("coordinator", partner_code="EU")
    today = datetime.now(UTC).date()
    ids = {}
    for n, (kind, city) in enumerate([("som", "Brussels"), ("coordinators", "Paris"), ("som", ""), ("som", NASTY)]):
        meeting = make_meeting(
            coordinator,
            title=f"M{n} {NASTY}",
            code=f"C{n}",
            kind=kind,
            city=city,
            start_date=today + n * DAY,
            end_date=today + (n + 1) * DAY,
        )
        ids[f"M{n}"] = meeting.id
    meeting.status = "drafting"
    past = make_meeting(coordinator, title=f"Past {NASTY}", code="P", start_date=today - 30 * DAY, end_date=today)
    ids["past"] = past.id
    db.session.add(Minutes(meeting_id=past.id, status="adopted"))  # partners read adopted minutes' action points
    jp, de = partner("JP"), partner("DE")
    for text, due in [("AP late", date(2026, 1, 5)), ("AP undated", None), ("AP early", date(2025, 12, 1))]:
        db.session.add(
            ActionPoint(meeting_id=past.id, text=f"{text} {NASTY}", responsible_partner_id=jp.id, due_date=due)
        )
    db.session.add(
        ActionPoint(meeting_id=past.id, text="AP done", responsible_partner_id=jp.id, done_at=datetime.now(UTC))
    )
    db.session.add(ActionPoint(meeting_id=past.id, text="AP of DE", responsible_partner_id=de.id))
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    procedures = [
        SilenceProcedure(
            subject=f"S{i} {NASTY}",
            text_source="t",
            text_html="t",
            deadline=midnight + (i + 2) * DAY + timedelta(hours=3 + i, minutes=7),
            deadline_zone=zone,
            created_by_id=coordinator.id,
        )
        for i, zone in enumerate(["Europe/Brussels", "Asia/Tokyo", "America/New_York"])
    ]
    procedures.append(
        SilenceProcedure(
            subject="Decided",
            text_source="t",
            text_html="t",
            deadline=midnight + DAY,
            created_by_id=coordinator.id,
            outcome="adopted",
        )
    )
    db.session.add_all(procedures)
    db.session.flush()
    db.session.add(
        SilencePosition(
            procedure_id=procedures[0].id,
            partner_id=jp.id,
            position="agreed",
            reason="",
            user_id=coordinator.id,
            created_at=datetime.now(UTC),
        )
    )
    ids["silence"] = [p.id for p in procedures]
    db.session.commit()
    author = make_user("official", partner_code="DE", name="Author")
    for n in range(3):
        item = make_initiative(
            coordinator, f"ASEM-SOC-00{n}", lead="JP" if n != 1 else "DE", co=["JP", "DE"], status="ongoing"
        )
        ids[f"I{n}"] = item.id
        programme.add_milestone(
            item, title=f"ML{n} {NASTY}", kind="milestone", due=date(2020, 1, n + 1), actor=coordinator
        )
        programme.add_milestone(item, title=f"Tie{n}", kind="milestone", due=date(2020, 1, 1), actor=coordinator)
        programme.add_milestone(item, title=f"Future{n}", kind="milestone", due=date(2099, 1, 1), actor=coordinator)
    make_initiative(coordinator, "ASEM-SOC-009", lead="DE", status="ongoing")  # not JP's
    db.session.commit()
    report = reports.submit_report(
        db.session.get(programme.Initiative, ids["I1"]),
        period_start=date(2020, 1, 1),
        period_end=date(2020, 6, 30),
        text="R.",
        milestones_done=set(),
        actor=author,
    )
    db.session.commit()
    ids["report"] = report.id
    return ids


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def _in_order(html: str, *parts: str) -> None:
    at = 0
    for part in parts:
        found = html.find(part, at)
        assert found >= 0, (part, html[at : at + 2000])
        at = found + len(part)


def test_official_sees_each_list_in_order_with_its_links_escaped(client, login_as):
    ids = _scenario()
    login_as("official", partner_code="JP")
    html = _main(page_text(client.get("/")))
    s = ids["silence"]
    _in_order(
        html,
        # what needs them: the procedures JP has not answered, in their zone and in the reader's
        f'<li><a href="/programme/silence/{s[1]}">Silence procedure: S1 {ESCAPED}</a>',
        "Japan has not answered · silence means agreement at ",
        ", 13:07 Tokyo time</span></li>",
        f'<li><a href="/programme/silence/{s[2]}">Silence procedure: S2 {ESCAPED}</a>',
        ", 00:07 New York time (",
        ", 14:07 Tokyo time)</span></li>",
        # action points: earliest due first, undated last, each to its meeting's action points
        f'<li><a href="/meetings/{ids["past"]}#actions">Action point: AP early {ESCAPED}</a>',
        f'<span class="muted">Past {ESCAPED} · due 1 December 2025</span></li>',
        "Action point: AP late",
        " · due 5 January 2026</span></li>",
        "Action point: AP undated",
        f"Past {ESCAPED}</span></li>",
        f'<li><a href="/programme/initiatives/{ids["I0"]}/reports/new">Progress report due: ASEM-SOC-000 ',
        f'<li><a href="/programme/initiatives/{ids["I2"]}/reports/new">Progress report due: ASEM-SOC-002 ',
        "</ul>",
        # upcoming meetings the official may see: no coordinators' meeting
        f'<li><a href="/meetings/{ids["past"]}">Past {ESCAPED}</a>',
        f'<li><a href="/meetings/{ids["M0"]}">M0 {ESCAPED}</a>',
        ", Brussels</span></li>",
        f'<li><a href="/meetings/{ids["M2"]}">M2 {ESCAPED}</a>\n        <span class="muted">',
        f'<li><a href="/meetings/{ids["M3"]}">M3 {ESCAPED}</a>',
        f", {ESCAPED}</span></li>",
        # the partner's action points with their forms, dates as everywhere
        f"<li>AP early {ESCAPED}\n",
        " · due 1 December 2025</span>",
        'action="/meetings/action-points/',
        '<input type="hidden" name="back" value="home">',
        f'<span class="visually-hidden">: AP early {ESCAPED}</span>',
        "<li>AP late",
        "<li>AP undated",
        # the work programme: three initiatives of JP; overdue milestones by date, then as recorded
        "3 initiatives led or co-sponsored.",
        f'<li>ML0 {ESCAPED} <span class="muted">ASEM-SOC-000 · due 1 January 2020</span></li><li>Tie0 ',
        '</li><li>Tie1 <span class="muted">ASEM-SOC-001 · due 1 January 2020</span></li><li>Tie2 ',
        "<li>ML1 ",
        "<li>ML2 ",
        # the open procedures, the ones JP has not answered marked
        f'<li><a href="/programme/silence/{s[0]}">S0 {ESCAPED}</a>',
        " Tokyo time</span></li>",
        f'<li><a href="/programme/silence/{s[1]}">S1',
        " Tokyo time · your partner has not answered</span></li>",
    )
    assert "AP done" not in html and "AP of DE" not in html and "Decided" not in html
    assert f"M1 {ESCAPED}" not in html and "Future" not in html and "Agenda in drafting" not in html
    assert "Report to review" not in html and "Reports awaiting review" not in html
    assert html.count('name="csrf_token"') == 3


def test_coordinator_sees_reports_to_review_and_agendas_in_drafting(client, login_as):
    ids = _scenario()
    login_as("coordinator", partner_code="JP")
    html = _main(page_text(client.get("/")))
    review = f"/programme/initiatives/{ids['I1']}#report-{ids['report']}"
    _in_order(
        html,
        f'<li><a href="{review}">Report to review: ASEM-SOC-001 by Germany</a></li>',
        f'<li><a href="/meetings/{ids["M3"]}">Agenda in drafting: M3 {ESCAPED}</a>',
        '<span class="muted">meets ',
        "; partners see nothing until it is circulated</span></li>",
        f'<li><a href="/meetings/{ids["M1"]}">M1 {ESCAPED}</a>',  # a coordinators' meeting
        f'<h3>Reports awaiting review</h3>\n    <ul class="plain-list"><li><a href="{review}">'
        "ASEM-SOC-001: report by Germany</a></li></ul>",
    )


@pytest.mark.parametrize("role", ["observer", "admin"])
def test_who_may_not_contribute_sees_no_forms_nor_reports_due(client, login_as, role):
    _scenario()
    login_as(role, partner_code="JP")
    html = _main(page_text(client.get("/")))
    assert "<li>AP early" in html and "Mark done" not in html and 'name="csrf_token"' not in html
    assert "Silence procedure:" not in html and "Progress report due" not in html
    assert ('<h2 id="admin">Administration</h2>' in html) == (role == "admin")


def _queries(client) -> int:
    count = [0]

    def on_execute(*_args, **_kwargs):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return count[0]


def test_action_points_of_many_meetings_load_no_meeting_each(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    jp = partner("JP")

    def point(n: int) -> None:
        meeting = make_meeting(coordinator, title=f"Meeting {n}", code=f"A{n}")
        db.session.add(Minutes(meeting_id=meeting.id, status="adopted"))
        db.session.add(ActionPoint(meeting_id=meeting.id, text=f"Point {n}", responsible_partner_id=jp.id))
        db.session.commit()

    point(0)
    login_as("official", partner_code="JP")
    before = _queries(client)
    for n in range(1, 6):
        point(n)
    assert _queries(client) == before
    assert page_text(client.get("/")).count("Action point: Point") == 6


def test_action_points_of_a_coordinators_meeting_show_only_to_those_who_may_see_it(client, login_as):
    """An official never learns a coordinators' meeting's title from its action points, which they
    could neither open nor mark done; a coordinator of the same partner sees them."""
    ids = _scenario()
    db.session.add(Minutes(meeting_id=ids["M1"], status="adopted"))
    db.session.add(
        ActionPoint(meeting_id=ids["M1"], text="AP behind closed doors", responsible_partner_id=partner("JP").id)
    )
    db.session.commit()
    login_as("official", partner_code="JP")
    html = _main(page_text(client.get("/")))
    assert "AP early" in html
    assert "AP behind closed doors" not in html and f'href="/meetings/{ids["M1"]}#actions"' not in html
    client.logout()
    login_as("coordinator", partner_code="JP")
    html = _main(page_text(client.get("/")))
    assert "AP behind closed doors" in html and f'href="/meetings/{ids["M1"]}#actions"' in html


def _upcoming(html: str) -> list[str]:
    """The titles in the "Upcoming meetings" card, in order."""
    card = html[html.index('<h2 id="upcoming">') : html.index('<h2 id="actions">')]
    return re.findall(r'<li><a href="/meetings/\d+">([^<]*)</a>', card)


def test_upcoming_meetings_are_the_next_five_not_over_that_the_user_may_see(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    today = datetime.now(UTC).date()
    make_meeting(coordinator, title="Over yesterday", code="A", start_date=today - 3 * DAY, end_date=today - DAY)
    make_meeting(coordinator, title="Ends today", code="B", start_date=today - 2 * DAY, end_date=today)
    make_meeting(coordinator, title="Same day, made first", code="C", start_date=today + DAY, end_date=today + DAY)
    make_meeting(coordinator, title="Same day, made second", code="D", start_date=today + DAY, end_date=today + 2 * DAY)
    make_meeting(
        coordinator, title="Coordinators only", code="E", kind="coordinators", start_date=today, end_date=today
    )
    for n in range(6):
        make_meeting(
            coordinator,
            title=f"Later {n}",
            code=f"L{n}",
            start_date=today + (10 + n) * DAY,
            end_date=today + (10 + n) * DAY,
        )
    db.session.commit()
    login_as("coordinator", partner_code="JP")
    assert _upcoming(page_text(client.get("/"))) == [
        "Ends today",
        "Coordinators only",
        "Same day, made first",
        "Same day, made second",
        "Later 0",
    ]
    client.logout()
    for role in ("official", "observer"):
        login_as(role, partner_code="JP")
        html = page_text(client.get("/"))
        assert _upcoming(html) == ["Ends today", "Same day, made first", "Same day, made second", "Later 0", "Later 1"]
        assert f"{(today - 2 * DAY).strftime('%-d %B %Y')}, Brussels</span>" in html
        client.logout()


def _report(initiative, author, submitted_at: datetime) -> None:
    report = reports.submit_report(
        initiative,
        period_start=date(2020, 1, 1),
        period_end=date(2020, 6, 30),
        text="Report.",
        milestones_done=set(),
        actor=author,
    )
    report.submitted_at = submitted_at
    db.session.commit()


def test_reports_due_are_the_active_initiatives_without_a_recent_report(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    author = make_user("official", partner_code="TH", name="Author")
    now = datetime.now(UTC)
    recent = make_initiative(coordinator, "ASEM-SOC-001", lead="TH", status="ongoing")
    _report(recent, author, now - timedelta(days=10))
    old = make_initiative(coordinator, "ASEM-SOC-002", lead="DE", co=["TH"], status="endorsed")
    _report(old, author, now - REPORT_INTERVAL - DAY)
    never = make_initiative(coordinator, "ASEM-SOC-003", lead="TH", status="ongoing")
    make_initiative(coordinator, "ASEM-SOC-004", lead="TH", status="proposed")  # not active: nothing due
    finished = make_initiative(coordinator, "ASEM-SOC-005", lead="TH", status="ongoing")
    programme.change_status(
        finished, "completed", effective=date(2026, 1, 1), meeting_id=None, note="", actor=coordinator
    )
    make_initiative(coordinator, "ASEM-SOC-006", lead="DE", status="ongoing")  # not the partner's
    db.session.commit()

    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    due = re.findall(r'href="/programme/initiatives/(\d+)/reports/new">Progress report due: (ASEM-SOC-\d+)', html)
    assert due == [(str(old.id), "ASEM-SOC-002"), (str(never.id), "ASEM-SOC-003")]
    assert "5 initiatives led or co-sponsored." in html


def test_overdue_milestones_are_those_of_the_partners_initiatives(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    initiative = make_initiative(coordinator, "ASEM-SOC-010", lead="DE", status="ongoing")
    programme.add_milestone(initiative, title="Late", kind="milestone", due=date(2020, 1, 1), actor=coordinator)
    db.session.commit()
    login_as("official", partner_code="TH")
    html = page_text(client.get("/"))
    assert "0 initiatives led or co-sponsored." in html and "Overdue milestones" not in html
    client.logout()
    login_as("official", partner_code="DE")
    html = page_text(client.get("/"))
    assert "<h3>Overdue milestones</h3>" in html
    assert '<li>Late <span class="muted">ASEM-SOC-010 · due 1 January 2020</span></li>' in html


def test_a_procedure_past_its_deadline_is_no_longer_open(client, login_as):
    """Silence settled it at the deadline, whether or not `programme settle-silence` has run yet."""
    coordinator = make_user("coordinator", partner_code="EU")
    now = datetime.now(UTC)
    for subject, deadline in [("Past deadline", now - timedelta(minutes=1)), ("Still silent", now + DAY)]:
        db.session.add(
            SilenceProcedure(
                subject=subject, text_source="t", text_html="t", deadline=deadline, created_by_id=coordinator.id
            )
        )
    db.session.commit()
    login_as("official", partner_code="JP")
    html = _main(page_text(client.get("/")))
    assert "Silence procedure: Still silent" in html and "Past deadline" not in html
