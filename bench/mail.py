"""Mail benchmark: one agenda circulated to 53 partners × 3 officials, delivered by the worker's mail
job through a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS with a test certificate authority
that the application verifies, as in production).

    python bench/mail.py                          # SQLite in a temporary folder, 3 officials per partner
    python bench/mail.py --per-partner 10
    python bench/mail.py --database-url postgresql://postgres@127.0.0.1:5432/bench_mail   # an empty database

Prints the mails the server received, the total seconds and the mails per second.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import sys
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from secretariat import create_app, seed, worker  # noqa: E402
from secretariat.agenda import items, services  # noqa: E402
from secretariat.auth.models import Partner, User  # noqa: E402
from secretariat.extensions import db  # noqa: E402
from secretariat.notify.models import Notification  # noqa: E402
from secretariat.timeutil import utcnow  # noqa: E402


class Counter:
    """The SMTP server's handler: counts what it accepts."""

    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 Message accepted"


def smtp_server(ca: trustme.CA) -> tuple[Controller, Counter]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    counter = Counter()
    with socket.socket() as probe:  # a free port (aiosmtpd does not report the one it was given for 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(counter, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    return controller, counter


def circulate(per_partner: int) -> int:
    """The partners, their officials and one meeting circulated: the outbox rows it queued."""
    upgrade()
    seed.seed_partners()
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.code)).all()
    for partner in partners:
        for n in range(per_partner):
            db.session.add(
                User(
                    email=f"{partner.code.lower()}.{n}@example.org",
                    display_name=f"Official {n} of {partner.name}",
                    partner=partner,
                    role="official",
                )
            )
    coordinator = User(
        email="coordinator@example.org", display_name="Coordinator", partner=partners[0], role="coordinator"
    )
    db.session.add(coordinator)
    db.session.commit()
    meeting = services.create_meeting(
        {
            "title": "Senior Officials' Meeting, Brussels",
            "kind": "som",
            "sector": None,
            "number": None,
            "code": "SOM-B",
            "city": "Brussels",
            "host": "BE",
            "time_zone": "",
            "start_date": date(2027, 3, 10),
            "end_date": date(2027, 3, 11),
            "start_time": clock(9, 0),
            "end_time": clock(17, 0),
            "format": "in_person",
            "chair": "EEAS",
            "theme": None,
            "description_source": "",
        },
        actor=coordinator,
    )
    for title in ("Opening", "Connectivity", "Any other business"):
        items.add_item(
            meeting,
            {
                "title": title,
                "item_type": "discussion",
                "description_source": "",
                "presenter": "",
                "lead_partners": [],
                "duration_minutes": 30,
                "fixed_start": None,
                "coordinator_notes": "",
            },
            actor=coordinator,
        )
    services.change_status(meeting, "drafting", actor=coordinator)
    services.change_status(meeting, "circulated", actor=coordinator, note="Comments by Friday, please.")
    db.session.commit()
    # Agendas come in the daily digest by default: its hour has come for everyone.
    db.session.execute(sa.update(Notification).values(next_attempt_at=utcnow()))
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count(Notification.id)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-partner", type=int, default=3, help="officials per partner")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    ca = trustme.CA()
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        root = Path(tmp)
        ca_file = root / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        controller, counter = smtp_server(ca)
        app = create_app(
            "testing",
            {
                "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{root / 'mail.sqlite'}",
                "ARCHIVE_STORAGE": str(root / "files"),
                "ARCHIVE_INDEX": str(root / "ix"),
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": controller.port,
                "MAIL_USE_TLS": True,
                "MAIL_USE_SSL": False,
                "MAIL_CA_FILE": str(ca_file),
                "MAIL_SUPPRESS": False,
            },
        )
        try:
            with app.app_context():
                queued = circulate(args.per_partner)
                mail_job = next(job for job in worker.jobs() if job.name == "mail")
                started = time.perf_counter()
                said = worker.run_job(mail_job)
                took = time.perf_counter() - started
        finally:
            controller.stop()
    print(f"{queued} mails queued by one circulation to 53 partners × {args.per_partner} officials")
    print(f"worker: {said}  SMTP server received: {counter.received}")
    print(f"total {took:.2f} s, {counter.received / took:.0f} mails/second (STARTTLS, certificate verified)")


if __name__ == "__main__":
    main()
