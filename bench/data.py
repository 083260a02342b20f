"""Fill a database with a realistic volume of ASEM data for the page and load benchmarks.

53 partners, 500 users, 2,000 meetings (the 68 real ones and generated ones) with 20-60 agenda items
and 5 frozen versions each, 300 initiatives with milestones, reports and comments, 100,000 archive
records with each version's seal in the audit chain (so `archive verify` and a restore check them),
and the search index over them. Rows go in with bulk inserts (one executemany per table
and batch) through the real models' tables; texts come from the seed facts (secretariat/seed/data).

    python bench/data.py                                  # SQLite in /tmp/secretariat-bench/
    python bench/data.py --records 10000                  # a smaller archive
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/data.py

The instance folder (--instance, default /tmp/secretariat-bench) holds the SQLite file, the search
index and the secret key; bench/pages.py and bench/load.py read the same folder. Every account's
password is BENCH_PASSWORD; coordinators and administrators have the TOTP secret BENCH_TOTP.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import random
import re
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_INSTANCE = "/tmp/secretariat-bench"
BENCH_PASSWORD = "bench passphrase for many users"  # noqa: S105 - a throwaway benchmark database
BENCH_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: the signed-in users the benchmarks use: bench-<role>@example.org, plus user<n>@example.org
BENCH_ROLES = ("official", "coordinator", "observer", "admin")


def configure(instance: str) -> None:
    """Point the app at the bench instance folder (must run before `config` is imported)."""
    os.environ["SECRETARIAT_INSTANCE"] = instance
    os.environ.setdefault("SECRETARIAT_CONFIG", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


# --- prose from the seed facts ------------------------------------------------------------------


def seed_sentences() -> list[str]:
    """Every sentence of the seed facts: meeting themes and outcomes, initiative summaries, records."""
    data = ROOT / "secretariat" / "seed" / "data"
    texts = []
    for row in json.loads((data / "meetings.json").read_text()):
        texts += [row.get("theme") or "", *(row.get("outcomes") or [])]
    for row in json.loads((data / "initiatives.json").read_text()):
        texts += [row.get("title") or "", row.get("summary") or "", row.get("mandate_reference") or ""]
    for row in json.loads((data / "sample_records.json").read_text()):
        texts.append(row.get("text") or "")
    sentences = []
    for text in texts:
        for s in re.split(r"(?<=[.;])\s+", text):
            s = re.sub(r"[*_`#\[\]<>]", "", s).strip()  # plain prose: no Markdown, so to_html() holds
            if len(s) >= 30 and s[0].isupper():
                sentences.append(s if s[-1] in ".;" else s + ".")
    return sentences


class Prose:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sentences = seed_sentences()
        self.words = sorted({w for s in self.sentences for w in re.findall(r"[A-Za-z][a-z]{3,}", s)})

    def sentence(self) -> str:
        return self.rng.choice(self.sentences)

    def paragraph(self, min_len: int = 200, max_len: int = 700) -> str:
        size = self.rng.randint(min_len, max_len)
        parts, length = [], 0
        while length < size:
            parts.append(self.sentence())
            length += len(parts[-1]) + 1
        return " ".join(parts)

    def text(self, paragraphs: int, min_len: int = 200, max_len: int = 700) -> str:
        return "\n\n".join(self.paragraph(min_len, max_len) for _ in range(paragraphs))

    def title(self, words: int = 6) -> str:
        return " ".join(self.rng.sample(self.words, words)).capitalize()


def to_html(source: str) -> str:
    """What the sanitizer renders for plain paragraphs (checked against it once in main)."""
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in source.split("\n\n") if p)


# --- bulk writing -------------------------------------------------------------------------------


class Writer:
    """Buffer rows per table and write them with one executemany per table and batch.

    A full buffer flushes every table, parents before children, so foreign keys always hold.
    """

    def __init__(self, connection, batch: int = 5000):
        from secretariat.extensions import db

        self.connection = connection
        self.batch = batch
        self.order = {t.name: n for n, t in enumerate(db.metadata.sorted_tables)}
        self.rows: dict = {}

    def add(self, table, row: dict) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in sorted(self.rows, key=lambda t: self.order[t.name]):
            if self.rows[table]:
                self.connection.execute(table.insert(), self.rows[table])
                self.rows[table] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default=DEFAULT_INSTANCE, help="folder for the SQLite file and search index")
    parser.add_argument("--meetings", type=int, default=2000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--initiatives", type=int, default=300)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1996)
    args = parser.parse_args()
    configure(args.instance)
    started = time.perf_counter()
    build(args)
    print(f"total: {time.perf_counter() - started:.0f} s")


def reset(instance: Path, app) -> None:
    """Start from nothing: drop the schema, the index and the files, then run the migrations."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from secretariat.extensions import db

    for sub in ("search-index", "archive-files"):
        shutil.rmtree(instance / sub, ignore_errors=True)
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        db.session.remove()
        engine.dispose()
        path = Path(engine.url.database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    upgrade()


def build(args) -> None:
    import sqlalchemy as sa

    from secretariat import create_app, seed
    from secretariat.auth.passwords import hash_password
    from secretariat.extensions import db
    from secretariat.sanitize import rich_text

    instance = Path(args.instance)
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app()
    rng = random.Random(args.seed)
    prose = Prose(rng)
    with app.app_context():
        sample = prose.text(2)
        assert to_html(sample) == str(rich_text(sample)), "to_html no longer matches the sanitizer"
        step = time.perf_counter()
        reset(instance, app)
        seed.seed_partners()
        seed.seed_meetings()
        db.session.commit()
        print(f"schema, partners and the real meetings: {time.perf_counter() - step:.1f} s")
        password_hash = hash_password(BENCH_PASSWORD)
        with db.engine.begin() as conn:
            fill(conn, args, rng, prose, password_hash)
        if db.engine.dialect.name == "postgresql":
            reset_sequences()
        step = time.perf_counter()
        from secretariat.archive import services as archive

        count = archive.rebuild()
        print(f"search index: {count} records and the initiatives in {time.perf_counter() - step:.0f} s")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # As autovacuum leaves a database in use: fresh statistics, and the visibility map that lets
            # PostgreSQL answer from an index alone (a count of the meetings: 1.5 -> 0.36 ms). Servers
            # with autovacuum off (this machine's) would otherwise be measured on never-vacuumed tables.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))  # fresh statistics, as a database in use would have
            db.session.commit()


def reset_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences at 1: move them past the data."""
    import sqlalchemy as sa

    from secretariat.extensions import db

    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608 - our table names
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
    db.session.commit()


def fill(conn, args, rng: random.Random, prose: Prose, password_hash: str) -> None:
    import sqlalchemy as sa

    from secretariat.agenda import models as agenda
    from secretariat.auth.models import Partner, User
    from secretariat.extensions import db

    now = datetime.now(UTC)
    today = now.date()
    w = Writer(conn)
    partners = {row.code: row for row in conn.execute(sa.select(Partner.id, Partner.code, Partner.time_zone))}
    partner_ids = [p.id for p in partners.values()]
    codes = sorted(partners)

    # --- users -------------------------------------------------------------------------------
    step = time.perf_counter()
    users = []
    roles = ["official"] * 70 + ["observer"] * 20 + ["coordinator"] * 8 + ["admin"] * 2
    for n in range(1, args.users + 1):
        if n <= len(BENCH_ROLES):
            role, email, partner = BENCH_ROLES[n - 1], f"bench-{BENCH_ROLES[n - 1]}@example.org", "JP"
        else:
            # the first users after the named ones are officials: load.py signs them in
            role = "official" if n <= 100 else rng.choice(roles)
            email, partner = f"user{n}@example.org", rng.choice(codes)
        privileged = role in ("admin", "coordinator")
        users.append({"id": n, "role": role, "partner_id": partners[partner].id})
        w.add(
            User.__table__,
            {
                "id": n,
                "email": email,
                "display_name": f"{prose.title(2)} {partner}",
                "partner_id": partners[partner].id,
                "role": role,
                "is_active": True,
                "password_hash": password_hash,
                "password_changed_at": now,
                "totp_secret": BENCH_TOTP if privileged else None,
                "totp_confirmed_at": now if privileged else None,
                "created_at": now,
                "updated_at": now,
            },
        )
    w.flush()
    coordinators = [u["id"] for u in users if u["role"] == "coordinator"]
    print(f"users: {len(users)} in {time.perf_counter() - step:.1f} s")

    # --- meetings, agendas, versions -----------------------------------------------------------
    step = time.perf_counter()
    existing = list(conn.execute(sa.select(agenda.Meeting.__table__)).mappings())
    meetings = [dict(m) for m in existing]
    next_id = max((m["id"] for m in meetings), default=0) + 1
    kinds = ["som"] * 30 + ["other"] * 35 + ["ministerial"] * 15 + ["coordinators"] * 15 + ["fmm"] * 3 + ["summit"] * 2
    sectors = ["economy", "finance", "culture", "education", "labour", "transport", "environment"]
    first_day = date(1996, 3, 1)
    span = (today + timedelta(days=540) - first_day).days
    while len(meetings) < args.meetings:
        kind = rng.choice(kinds)
        host = partners[rng.choice(codes)]
        start = first_day + timedelta(days=rng.randrange(span))
        meetings.append(
            {
                "id": next_id,
                "kind": kind,
                "sector": rng.choice(sectors) if kind == "ministerial" else None,
                "number": None,
                "code": None,
                "title": f"{agenda.MeetingKind(kind).label}: {prose.title(4)}"[:200],
                "city": prose.title(1),
                "host_partner_id": host.id,
                "time_zone": host.time_zone,
                "start_date": start,
                "end_date": start + timedelta(days=rng.randint(0, 2)),
                "start_time": clock(9, 0),
                "end_time": clock(17, 30),
                "format": rng.choice(["in_person", "in_person", "virtual", "hybrid"]),
                "chair": prose.title(3),
                "theme": prose.sentence()[:300],
                "description_source": (text := prose.text(1)),
                "description_html": to_html(text),
                "status": "planned",
                "version": 1,
                "agenda_revision": 0,
                "closed_at": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        next_id += 1
    upcoming = sorted((m for m in meetings if m["end_date"] >= today), key=lambda m: m["start_date"])
    future_status = ["circulated", "drafting", "planned"]
    for m in meetings:
        if m["end_date"] < today:
            m["status"] = "closed"
            m["closed_at"] = datetime.combine(m["end_date"] + timedelta(days=1), clock(12), tzinfo=UTC)
    for n, m in enumerate(upcoming):
        m["status"] = future_status[n % 3]
    for m in meetings[len(existing) :]:
        w.add(agenda.Meeting.__table__, m)
    w.flush()
    table = agenda.Meeting.__table__
    for m in meetings[: len(existing)]:
        conn.execute(table.update().where(table.c.id == m["id"]).values(status=m["status"], closed_at=m["closed_at"]))

    item_id = 0
    version_id = 0
    #: what the app files into the archive itself (agenda versions, progress reports): fill_archive's first records
    filed: list[dict] = []
    types = ["discussion"] * 5 + ["information"] * 3 + ["decision"] * 2 + ["adoption", "break"]
    descriptions = [prose.paragraph(80, 300) for _ in range(400)]
    for m in meetings:
        coordinator = rng.choice(coordinators)
        items = []
        count = rng.randint(20, 60)
        top = 0
        while len(items) < count:
            item_id += 1
            parent = {"id": item_id, "parent_id": None, "position": top, "number": str(top + 1), "depth": 1}
            items.append(parent)
            top += 1
            for child_pos in range(rng.choice([0, 0, 0, 1, 2, 3])):
                if len(items) >= count:
                    break
                item_id += 1
                items.append(
                    {
                        "id": item_id,
                        "parent_id": parent["id"],
                        "position": child_pos,
                        "number": f"{parent['number']}.{child_pos + 1}",
                        "depth": 2,
                    }
                )
        for it in items:
            it_type = rng.choice(types)
            desc = rng.choice(descriptions) if it_type != "break" else ""
            it.update(
                title=("Coffee break" if it_type == "break" else prose.title(rng.randint(3, 8)))[:300],
                item_type=it_type,
                description_source=desc,
                description_html=to_html(desc),
                presenter=prose.title(2) if rng.random() < 0.5 else "",
                lead_partners=sorted(rng.sample(codes, rng.choice([0, 1, 1, 2]))),
                duration_minutes=rng.choice([15, 20, 30, 45, 60]),
                fixed_start=None,
                version=1,
                coordinator_notes=prose.sentence() if rng.random() < 0.2 else "",
            )
            w.add(
                agenda.AgendaItem.__table__,
                {
                    "id": it["id"],
                    "meeting_id": m["id"],
                    "parent_id": it["parent_id"],
                    "position": it["position"],
                    "title": it["title"],
                    "item_type": it_type,
                    "description_source": desc,
                    "description_html": it["description_html"],
                    "presenter": it["presenter"],
                    "duration_minutes": it["duration_minutes"],
                    "fixed_start": None,
                    "coordinator_notes": it["coordinator_notes"],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            for code in it["lead_partners"]:
                w.add(agenda.agenda_item_partners, {"item_id": it["id"], "partner_id": partners[code].id})
        if m["status"] in ("planned", "drafting"):
            continue
        # Five frozen versions: each earlier one lacks the last items and words some titles differently.
        header = {
            "id": m["id"],
            "title": m["title"],
            "start_date": m["start_date"].isoformat(),
            "start_time": m["start_time"].isoformat(timespec="minutes") if m["start_time"] else None,
            "time_zone": m["time_zone"],
        }
        frozen = m["closed_at"] or now
        for number in range(1, 6):
            keep = len(items) - (5 - number) * 2
            snap_items = []
            for n, it in enumerate(items[:keep]):
                entry = {k: it[k] for k in tree_keys}
                if number < 5 and (n * 7 + number) % 9 == 0:
                    entry["title"] = f"{it['title']} (draft)"
                snap_items.append(entry)
            text = to_json({"meeting": header, "items": snap_items})
            notes = to_json({"meeting": header, "items": [dict(e, coordinator_notes="") for e in snap_items]})
            version_id += 1
            when = frozen - timedelta(days=(6 - number) * 7)
            kind = "adopted" if number == 5 and m["status"] != "circulated" else "circulated"
            filed.append(
                {
                    "source_ref": f"agenda-version:{version_id}",
                    "record_type": "agenda",
                    "title": f"Agenda v{number} ({kind}): {m['title']}",
                    "meeting_id": m["id"],
                    "record_date": when.date(),
                    "tags": "agenda",
                    "partners": [],
                }
            )
            w.add(
                agenda.AgendaVersion.__table__,
                {
                    "id": version_id,
                    "meeting_id": m["id"],
                    "number": number,
                    "kind": kind,
                    "frozen_at": when,
                    "frozen_by_id": coordinator,
                    "frozen_by_label": f"user{coordinator}@example.org",
                    "note": "",
                    "snapshot": text,
                    "snapshot_sha256": hashlib.sha256(text.encode()).hexdigest(),
                },
            )
            w.add(
                agenda.AgendaRevision.__table__,
                {
                    "id": version_id,
                    "meeting_id": m["id"],
                    "number": number,
                    "created_at": when,
                    "actor_id": coordinator,
                    "actor_label": f"user{coordinator}@example.org",
                    "summary": f"Agenda {kind} as v{number}",
                    "snapshot": notes,
                },
            )
        conn.execute(table.update().where(table.c.id == m["id"]).values(agenda_revision=5))
    w.flush()
    print(
        f"meetings: {len(meetings)}, agenda items: {item_id}, versions: {version_id} "
        f"in {time.perf_counter() - step:.0f} s"
    )
    fill_programme(conn, w, args, rng, prose, meetings, users, partner_ids, now, filed)
    fill_archive(conn, w, args, rng, prose, meetings, partner_ids, coordinators, now, filed)
    db.session.remove()


tree_keys = (
    "id",
    "number",
    "depth",
    "parent_id",
    "position",
    "title",
    "item_type",
    "description_source",
    "description_html",
    "presenter",
    "lead_partners",
    "duration_minutes",
    "fixed_start",
    "version",
)


def to_json(data: dict) -> str:
    from secretariat.agenda import tree

    return tree.to_json(data)


def fill_programme(conn, w: Writer, args, rng, prose: Prose, meetings, users, partner_ids, now, filed) -> None:
    import sqlalchemy as sa

    from secretariat.programme import models as pm

    step = time.perf_counter()
    conn.execute(
        sa.insert(pm.WorkProgramme.__table__),
        [
            {
                "id": n + 1,
                "title": f"ASEM work programme {y}–{y + 2}",
                "start_year": y,
                "end_year": y + 2,
                "created_at": now,
            }
            for n, y in enumerate(range(2000, 2028, 3))
        ],
    )
    officials_of: dict[int, list[int]] = {}
    for u in users:
        if u["role"] == "official":
            officials_of.setdefault(u["partner_id"], []).append(u["id"])
    mandating = [m for m in meetings if m["kind"] in ("summit", "fmm", "som")]
    statuses = ["ongoing"] * 4 + ["endorsed"] * 2 + ["completed"] * 2 + ["proposed", "withdrawn", "discontinued"]
    pillars = ["political", "economic", "social"]
    ids = {"report": 0, "comment": 0, "milestone": 0, "change": 0}
    today = now.date()
    for n in range(1, args.initiatives + 1):
        pillar = rng.choice(pillars)
        lead = rng.choice(partner_ids)
        co = rng.sample([p for p in partner_ids if p != lead], rng.randint(0, 6))
        mandate = rng.choice(mandating)
        start = mandate["start_date"]
        status = rng.choice(statuses)
        summary = prose.text(rng.randint(1, 3))
        w.add(
            pm.Initiative.__table__,
            {
                "id": n,
                "programme_id": rng.randint(1, 10),
                "code": f"ASEM-{pillar[:3].upper()}-{n:03d}",
                "title": prose.title(rng.randint(4, 9))[:300],
                "summary_source": summary,
                "summary_html": to_html(summary),
                "pillar": pillar,
                "lead_partner_id": lead,
                "status": status,
                "start_date": start,
                "end_date": start + timedelta(days=rng.randint(365, 2000)) if status == "completed" else None,
                "mandate_meeting_id": mandate["id"],
                "mandate_reference": f"Chair's Statement, para {rng.randint(3, 60)}",
                "mandate_record_id": None,
                "version": 1,
                "created_at": now - timedelta(days=rng.randint(0, 3000)),
                "updated_at": now,
            },
        )
        for p in co:
            w.add(pm.initiative_cosponsors, {"initiative_id": n, "partner_id": p})
        sponsors = [lead, *co]
        for contact in {rng.choice(officials_of.get(p, [1])) for p in sponsors[:3]}:
            w.add(pm.initiative_contacts, {"initiative_id": n, "user_id": contact})
        for k, to_status in enumerate(["proposed", "endorsed", "ongoing", status][: rng.randint(1, 4)]):
            ids["change"] += 1
            w.add(
                pm.StatusChange.__table__,
                {
                    "id": ids["change"],
                    "initiative_id": n,
                    "from_status": None if k == 0 else "proposed",
                    "to_status": to_status,
                    "effective_date": start + timedelta(days=90 * k),
                    "meeting_id": rng.choice(mandating)["id"],
                    "note": "",
                    "actor_id": 2,
                    "created_at": now,
                },
            )
        for k in range(rng.randint(3, 8)):
            ids["milestone"] += 1
            due = today + timedelta(days=rng.randint(-900, 700))
            w.add(
                pm.Milestone.__table__,
                {
                    "id": ids["milestone"],
                    "initiative_id": n,
                    "title": prose.title(5),
                    "kind": "deliverable" if k % 3 == 2 else "milestone",
                    "due_date": due,
                    "done_at": now if due < today and rng.random() < 0.7 else None,
                },
            )
        reports = []
        for k in range(rng.randint(2, 10)):
            ids["report"] += 1
            partner = rng.choice(sponsors)
            author = rng.choice(officials_of.get(partner, [1]))
            text = prose.text(rng.randint(1, 4))
            period_end = today - timedelta(days=180 * k + rng.randint(0, 60))
            reports.append(ids["report"])
            filed.append(
                {
                    "source_ref": f"progress-report:{ids['report']}",
                    "record_type": "report",
                    "title": f"Progress report {period_end - timedelta(days=180):%Y-%m}–{period_end:%Y-%m}",
                    "meeting_id": None,
                    "record_date": period_end,
                    "tags": "progress report",
                    "partners": [partner],
                }
            )
            w.add(
                pm.ProgressReport.__table__,
                {
                    "id": ids["report"],
                    "initiative_id": n,
                    "partner_id": partner,
                    "author_id": author,
                    "period_start": period_end - timedelta(days=180),
                    "period_end": period_end,
                    "text_source": text,
                    "text_html": to_html(text),
                    "milestone_updates": "[]",
                    "submitted_at": datetime.combine(period_end, clock(10), tzinfo=UTC),
                    "reviewed_at": now if k > 0 else None,
                    "reviewed_by_id": 2 if k > 0 else None,
                },
            )
        for _ in range(rng.randint(0, 8)):
            ids["comment"] += 1
            author = rng.choice([u for u in users[:100] if u["role"] == "official"])
            text = prose.sentence()
            w.add(
                pm.Comment.__table__,
                {
                    "id": ids["comment"],
                    "initiative_id": n,
                    "report_id": rng.choice(reports) if rng.random() < 0.5 else None,
                    "partner_id": author["partner_id"],
                    "author_id": author["id"],
                    "text_source": text,
                    "text_html": to_html(text),
                    "created_at": now - timedelta(days=rng.randint(0, 900)),
                },
            )
    w.flush()
    print(
        f"initiatives: {args.initiatives}, reports: {ids['report']}, milestones: {ids['milestone']}, "
        f"comments: {ids['comment']} in {time.perf_counter() - step:.1f} s"
    )


def fill_archive(conn, w: Writer, args, rng, prose: Prose, meetings, partner_ids, coordinators, now, filed) -> None:
    from secretariat.archive import models as am
    from secretariat.archive.integrity import seal_of as seal
    from secretariat.audit.services import canonical_json

    step = time.perf_counter()
    codes_by_id = {}
    import sqlalchemy as sa

    from secretariat.auth.models import Partner

    for row in conn.execute(sa.select(Partner.id, Partner.code)):
        codes_by_id[row.id] = row.code
    types = [t.value for t in am.RecordType]
    levels = ["public", "restricted", "restricted", "restricted", "coordinators"]
    languages = ["en"] * 8 + ["fr", "de", "ja", "zh"]
    tag_words = ["water", "connectivity", "trade", "climate", "education", "health", "security", "culture", "energy"]
    version_id = 0
    chain: list[dict] = []
    for n in range(1, args.records + 1):
        meeting = rng.choice(meetings) if rng.random() < 0.8 else None
        day = meeting["start_date"] if meeting else date(1996, 3, 1) + timedelta(days=rng.randrange(11000))
        text = prose.text(rng.randint(2, 5))
        chosen = sorted(rng.sample(partner_ids, rng.randint(0, 3)))
        record = {
            "id": n,
            "title": f"{prose.title(rng.randint(4, 10))}"[:500],
            "record_type": rng.choice(types),
            "record_date": day,
            "meeting_id": meeting["id"] if meeting else None,
            "language": rng.choice(languages),
            "description_source": text,
            "description_html": to_html(text),
            "tags": ", ".join(sorted(rng.sample(tag_words, rng.randint(0, 3)))),
            "confidentiality": rng.choice(levels),
            "embargo_until": now + timedelta(days=30) if rng.random() < 0.01 else None,
            "embargo_meeting_id": None,
            "withdrawn_at": now if rng.random() < 0.01 else None,
            "withdrawn_reason": "",
            "current_version": 2 if n % 10 == 0 else 1,
            "version": 1,
            "source_ref": None,
            "created_at": now,
            "updated_at": now,
        }
        if n <= len(filed):  # filed by the application: restricted, never embargoed or withdrawn
            spec = dict(filed[n - 1])
            chosen = spec.pop("partners")
            record.update(spec, confidentiality="restricted", embargo_until=None, withdrawn_at=None)
        w.add(am.Record.__table__, record)
        for p in chosen:
            w.add(am.record_partners, {"record_id": n, "partner_id": p})
        metadata = {
            "title": record["title"],
            "record_type": record["record_type"],
            "record_date": record["record_date"].isoformat(),
            "meeting_id": record["meeting_id"],
            "language": record["language"],
            "description_source": text,
            "tags": record["tags"],
            "confidentiality": record["confidentiality"],
            "embargo_until": record["embargo_until"].isoformat() if record["embargo_until"] else None,
            "embargo_meeting_id": None,
            "partners": sorted(codes_by_id[p] for p in chosen),
        }
        for number in range(1, record["current_version"] + 1):
            version_id += 1
            version = {
                "id": version_id,
                "record_id": n,
                "number": number,
                "change_note": "" if number == 1 else "Corrected the date",
                "metadata_json": canonical_json(metadata),
                "seal_sha256": seal(metadata, []),
                "created_at": now,
                "created_by_id": rng.choice(coordinators),
            }
            w.add(am.RecordVersion.__table__, version)
            chain.append(version)
    w.flush()
    audit_versions(conn, w, chain, now)
    print(f"records: {args.records}, versions: {version_id} in {time.perf_counter() - step:.0f} s")


def audit_versions(conn, w: Writer, versions: list[dict], now) -> None:
    """Each version's seal in the audit chain, as filing through the application writes it
    (archive.services._new_version), so `archive verify` and a restore check the loaded archive."""
    import sqlalchemy as sa

    from secretariat.audit.models import AuditEntry, AuditHead
    from secretariat.audit.services import GENESIS_HASH, canonical_json, compute_hash

    step = time.perf_counter()
    head = conn.execute(sa.select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one_or_none()
    seq, previous = (head.seq, head.last_hash) if head else (0, GENESIS_HASH)
    for version in versions:
        seq += 1
        entry = SimpleNamespace(
            seq=seq,
            created_at=now,
            actor_id=version["created_by_id"],
            actor_label=f"user{version['created_by_id']}@example.org",
            action="archive.version",
            object_type="records",
            object_id=str(version["record_id"]),
            details=canonical_json(
                {
                    "version": version["number"],
                    "seal": version["seal_sha256"],
                    "files": [],
                    "note": version["change_note"],
                }
            ),
            ip_address=None,
            prev_hash=previous,
        )
        previous = compute_hash(entry)
        w.add(AuditEntry.__table__, {**vars(entry), "entry_hash": previous})
    w.flush()
    if head:
        conn.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(seq=seq, last_hash=previous))
    else:
        conn.execute(sa.insert(AuditHead).values(id=1, seq=seq, last_hash=previous))
    print(f"audit entries: {len(versions)} record versions sealed in the chain in {time.perf_counter() - step:.1f} s")


if __name__ == "__main__":
    main()
