"""Seed data built from sourced public facts about ASEM (copied into seed/data/, see SOURCES.md)."""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from secretariat import audit
from secretariat.agenda.models import Meeting, MeetingStatus
from secretariat.auth import passwords
from secretariat.auth.models import Partner, Role, User
from secretariat.auth.services import partner_by_code, set_password
from secretariat.extensions import db
from secretariat.sanitize import rich_text
from secretariat.timeutil import utcnow

DATA_DIR = Path(__file__).parent / "data"
DEMO_DOMAIN = "demo.asem.example"

#: one demo account per role; partners chosen to show the coordinator and official roles
DEMO_USERS = [
    ("admin", "Alex Admin", "EU", Role.ADMIN),
    ("coordinator", "Clara Coordinator", "EU", Role.COORDINATOR),
    ("official", "Kenji Official", "JP", Role.OFFICIAL),
    ("observer", "Olga Observer", "NO", Role.OBSERVER),
]


def _load(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def seed_partners() -> int:
    """Insert or update the 53 partners; returns how many were added."""
    existing = {p.code: p for p in db.session.scalars(sa.select(Partner))}
    added = 0
    for row in _load("partners.json"):
        partner = existing.get(row["code"])
        if partner is None:
            partner = Partner(code=row["code"])
            db.session.add(partner)
            added += 1
        partner.name = row["name"]
        partner.kind = row["kind"]
        partner.side = row["side"]
        partner.joined_year = row["joined_year"]
        partner.time_zone = row["time_zone"]
    db.session.flush()
    return added


def seed_meetings() -> int:
    """Insert the real summits and ministerial meetings once (skipped if any meeting exists)."""
    if db.session.scalar(sa.select(sa.func.count(Meeting.id))):
        return 0
    partners = {p.code: p for p in db.session.scalars(sa.select(Partner))}
    today = utcnow().date()
    count = 0
    for row in _load("meetings.json"):
        host = partners.get(row.get("host") or "")
        end = date.fromisoformat(row["end"])
        outcomes = "\n".join(f"- {item}" for item in row.get("outcomes") or [])
        meeting = Meeting(
            kind=row["kind"],
            sector=row.get("sector"),
            number=row.get("number"),
            code=row.get("code"),
            title=row["title"],
            city=row.get("city"),
            host=host,
            time_zone=host.time_zone if host else "UTC",
            start_date=date.fromisoformat(row["start"]),
            end_date=end,
            format=row.get("format") or "in_person",
            chair=row.get("chair"),
            theme=row.get("theme"),
            description_source=f"Outcomes:\n\n{outcomes}" if outcomes else "",
            status=(MeetingStatus.CLOSED if end < today else MeetingStatus.PLANNED).value,
        )
        meeting.description_html = str(rich_text(meeting.description_source))
        db.session.add(meeting)
        count += 1
    db.session.flush()
    audit.record(None, "seed.meetings", object_type="meetings", count=count)
    return count


def generate_password(email: str, name: str) -> str:
    """A random password that passes the policy (retries in the rare case it contains a context word)."""
    while True:
        candidate = secrets.token_urlsafe(15)
        if not passwords.policy_errors(candidate, email=email, name=name):
            return candidate


def seed_demo_users() -> list[tuple[str, str, str]]:
    """Create one demo user per role if there are no users yet; returns (email, role, password)."""
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        return []
    credentials = reset_demo_users(create=True)
    users = {u.role: u for u in db.session.scalars(sa.select(User))}
    seed_demo_agenda(users[Role.COORDINATOR.value], users[Role.OFFICIAL.value])
    seed_initiatives(users[Role.COORDINATOR.value], users[Role.OFFICIAL.value])
    seed_records(users[Role.COORDINATOR.value])
    return credentials


def reset_demo_users(create: bool = False) -> list[tuple[str, str, str]]:
    """Give the demo accounts new passwords (creating them if asked); returns (email, role, password)."""
    credentials = []
    for local, name, partner_code, role in DEMO_USERS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            if not create:
                continue
            user = User(email=email, display_name=name, partner=partner_by_code(partner_code), role=role.value)
            db.session.add(user)
            db.session.flush()
            audit.record(None, "user.create", user, email=email, role=role.value, partner=partner_code, demo=True)
        password = generate_password(email, name)
        set_password(user, password, actor=None, via="seed-demo")
        credentials.append((email, role.value, password))
    return credentials


#: a demonstration agenda, so a newcomer sees drafting, versions and proposals at work
DEMO_AGENDA = [
    ("Opening of the meeting and adoption of the agenda", "adoption", 15, [], []),
    (
        "Preparation of the next Foreign Ministers' Meeting",
        "discussion",
        0,
        ["EU"],
        [
            ("Draft Chair's Statement: structure and timeline", "discussion", 45, ["EU"]),
            ("Logistics and host country briefing", "information", 20, ["BE"]),
        ],
    ),
    ("Coffee break", "break", 20, [], []),
    (
        "Review of the work programme: tangible cooperation",
        "discussion",
        0,
        [],
        [
            ("Connectivity initiatives: progress reports", "discussion", 40, ["JP", "SG"]),
            ("ASEF activities", "information", 20, ["SG"]),
        ],
    ),
    ("ASEM working methods and the future of the process", "decision", 45, ["KH"]),
    ("Any other business", "information", 15, []),
]


def seed_demo_agenda(coordinator: User, official: User) -> Meeting:
    """An upcoming SOM with a circulated agenda, a later draft change and a pending proposal."""
    from datetime import time, timedelta

    from secretariat.agenda import items, proposals, services

    start = utcnow().date() + timedelta(days=45)
    meeting = services.create_meeting(
        {
            "title": "ASEM Senior Officials' Meeting (demonstration)",
            "kind": "som",
            "sector": None,
            "number": None,
            "code": "SOM-DEMO",
            "city": "Brussels",
            "host": "BE",
            "time_zone": "",
            "start_date": start,
            "end_date": start + timedelta(days=1),
            "start_time": time(9, 30),
            "end_time": time(13, 0),
            "format": "hybrid",
            "chair": "EEAS (EU coordinator)",
            "theme": None,
            "description_source": "Demonstration meeting created by `seed-demo`: not a real ASEM meeting.",
        },
        actor=coordinator,
    )
    services.change_status(meeting, "drafting", actor=coordinator)

    def add(entry, parent_id=None):
        title, kind, minutes, leads, *rest = entry
        item = items.add_item(
            meeting,
            {
                "title": title,
                "item_type": kind,
                "description_source": "",
                "presenter": "",
                "lead_partners": leads,
                "duration_minutes": minutes or None,
                "fixed_start": None,
                "coordinator_notes": "",
            },
            actor=coordinator,
            parent_id=parent_id,
        )
        for child in rest[0] if rest else []:
            add(child, item.id)

    for entry in DEMO_AGENDA:
        add(entry)
    services.change_status(meeting, "circulated", actor=coordinator, note="First draft for comments by partners.")
    add(("Date and venue of the next SOM", "decision", 10, []))
    proposals.propose(
        meeting,
        {
            "title": "Briefing on the ASEM Day (1 March) activities",
            "item_type": "information",
            "description_source": "Japan offers a short briefing.",
            "duration_minutes": 10,
        },
        actor=official,
    )
    db.session.flush()
    return meeting


def seed_initiatives(coordinator, official) -> int:
    """Load the work programme from the facts (once), with one demo report and one silence procedure."""
    from datetime import datetime, timedelta

    from secretariat.programme import reports, services, silence
    from secretariat.programme.models import Initiative

    if db.session.scalar(sa.select(sa.func.count(Initiative.id))):
        return 0
    meetings = {m.code: m for m in db.session.scalars(sa.select(Meeting).where(Meeting.code.is_not(None)))}
    current = services.create_programme("ASEM work programme 2025–2027 (demonstration)", 2025, 2027, actor=coordinator)
    count = 0
    for row in _load("initiatives.json"):
        mandate = meetings.get(row.get("mandate_meeting_code") or "")
        start = date.fromisoformat(row["start"]) if row.get("start") else None
        initiative = services.create_initiative(
            {
                "code": row["code"],
                "title": row["title"],
                "summary_source": row.get("summary", ""),
                "pillar": row["pillar"],
                "lead_partner": row["lead"],
                "co_sponsors": row.get("co_sponsors", []),
                "start_date": start,
                "end_date": date.fromisoformat(row["end"]) if row.get("end") else None,
                "mandate_meeting_id": mandate.id if mandate else None,
                "mandate_reference": row.get("mandate_reference", ""),
                "programme_id": current.id if start and start.year >= 2025 else None,
                "contacts": [],
            },
            actor=coordinator,
            status=row["status"],
            effective=start or (mandate.start_date if mandate else None),
            meeting_id=mandate.id if mandate else None,
        )
        for milestone in row.get("milestones", []):
            m = services.add_milestone(
                initiative,
                title=milestone["title"],
                kind=milestone.get("kind", "milestone"),
                due=date.fromisoformat(milestone["due"]) if milestone.get("due") else None,
                actor=coordinator,
            )
            if milestone.get("done"):
                services.set_milestone_done(m, True, actor=coordinator)
        count += 1
    db.session.flush()
    by_code = {i.code: i for i in db.session.scalars(sa.select(Initiative))}
    reported = by_code.get("ASEM-ECO-011")
    if reported is not None and reports.may_report(official, reported):
        today = utcnow().date()
        reports.submit_report(
            reported,
            period_start=today - timedelta(days=180),
            period_end=today - timedelta(days=1),
            text="Data for the connectivity indicators were collected from 40 partners. "
            "**Next:** a draft report for the next SOM. (Demonstration report.)",
            milestones_done=set(),
            actor=official,
        )
    proposed = by_code.get("ASEM-POL-006")
    if proposed is not None:
        deadline = (utcnow() + timedelta(days=7)).astimezone(ZoneInfo("Europe/Brussels"))
        silence.start(
            subject=f"Endorsement of {proposed.code} {proposed.title}",
            text="The coordinators propose that the SOM endorse this initiative. "
            "Partners who object are invited to break silence before the deadline. (Demonstration.)",
            deadline_local=datetime.combine(deadline.date(), datetime.min.time()).replace(hour=17),
            zone="Europe/Brussels",
            initiative=proposed,
            proposed_status="endorsed",
            actor=coordinator,
        )
    return count


SAMPLE_TYPES = {
    "chair_statement": "chairs_statement",
    "chairs_statement": "chairs_statement",
    "declaration": "declaration",
    "meeting_record": "minutes",
    "minutes": "minutes",
}


def seed_records(coordinator) -> int:
    """File the paraphrased sample texts from the facts as public records with a text file each (once)."""
    from secretariat.archive import services as archive
    from secretariat.archive.models import Record

    if db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.source_ref.like("seed:%"))):
        return 0
    meetings = {m.code: m for m in db.session.scalars(sa.select(Meeting).where(Meeting.code.is_not(None)))}
    count = 0
    for n, row in enumerate(_load("sample_records.json"), start=1):
        meeting = meetings.get(row.get("meeting_code") or "")
        text = (
            f"{row['title']}\n\n{row['text']}\n\nSource: {row['source']}\n(Paraphrased sample, demonstration data.)\n"
        )
        prepared = archive.prepare_generated_text(f"{row['title'][:80]}.txt", text)
        archive.create_record(
            {
                "title": row["title"],
                "record_type": SAMPLE_TYPES.get(row.get("type", ""), "other"),
                "record_date": date.fromisoformat(row["date"]) if row.get("date") else date(1996, 3, 1),
                "meeting_id": meeting.id if meeting else None,
                "language": "en",
                "description_source": row["text"][:300],
                "tags": "demo, " + (row.get("meeting_code") or "asem").lower(),
                "confidentiality": "public",
                "embargo_until": None,
                "embargo_meeting_id": None,
                "partners": [meeting.host.code] if meeting and meeting.host else [],
            },
            [prepared],
            actor=coordinator,
            source_ref=f"seed:sample:{n}",
        )
        count += 1
    return count
