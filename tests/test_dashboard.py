"""The home page: what needs each user now, their partner's action points and initiatives, upcoming
meetings and silence procedures, each list in order, escaped, and only what the user may see."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from secretariat.agenda import services as agenda
from secretariat.agenda.models import ActionPoint, AgendaVersion, ItemProposal, Minutes
from secretariat.auth.models import User, UserSession
from secretariat.core.queries import NEWS_WINDOW, REPORT_INTERVAL
from secretariat.extensions import db
from secretariat.mail import new_message_id
from secretariat.notify.models import Notification
from secretariat.programme import reports
from secretariat.programme import services as programme
from secretariat.programme.models import SilencePosition, SilenceProcedure
from secretariat.timeutil import as_utc, utcnow
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text, partner
from tests.programme.helpers import make_initiative
from tests.test_query_counts import MAX_QUERIES

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
    s = ids["silence"]
    _in_order(
        html,
        '<h2 id="needs-title">What needs you now</h2>',
        '<h3 id="proposals-title">Proposals awaiting a decision (0)</h3>',
        "<p>No proposal waits for a decision.</p>",
        '<h3 id="drafting-title">Agendas in drafting (1)</h3>',
        f'<li><a href="/meetings/{ids["M3"]}">Agenda in drafting: M3 {ESCAPED}</a>',
        '<span class="muted">meets ',
        "; partners see nothing until it is circulated</span></li>",
        # every procedure running, the one JP answered without the mark
        '<h3 id="running-title">Silence procedures running (3)</h3>',
        f'<li><a href="/programme/silence/{s[0]}">Silence procedure: S0 {ESCAPED}</a>',
        " (03:07 UTC) · 0 partners broke silence</span></li>",
        f'<li><a href="/programme/silence/{s[1]}">Silence procedure: S1 {ESCAPED}</a>',
        " (04:07 UTC) · 0 partners broke silence · Japan has not answered</span></li>",
        '<h3 id="review-title">Reports awaiting review (1)</h3>',
        f'<li><a href="{review}">Report to review: ASEM-SOC-001 by Germany</a></li>',
        '<h3 id="due-title">Due from Japan (',
        "Action point: AP early",
        "Progress report due: ASEM-SOC-000",
        f'<li><a href="/meetings/{ids["M1"]}">M1 {ESCAPED}</a>',  # a coordinators' meeting
    )
    assert "Agendas circulated to you" not in html  # they circulate them


@pytest.mark.parametrize("role", ["observer", "admin"])
def test_who_may_not_contribute_sees_no_forms_nor_reports_due(client, login_as, role):
    """Observers and administrators read the partner's action points and the procedures, but are offered
    no action and never told that their partner has not answered (they cannot answer)."""
    ids = _scenario()
    login_as(role, partner_code="JP")
    html = _main(page_text(client.get("/")))
    assert "<li>AP early" in html and "Mark done" not in html and 'name="csrf_token"' not in html
    assert "Silence procedure:" not in html and "Progress report due" not in html
    assert "has not answered" not in html and "What needs you now" not in html
    assert f'<li><a href="/programme/silence/{ids["silence"][1]}">S1 {ESCAPED}</a>' in html
    assert ('<h2 id="admin">User management</h2>' in html) == (role == "admin")


def test_user_management_comes_first_for_administrators(client, login_as):
    make_user("official", partner_code="DE", password=None)  # has not set a password yet
    make_user("official", partner_code="DE", active=False, password=None)  # not counted: deactivated
    login_as("admin", partner_code="EU")
    html = _main(page_text(client.get("/")))
    active = db.session.scalar(sa.select(sa.func.count()).where(User.is_active_account.is_(True)))
    _in_order(
        html,
        "<h1>",
        '<h2 id="admin">User management</h2>',
        f"<p>{active} active accounts; 1 of them have not set their password yet.</p>",
        '<a href="/admin/users">Manage users</a>',
        '<a href="/admin/users/new">Create a user</a>',
        '<a href="/admin/mail">Mail queue</a>',
        "0 waiting to be sent",
        '<a href="/admin/audit">Audit trail</a>',
        '<h2 id="news-title">',
        '<h2 id="upcoming">Upcoming meetings</h2>',
    )


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


# --- what is new: circulated agenda versions, notifications, proposals to decide ----------------------


def _circulate(meeting, coordinator, note: str = "") -> None:
    agenda.change_status(meeting, "circulated", actor=coordinator, note=note)
    db.session.commit()


def _row(user, subject: str, **fields) -> Notification:
    row = Notification(
        user_id=user.id,
        category=fields.pop("category", "agenda"),
        kind=fields.pop("kind", "agenda_circulated"),
        subject=subject,
        link_path=fields.pop("link_path", "/meetings/"),
        message_id=new_message_id(),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_officials_and_observers_see_the_latest_circulated_version_with_its_cover_note(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, title=f"SOM {NASTY}", code="S")
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting")
    _circulate(meeting, coordinator, note="First draft")
    add(meeting, coordinator, "Connectivity")
    _circulate(meeting, coordinator, note=f"Comments by Friday {NASTY}")
    closed = make_meeting(coordinator, title="Behind closed doors", code="C", kind="coordinators")
    add(closed, coordinator, "Rotation")
    set_status(closed, coordinator, "drafting")
    _circulate(closed, coordinator, note="Coordinators only")
    make_meeting(coordinator, title="Still a draft", code="D")
    old = make_meeting(coordinator, title="Long ago", code="L")
    add(old, coordinator, "Opening")
    set_status(old, coordinator, "drafting")
    _circulate(old, coordinator)
    db.session.execute(
        sa.update(AgendaVersion).where(AgendaVersion.meeting_id == old.id).values(frozen_at=utcnow() - NEWS_WINDOW)
    )
    db.session.commit()
    for role in ("official", "observer"):
        login_as(role, partner_code="TH")
        html = _main(page_text(client.get("/")))
        _in_order(
            html,
            '<h2 id="versions-title">Agendas circulated to you</h2>',
            f'<span class="badge badge--warning">New</span> <a href="/meetings/{meeting.id}">SOM {ESCAPED}</a>:',
            "agenda v2 circulated on ",
            f'<span class="muted">Cover note:</span> Comments by Friday {ESCAPED}</p></blockquote>',
            f'<a href="/meetings/{meeting.id}/compare?from=v1&amp;to=v2">What changed since v1'
            f'<span class="visually-hidden"> of SOM {ESCAPED}</span></a>',
            '<h2 id="news-title">',
        )
        versions = html[html.index("versions-title") : html.index("news-title")]
        assert "First draft" not in versions and "Still a draft" not in versions and "Long ago" not in versions
        assert "Behind closed doors" not in html and "Coordinators only" not in html
        client.logout()
    login_as("coordinator", partner_code="TH")
    assert "Agendas circulated to you" not in page_text(client.get("/"))


def test_news_since_the_last_visit_stay_new_until_read_and_a_get_writes_nothing(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    reader = login_as("official", partner_code="JP")
    meeting = make_meeting(coordinator, title=f"SOM {NASTY}", code="S")
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting")
    _circulate(meeting, coordinator, note="First draft")
    html = _main(page_text(client.get("/")))
    _in_order(
        html,
        '<h2 id="news-title">What is new since your last visit <span class="badge">1 unread</span></h2>',
        f'<li class="news__item"><span class="badge badge--warning">New</span> <a href="/meetings/{meeting.id}">'
        f"Agenda v1 circulated: SOM {ESCAPED}</a>",
        " Tokyo time</span></li>",
        '<form method="post" action="/news/read" class="inline-form">',
        "Mark all as read</button>",
    )
    db.session.refresh(reader)
    assert reader.news_read_at is None  # reading the page marked nothing
    assert client.get("/news/read").status_code == 405
    assert client.post("/news/read").status_code == 400  # no CSRF token
    response = client.submit("/news/read", page="/")
    assert response.status_code == 302 and response.headers["Location"] == "/#news"
    html = _main(page_text(client.get("/")))
    assert f"Agenda v1 circulated: SOM {ESCAPED}</a>" in html
    assert "unread" not in html and ">New</span>" not in html and "/news/read" not in html

    # what comes after is new again, what was read stays read
    add(meeting, coordinator, "Connectivity")
    _circulate(meeting, coordinator)
    html = _main(page_text(client.get("/")))
    _in_order(
        html,
        '<span class="badge">1 unread</span>',
        f'<span class="badge badge--warning">New</span> <a href="/meetings/{meeting.id}">Agenda v2 circulated',
        f'<li class="news__item"><a href="/meetings/{meeting.id}">Agenda v1 circulated',
    )

    # The next sign-in counts from the end of this visit: what had come by then is not new any more.
    client.logout()
    db.session.refresh(reader)
    marked = reader.news_read_at
    seen = utcnow()
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == reader.id).values(last_seen_at=seen))
    db.session.commit()
    client.login(reader.email)
    db.session.refresh(reader)
    assert as_utc(reader.news_read_at) == seen > as_utc(marked)
    html = _main(page_text(client.get("/")))
    assert "Agenda v2 circulated" in html and "unread" not in html and ">New</span>" not in html

    # a sign-in never moves the mark back before a "Mark all as read"
    client.logout()
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == reader.id).values(last_seen_at=seen - DAY))
    db.session.commit()
    client.login(reader.email)
    db.session.refresh(reader)
    assert as_utc(reader.news_read_at) == seen


def test_news_are_the_readers_own_and_only_what_they_may_see(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    reader = login_as("official", partner_code="JP")
    other = make_user("official", partner_code="FR")
    meeting = make_meeting(coordinator, title="Open to partners", code="S")
    closed = make_meeting(coordinator, title="Closed door", code="C", kind="coordinators")
    _row(reader, f"Visible {NASTY}", link_path=f"/meetings/{meeting.id}", meeting_id=meeting.id)
    # written while the reader was a coordinator: they may not see that meeting any more
    _row(reader, "Closed door v1", link_path=f"/meetings/{closed.id}", meeting_id=closed.id)
    _row(reader, "Your password link", category="account", kind="password_link", link_path="/password/secret")
    _row(other, "Not yours", link_path=f"/meetings/{meeting.id}", meeting_id=meeting.id)
    _row(reader, "Too old", created_at=utcnow() - NEWS_WINDOW - DAY)
    _row(reader, "Not a path", link_path="javascript:alert(1)")
    _row(reader, "Another host", link_path="//evil.example/")
    html = _main(page_text(client.get("/")))
    assert f'<a href="/meetings/{meeting.id}">Visible {ESCAPED}</a>' in html
    assert '<span class="badge">3 unread</span>' in html
    for hidden in ("Closed door", "password", "Not yours", "Too old", "javascript:", "evil.example"):
        assert hidden not in html, hidden
    assert '<span class="badge badge--warning">New</span> Not a path' in html  # shown, not linked
    assert "New</span> Another host" in html


def test_coordinators_see_the_proposals_awaiting_a_decision_by_meeting(client, login_as):
    coordinator = make_user("coordinator", partner_code="EU")
    official = make_user("official", partner_code="JP")
    today = datetime.now(UTC).date()
    drafting = make_meeting(coordinator, title=f"Drafting {NASTY}", code="A", start_date=today + DAY)
    set_status(drafting, coordinator, "drafting")
    circulated = make_meeting(coordinator, title="Circulated", code="B", start_date=today + 9 * DAY)
    add(circulated, coordinator, "Opening")
    set_status(circulated, coordinator, "drafting", "circulated")
    planned = make_meeting(coordinator, title="Not open to proposals", code="C")

    def propose(meeting, title, status="pending"):
        db.session.add(
            ItemProposal(
                meeting_id=meeting.id,
                partner_id=official.partner_id,
                proposer_id=official.id,
                title=title,
                item_type="discussion",
                status=status,
            )
        )
        db.session.commit()

    propose(drafting, "P1")
    propose(drafting, "P2")
    propose(circulated, "P3")
    propose(circulated, "Declined", status="declined")
    propose(planned, "Stale")
    login_as("coordinator", partner_code="KR")
    html = _main(page_text(client.get("/")))
    _in_order(
        html,
        '<h3 id="proposals-title">Proposals awaiting a decision (3)</h3>',
        f'<li><a href="/meetings/{drafting.id}#proposals">Drafting {ESCAPED}</a>',
        '<span class="muted">2 proposals to accept or decline · meets ',
        f'<li><a href="/meetings/{circulated.id}#proposals">Circulated</a>',
        '<span class="muted">1 proposal to accept or decline · meets ',
        '<h3 id="drafting-title">Agendas in drafting (1)</h3>',
    )
    assert "Not open to proposals" not in html[: html.index('<h2 id="upcoming">')]


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_the_dashboard_reads_a_few_statements_whatever_the_news(client, login_as, role):
    coordinator = make_user("coordinator", partner_code="EU")
    reader = login_as(role, partner_code="JP")
    official = make_user("official", partner_code="TH")

    def more(n: int) -> None:
        meeting = make_meeting(coordinator, title=f"Meeting {n}", code=f"M{n}")
        add(meeting, coordinator, "Opening")
        set_status(meeting, coordinator, "drafting")
        _circulate(meeting, coordinator, note=f"Note {n}")
        db.session.add(
            ItemProposal(
                meeting_id=meeting.id,
                partner_id=official.partner_id,
                proposer_id=official.id,
                title=f"Proposal {n}",
                item_type="discussion",
            )
        )
        _row(reader, f"News {n}", link_path=f"/meetings/{meeting.id}", meeting_id=meeting.id)

    more(0)
    before = _queries(client)
    for n in range(1, 6):
        more(n)
    assert _queries(client) == before <= MAX_QUERIES
