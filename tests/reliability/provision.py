"""Fill a freshly migrated instance with what the reliability tests need; prints it as JSON.

Run by the suite in a subprocess with the instance's environment (SECRETARIAT_INSTANCE, DATABASE_URL):
    python -m tests.reliability.provision COORDINATORS OFFICIALS
Accounts get one password (hashed once: argon2 at production cost is slow on purpose) and the
coordinators a confirmed second factor with a known key, so the tests sign in like people do.
"""

from __future__ import annotations

import json
import sys
from datetime import date, time

import pyotp

from secretariat import audit, create_app, seed
from secretariat.agenda import items
from secretariat.agenda import services as agenda
from secretariat.auth.models import Partner, Role, User
from secretariat.auth.passwords import hash_password
from secretariat.auth.services import user_snapshot
from secretariat.extensions import db
from secretariat.programme import services as programme
from secretariat.timeutil import utcnow

PASSWORD = "a long and perfectly fine passphrase"  # noqa: S105 (test accounts on a throwaway instance)
OFFICIAL_PARTNERS = ("JP", "DE", "FR", "SG", "TH", "VN", "IT", "KR", "IN", "ES", "CN", "PL")


def main(coordinators: int, officials: int) -> dict:
    app = create_app()
    with app.app_context():
        seed.seed_partners()
        partners = {p.code: p for p in db.session.scalars(db.select(Partner))}
        password_hash = hash_password(PASSWORD)
        people = {"coordinators": [], "officials": []}
        for n in range(coordinators):
            secret = pyotp.random_base32()
            user = User(
                email=f"coordinator{n}@example.org",
                display_name=f"Coordinator {n}",
                partner=partners["EU"],
                role=Role.COORDINATOR.value,
                is_active_account=True,
                password_hash=password_hash,
                totp_secret=secret,
                totp_confirmed_at=utcnow(),
            )
            db.session.add(user)
            people["coordinators"].append({"email": user.email, "totp": secret})
        for n in range(officials):
            code = OFFICIAL_PARTNERS[n % len(OFFICIAL_PARTNERS)]
            user = User(
                email=f"official{n}@example.org",
                display_name=f"Official {n}",
                partner=partners[code],
                role=Role.OFFICIAL.value,
                is_active_account=True,
                password_hash=password_hash,
            )
            db.session.add(user)
            people["officials"].append({"email": user.email, "partner": code})
        db.session.flush()
        for user in db.session.scalars(db.select(User)):  # as the application records an account's creation
            audit.record(None, "user.create", user, **user_snapshot(user))
        actor = db.session.scalar(db.select(User).where(User.role == Role.COORDINATOR.value)) or "provision"
        meeting = agenda.create_meeting(
            {
                "title": "Senior Officials' Meeting, Brussels",
                "kind": "som",
                "sector": None,
                "number": None,
                "code": "SOM-R",
                "city": "Brussels",
                "host": "BE",
                "time_zone": "",
                "start_date": date(2027, 3, 10),
                "end_date": date(2027, 3, 11),
                "start_time": time(9, 0),
                "end_time": time(17, 0),
                "format": "in_person",
                "chair": "EEAS",
                "theme": None,
                "description_source": "",
            },
            actor=actor,
        )
        agenda.change_status(meeting, "drafting", actor=actor)
        item = items.add_item(
            meeting,
            {
                "title": "Connectivity",
                "item_type": "discussion",
                "description_source": "start",
                "presenter": "",
                "lead_partners": [],
                "duration_minutes": 30,
                "fixed_start": None,
                "coordinator_notes": "",
            },
            actor=actor,
        )
        initiative = programme.create_initiative(
            {
                "code": "ASEM-ECO-777",
                "title": "Sustainable connectivity",
                "summary_source": "start",
                "pillar": "economic",
                "lead_partner": "SG",
                "co_sponsors": ["JP"],
                "start_date": date(2025, 1, 1),
                "end_date": None,
                "mandate_meeting_id": None,
                "mandate_reference": "",
                "programme_id": None,
                "contacts": [],
            },
            actor=actor,
        )
        db.session.commit()
        return {
            "password": PASSWORD,
            **people,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "initiative_id": initiative.id,
        }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
