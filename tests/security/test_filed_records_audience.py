"""Records the application files by itself take the strictest audience of their source.

Every kind of source (agenda versions and adopted minutes of a coordinators' meeting and of a SOM,
a progress report) × every role (official, observer, coordinator, administrator): the search's
results, snippets and facet counts, the record page and the file download.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from markupsafe import escape

from secretariat.agenda import minutes
from secretariat.archive import filing, services
from secretariat.archive.models import Record, RecordVersion
from secretariat.extensions import db
from secretariat.programme import reports
from tests.agenda.helpers import add, make_meeting, set_status
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative

ROLES = ("official", "observer", "coordinator", "admin")
CLEARED = {"coordinator", "admin"}

#: each source: its marker word (in the filed text), whether partners may read it, and how many
#: hits hold the word (an agenda item's title is in two versions, circulated and adopted, which the
#: search shows as one hit with its earlier version, and in the minutes)
SOURCES = {
    "coordinators-agenda": ("zqcoordagenda", False, 2),
    "coordinators-minutes": ("zqcoordminutes", False, 1),
    "som-agenda": ("zqsomagenda", True, 2),
    "som-minutes": ("zqsomminutes", True, 1),
    "progress-report": ("zqprogressreport", True, 1),
}


def _meeting_with_minutes(coordinator, kind: str, agenda_word: str, minutes_word: str):
    meeting = make_meeting(coordinator, kind=kind, code=f"T-{kind[:4].upper()}", title=f"Test {kind} meeting")
    add(meeting, coordinator, f"Item on {agenda_word}")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(
        meeting, summary=f"Discussed {minutes_word}.", decisions={}, expected_version=0, actor=coordinator
    )
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    return meeting


@pytest.fixture
def filed(app):
    """The records filed from every kind of source, by source name."""
    coordinator = make_user("coordinator", partner_code="EU")
    _meeting_with_minutes(coordinator, "coordinators", "zqcoordagenda", "zqcoordminutes")
    _meeting_with_minutes(coordinator, "som", "zqsomagenda", "zqsomminutes")
    sponsor = make_user("official", partner_code="SG")
    initiative = make_initiative(coordinator, lead="SG", status="ongoing")
    reports.submit_report(
        initiative,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        text="Progress on zqprogressreport.",
        milestones_done=set(),
        actor=sponsor,
    )
    db.session.commit()
    services.sync()
    records = {}
    for record in db.session.scalars(sa.select(Record)):
        text = record.title + record.description_source
        if record.source_ref.startswith("progress-report:"):
            records["progress-report"] = record
        elif record.source_ref.startswith("agenda-version:"):
            records[("coordinators" if "coordinators" in text else "som") + "-agenda"] = record
        elif record.source_ref.startswith("minutes:"):
            records[("coordinators" if "coordinators" in text else "som") + "-minutes"] = record
    assert set(records) == set(SOURCES)
    return records


def _file_url(record: Record) -> str:
    version = db.session.scalar(sa.select(RecordVersion).where(RecordVersion.record_id == record.id))
    return f"/archive/records/{record.id}/versions/{version.number}/files/{version.files[0].id}"


def _total(body: str) -> int:
    return int(re.search(r'<h2 id="results-title">(\d+) record', body).group(1))


def _expected_levels() -> dict[str, str]:
    return {name: "restricted" if partners else "coordinators" for name, (_, partners, _) in SOURCES.items()}


def test_each_source_is_filed_at_its_audience(filed):
    assert {name: record.confidentiality for name, record in filed.items()} == _expected_levels()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_filed_records_reach_only_the_audience_of_their_source(client, login_as, filed, role, source):
    login_as(role, partner_code="JP" if role not in CLEARED else "EU")
    word, partners_may, holding = SOURCES[source]
    allowed = partners_may or role in CLEARED
    record = filed[source]
    # search: results and snippets
    body = page_text(client.get("/archive/", query_string={"q": word}))
    assert _total(body) == (holding if allowed else 0)
    # the query is echoed twice (the box and the heading); a hit adds its title and its snippet
    assert (body.count(word) > 2) is allowed
    assert (escape(record.title) in body) is allowed
    # the record page and its file
    assert client.get(f"/archive/records/{record.id}").status_code == (200 if allowed else 404)
    download = client.get(_file_url(record))
    assert download.status_code == (200 if allowed else 404)
    if allowed:
        assert word.encode() in download.data


@pytest.mark.parametrize("role", ROLES)
def test_facet_counts_name_no_coordinators_meeting_to_partners(client, login_as, filed, role):
    login_as(role, partner_code="JP" if role not in CLEARED else "EU")
    for query in ("", "meeting"):
        body = page_text(client.get("/archive/", query_string={"q": query}))
        assert ("Coordinators&#39; Meeting" in body) is (role in CLEARED), query
        if role not in CLEARED:
            assert "zqcoord" not in body and "Test coordinators meeting" not in body


def test_records_filed_before_the_rule_are_raised_by_the_command(app, runner, filed):
    wrong = [filed["coordinators-agenda"], filed["coordinators-minutes"]]
    for record in wrong:  # as the application filed them before the rule
        db.session.execute(sa.update(Record).where(Record.id == record.id).values(confidentiality="restricted"))
    db.session.commit()
    dry = runner.invoke(args=["archive", "raise-filed-levels", "--dry-run"])
    assert dry.exit_code == 0 and "2 record(s) would be raised" in dry.output
    result = runner.invoke(args=["archive", "raise-filed-levels"])
    assert result.exit_code == 0, result.output
    assert f"record {wrong[0].id}: restricted -> coordinators" in result.output
    db.session.expire_all()
    assert {name: record.confidentiality for name, record in filed.items()} == _expected_levels()
    # A new version, sealed and audited like any revision; the others are untouched.
    assert [r.current_version for r in wrong] == [2, 2]
    assert filed["som-minutes"].current_version == 1
    assert "0 record(s) raised" in runner.invoke(args=["archive", "raise-filed-levels"]).output
    official = app.test_client()
    official.login(make_user("official").email)
    assert _total(page_text(official.get("/archive/", query_string={"q": "zqcoordminutes"}))) == 0
    assert official.get(f"/archive/records/{wrong[1].id}").status_code == 404


def test_draft_minutes_would_be_filed_for_coordinators_only(app):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    draft = minutes.Minutes(meeting_id=meeting.id, status="draft")
    assert filing.audience(filing.minutes_source(meeting, draft)).value == "coordinators"


def test_a_meeting_made_a_coordinators_meeting_takes_its_filed_papers_with_it(app, client, filed):
    from secretariat.agenda import services as agenda
    from secretariat.agenda.models import Meeting

    coordinator = make_user("coordinator", partner_code="EU")
    som = db.session.scalar(sa.select(Meeting).where(Meeting.kind == "som"))
    data = {
        "title": som.title,
        "kind": "coordinators",
        "code": som.code,
        "city": som.city,
        "host": som.host.code,
        "time_zone": som.time_zone,
        "start_date": som.start_date,
        "end_date": som.end_date,
        "format": som.format,
    }
    agenda.update_meeting(som, data, expected_version=som.version, actor=coordinator)
    db.session.commit()
    services.sync()
    db.session.expire_all()
    assert filed["som-agenda"].confidentiality == filed["som-minutes"].confidentiality == "coordinators"
    client.login(make_user("official").email)
    for word in ("zqsomagenda", "zqsomminutes"):
        assert _total(page_text(client.get("/archive/", query_string={"q": word}))) == 0


def test_coordinators_notes_are_never_filed(app, client):
    coordinator = make_user("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator)
    add(meeting, coordinator, "Opening", coordinator_notes="Fallback line zqcoordnote")
    set_status(meeting, coordinator, "drafting", "circulated", "adopted", "held")
    minutes.save_minutes(meeting, summary="Met.", decisions={}, expected_version=0, actor=coordinator)
    minutes.adopt(meeting, actor=coordinator)
    db.session.commit()
    services.sync()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Record)) == 3
    client.login(coordinator.email)  # not even in the coordinators' view of the archive
    assert _total(page_text(client.get("/archive/", query_string={"q": "zqcoordnote"}))) == 0
