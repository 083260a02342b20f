"""Builders for work-programme tests, through the real services."""

from __future__ import annotations

from datetime import date

from secretariat.extensions import db
from secretariat.programme import services


def make_initiative(actor, code="ASEM-ECO-901", lead="SG", co=(), status="proposed", **overrides):
    data = {
        "code": code,
        "title": f"Initiative {code}",
        "summary_source": "",
        "pillar": "economic",
        "lead_partner": lead,
        "co_sponsors": list(co),
        "start_date": date(2025, 1, 1),
        "end_date": None,
        "mandate_meeting_id": None,
        "mandate_reference": "",
        "programme_id": None,
        "contacts": [],
    }
    data.update(overrides)
    initiative = services.create_initiative(data, actor=actor, status=status)
    db.session.commit()
    return initiative
