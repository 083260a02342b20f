"""Progress reports (object-level rights), reviews, the SOM summary and the silence procedure."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.extensions import db
from secretariat.programme import queries, services, silence
from secretariat.programme.models import Initiative, ProgressReport, SilencePosition, SilenceProcedure
from secretariat.timeutil import utcnow
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text, path_of
from tests.programme.helpers import make_initiative

REPORT = {"period_start": "2026-01-01", "period_end": "2026-06-30", "text": "Two workshops held."}


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


@pytest.fixture
def initiative(coordinator):
    item = make_initiative(coordinator, "ASEM-ECO-500", lead="TH", co=["DE"], status="ongoing")
    services.add_milestone(item, title="Launch conference", kind="milestone", due=date(2026, 3, 1), actor=coordinator)
    db.session.commit()
    return item


# --- reports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("partner", ["TH", "DE"])
def test_sponsoring_partners_report(client, login_as, initiative, partner):
    login_as("official", partner_code=partner)
    milestone = services.milestones(initiative)[0]
    response = client.submit(
        f"/programme/initiatives/{initiative.id}/reports/new", {**REPORT, "milestones_done": [str(milestone.id)]}
    )
    assert response.status_code == 302
    report = db.session.scalar(sa.select(ProgressReport))
    assert report.partner.code == partner
    db.session.refresh(milestone)
    assert milestone.done


def test_forged_report_for_an_initiative_the_partner_does_not_sponsor(client, login_as, initiative):
    intruder = login_as("official", partner_code="VN")
    assert client.get(f"/programme/initiatives/{initiative.id}/reports/new").status_code == 403
    token = client.csrf_token("/")
    response = client.post(f"/programme/initiatives/{initiative.id}/reports/new", data={**REPORT, "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ProgressReport.id))) == 0
    # the forged submission is recorded; the form's GET, refused too, writes nothing
    refusals = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "report.refused")).all()
    assert len(refusals) == 1 and refusals[0].actor_id == intruder.id


def test_observers_cannot_report_even_for_their_partner(client, login_as, initiative):
    login_as("observer", partner_code="TH")
    assert client.submit(f"/programme/initiatives/{initiative.id}/reports/new", REPORT, page="/").status_code == 403


def test_a_successor_official_reports_for_the_partner(client, initiative):
    leaving = make_user("official", partner_code="TH", active=False)
    assert leaving is not None
    successor = make_user("official", partner_code="TH")
    client.login(successor.email)
    assert client.submit(f"/programme/initiatives/{initiative.id}/reports/new", REPORT).status_code == 302


def test_report_period_must_be_in_order(client, login_as, initiative):
    login_as("official", partner_code="TH")
    response = client.submit(
        f"/programme/initiatives/{initiative.id}/reports/new", {**REPORT, "period_start": "2026-07-01"}
    )
    assert response.status_code == 400 and "Two workshops held." in page_text(response)


def test_coordinator_reviews_and_any_official_comments(app, client, login_as, initiative, coordinator):
    thai = app.test_client()
    thai.login(make_user("official", partner_code="TH").email)
    thai.submit(f"/programme/initiatives/{initiative.id}/reports/new", REPORT)
    report = db.session.scalar(sa.select(ProgressReport))
    login_as("official", partner_code="MN")
    assert (
        client.submit(
            f"/programme/initiatives/{initiative.id}/comments",
            {"text": "Well done", "report_id": str(report.id)},
            page=f"/programme/initiatives/{initiative.id}",
        ).status_code
        == 302
    )
    assert (
        client.submit(f"/programme/initiatives/{initiative.id}/reports/{report.id}/review", page="/").status_code == 403
    )
    coord = app.test_client()
    coord.login(coordinator.email)
    assert "Reports awaiting review" in page_text(coord.get("/"))
    coord.submit(
        f"/programme/initiatives/{initiative.id}/reports/{report.id}/review",
        page=f"/programme/initiatives/{initiative.id}",
    )
    db.session.refresh(report)
    assert report.reviewed_at is not None
    assert "Well done" in page_text(coord.get(f"/programme/initiatives/{initiative.id}"))


def test_official_dashboard(client, login_as, initiative):
    login_as("official", partner_code="DE")
    body = page_text(client.get("/"))
    assert "Progress reports due" in body and "ASEM-ECO-500" in body
    assert "Launch conference" in body  # overdue milestone of a co-sponsored initiative


# --- the SOM summary --------------------------------------------------------------------------


def test_changes_since_the_last_som(client, login_as, coordinator):
    earlier = make_meeting(coordinator, title="SOM spring", start_date=date(2026, 3, 1), end_date=date(2026, 3, 2))
    current = make_meeting(coordinator, title="SOM autumn", start_date=date(2026, 10, 1), end_date=date(2026, 10, 2))
    old = make_initiative(coordinator, "ASEM-OLD-1", status="endorsed")
    db.session.execute(
        sa.update(Initiative).where(Initiative.id == old.id).values(created_at=datetime(2026, 1, 5, tzinfo=UTC))
    )
    new = make_initiative(coordinator, "ASEM-NEW-1")
    db.session.execute(
        sa.update(Initiative).where(Initiative.id == new.id).values(created_at=datetime(2026, 5, 5, tzinfo=UTC))
    )
    services.change_status(old, "ongoing", effective=date(2026, 6, 1), meeting_id=None, note="", actor=coordinator)
    services.change_status(new, "endorsed", effective=date(2026, 10, 3), meeting_id=None, note="", actor=coordinator)
    services.add_milestone(old, title="Overdue study", kind="deliverable", due=date(2026, 9, 1), actor=coordinator)
    services.add_milestone(old, title="Future study", kind="deliverable", due=date(2026, 12, 1), actor=coordinator)
    db.session.commit()
    result = queries.som_summary(current)
    assert result.previous.id == earlier.id
    assert [i.code for i in result.new_initiatives] == ["ASEM-NEW-1"]
    assert [(c.from_status, c.to_status) for c in result.status_changes] == [("endorsed", "ongoing")]
    assert [m.title for m in result.overdue] == ["Overdue study"]
    login_as("observer")
    body = page_text(client.get(f"/programme/som-summary?meeting={current.id}"))
    assert "ASEM-NEW-1" in body and "endorsed → ongoing" in body and "Overdue study" in body
    assert "Future study" not in body and "Changes since SOM spring" in body


# --- silence procedure --------------------------------------------------------------------------


def start(coordinator, initiative=None, hours=24, status=None, zone="Europe/Brussels"):
    deadline_local = (utcnow() + timedelta(hours=hours)).astimezone(__import__("zoneinfo").ZoneInfo(zone))
    procedure = silence.start(
        subject="Endorse the initiative",
        text="Text",
        deadline_local=deadline_local.replace(tzinfo=None, second=0, microsecond=0),
        zone=zone,
        initiative=initiative,
        proposed_status=status,
        actor=coordinator,
    )
    db.session.commit()
    return procedure


def test_adopted_at_the_deadline_without_objection(coordinator, initiative, runner):
    item = make_initiative(coordinator, "ASEM-POL-600", status="proposed")
    procedure = start(coordinator, item, status="endorsed")
    agreeing = make_user("official", partner_code="JP")
    silence.take_position(procedure, "agreed", "", actor=agreeing)
    db.session.commit()
    assert silence.settle_due() == []  # not yet
    result = runner.invoke(args=["programme", "settle-silence"], env={})
    assert "0 procedure(s) decided" in result.output
    decided = silence.settle_due(now=procedure.deadline)
    db.session.commit()
    assert [p.id for p in decided] == [procedure.id]
    db.session.expire_all()
    assert db.session.get(SilenceProcedure, procedure.id).outcome == "adopted"
    assert db.session.get(Initiative, item.id).status == "endorsed"
    assert (
        db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "silence.settle")).actor_label
        == "system:silence-procedure"
    )


def test_not_adopted_when_silence_is_broken(app, client, coordinator):
    item = make_initiative(coordinator, "ASEM-POL-601", status="proposed")
    procedure = start(coordinator, item, status="endorsed")
    client.login(make_user("official", partner_code="CN").email)
    empty = client.submit(
        f"/programme/silence/{procedure.id}/position",
        {"position": "broke_silence"},
        page=f"/programme/silence/{procedure.id}",
    )
    assert "needs a reason" in page_text(client.get(path_of(empty)))
    asked = client.submit(
        f"/programme/silence/{procedure.id}/position",
        {"position": "broke_silence", "reason": "Needs more consultation"},
        page=f"/programme/silence/{procedure.id}",
    )
    assert "Break silence on behalf of China?" in page_text(asked)  # irreversible: asked first, nothing recorded
    assert db.session.scalar(sa.select(sa.func.count(SilencePosition.id))) == 0
    client.submit(
        f"/programme/silence/{procedure.id}/position",
        {"position": "broke_silence", "reason": "Needs more consultation", "confirmed": "yes"},
        page=f"/programme/silence/{procedure.id}",
    )
    silence.settle_due(now=procedure.deadline + timedelta(seconds=1))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(SilenceProcedure, procedure.id).outcome == "not_adopted"
    assert db.session.get(Initiative, item.id).status == "proposed"
    coord = app.test_client()
    coord.login(coordinator.email)
    body = page_text(coord.get(f"/programme/silence/{procedure.id}"))
    assert "Broke silence" in body and "Needs more consultation" in body and "China" in body
    assert "1 broke silence · 0 agreed explicitly · 52 silent" in body


def test_deadline_boundary(coordinator):
    procedure = start(coordinator)
    just_before = procedure.deadline - timedelta(microseconds=1)
    silence.take_position(
        procedure, "broke_silence", "in time", actor=make_user("official", partner_code="IN"), now=just_before
    )
    db.session.commit()
    with pytest.raises(silence.SilenceRefused, match="deadline has passed"):
        silence.take_position(
            procedure,
            "broke_silence",
            "too late",
            actor=make_user("official", partner_code="PK"),
            now=procedure.deadline,
        )
    db.session.rollback()
    assert silence.settle_due(now=just_before) == []
    assert [p.id for p in silence.settle_due(now=procedure.deadline)] == [procedure.id]


def test_late_objection_after_settlement_is_refused(client, coordinator):
    procedure = start(coordinator)
    silence.settle_due(now=procedure.deadline)
    db.session.commit()
    client.login(make_user("official", partner_code="BD").email)
    response = client.submit(
        f"/programme/silence/{procedure.id}/position",
        {"position": "broke_silence", "reason": "late"},
        page="/programme/silence",
    )
    assert "deadline has passed" in page_text(client.get(path_of(response)))
    assert db.session.scalar(sa.select(sa.func.count(SilencePosition.id))) == 0


def test_positions_are_immutable(client, coordinator):
    procedure = start(coordinator)
    official = make_user("official", partner_code="NZ")
    client.login(official.email)
    client.submit(
        f"/programme/silence/{procedure.id}/position", {"position": "agreed"}, page=f"/programme/silence/{procedure.id}"
    )
    second = client.submit(
        f"/programme/silence/{procedure.id}/position",
        {"position": "broke_silence", "reason": "changed my mind"},
        page=f"/programme/silence/{procedure.id}",
    )
    assert "cannot be changed" in page_text(client.get(path_of(second)))
    colleague = make_user("official", partner_code="NZ")
    with pytest.raises(silence.SilenceRefused, match="already recorded"):
        silence.take_position(procedure, "broke_silence", "colleague", actor=colleague)
    db.session.rollback()
    positions = db.session.scalars(sa.select(SilencePosition)).all()
    assert [(p.position, p.reason) for p in positions] == [("agreed", "")]


def test_a_passed_deadline_shows_as_decided_but_only_the_command_records_it(client, coordinator, runner):
    """Pages tell the outcome from the clock; no GET writes it: settle-silence does, with the status change."""
    item = make_initiative(coordinator, "ASEM-POL-603", status="proposed")
    procedure = start(coordinator, item, status="endorsed")
    db.session.execute(sa.update(SilenceProcedure).values(deadline=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    client.login(make_user("observer").email)
    for url in (f"/programme/silence/{procedure.id}", "/programme/silence", f"/programme/initiatives/{item.id}"):
        assert "Adopted (no objection)" in page_text(client.get(url)), url
    assert "Break silence" not in page_text(client.get(f"/programme/silence/{procedure.id}"))
    db.session.expire_all()
    row = db.session.get(SilenceProcedure, procedure.id)
    assert (row.outcome, row.decided_at) == ("open", None)
    assert db.session.get(Initiative, item.id).status == "proposed"
    assert runner.invoke(args=["programme", "settle-silence"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(SilenceProcedure, procedure.id).outcome == "adopted"
    assert db.session.get(Initiative, item.id).status == "endorsed"


def test_a_broken_silence_past_its_deadline_shows_as_not_adopted(client, coordinator):
    procedure = start(coordinator)
    silence.take_position(procedure, "broke_silence", "No", actor=make_user("official", partner_code="CN"))
    db.session.execute(sa.update(SilenceProcedure).values(deadline=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    client.login(make_user("observer").email)
    assert "Not adopted (silence broken)" in page_text(client.get(f"/programme/silence/{procedure.id}"))
    db.session.expire_all()
    assert db.session.get(SilenceProcedure, procedure.id).outcome == "open"


def test_cli_settles_due_procedures(coordinator, runner):
    procedure = start(coordinator)
    db.session.execute(sa.update(SilenceProcedure).values(deadline=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    result = runner.invoke(args=["programme", "settle-silence"])
    assert result.exit_code == 0 and f"#{procedure.id}" in result.output and "adopted" in result.output


def test_deadline_is_time_zone_correct(coordinator):
    procedure = silence.start(
        subject="S",
        text="T",
        deadline_local=datetime(2030, 7, 1, 17, 0),
        zone="Asia/Singapore",
        initiative=None,
        proposed_status=None,
        actor=coordinator,
    )
    assert procedure.deadline == datetime(2030, 7, 1, 9, 0, tzinfo=UTC)


def test_deadline_in_the_past_and_impossible_status_are_refused(coordinator):
    with pytest.raises(silence.SilenceRefused, match="future"):
        silence.start(
            subject="S",
            text="T",
            deadline_local=datetime(2001, 1, 1, 12, 0),
            zone="UTC",
            initiative=None,
            proposed_status=None,
            actor=coordinator,
        )
    done = make_initiative(coordinator, "ASEM-POL-602", status="completed")
    with pytest.raises(silence.SilenceRefused, match="cannot become"):
        silence.start(
            subject="S",
            text="T",
            deadline_local=datetime(2030, 1, 1, 12, 0),
            zone="UTC",
            initiative=done,
            proposed_status="ongoing",
            actor=coordinator,
        )


def test_start_form_and_partner_reminder(app, client, coordinator):
    client.login(coordinator.email)
    response = client.submit(
        "/programme/silence/new",
        {
            "subject": "Draft statement",
            "text": "Text of the draft",
            "deadline": "2001-01-01T12:00",
            "zone": "Europe/Brussels",
        },
    )
    assert (
        response.status_code == 400 and "future" in page_text(response) and "Text of the draft" in page_text(response)
    )
    ok = client.submit(
        "/programme/silence/new",
        {"subject": "Draft statement", "text": "Text", "deadline": "2030-01-01T12:00", "zone": "Europe/Brussels"},
    )
    assert ok.status_code == 302
    official = app.test_client()
    official.login(make_user("official", partner_code="KZ").email)
    assert "your partner has not answered" in page_text(official.get("/"))


def test_report_attachments_are_filed_in_the_archive(client, login_as, initiative):
    import io

    from secretariat.archive.models import Record
    from tests.archive.helpers import pdf

    login_as("official", partner_code="TH")
    bad = client.submit(
        f"/programme/initiatives/{initiative.id}/reports/new",
        {**REPORT, "attachments": [(io.BytesIO(b"MZ" + b"\x00" * 64), "annex.pdf")]},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "programs cannot be archived" in page_text(bad)
    assert db.session.scalar(sa.select(sa.func.count(ProgressReport.id))) == 0
    ok = client.submit(
        f"/programme/initiatives/{initiative.id}/reports/new",
        {**REPORT, "attachments": [(io.BytesIO(pdf("Workshop agenda")), "workshop.pdf")]},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    record = db.session.scalar(sa.select(Record).where(Record.source_ref.like("progress-report:%")))
    from secretariat.archive import services as archive

    names = sorted(f.filename for f in archive.current_version(record).files)
    assert names == ["report-ASEM-ECO-500.txt", "workshop.pdf"]
    page = page_text(client.get(f"/programme/initiatives/{initiative.id}"))
    assert f"/archive/records/{record.id}" in page


def test_mandate_links_to_its_archive_record(client, coordinator):
    from tests.archive.helpers import file_record

    record = file_record(coordinator, "Chairman's Statement ASEM1", confidentiality="public")
    item = make_initiative(coordinator, "ASEM-SOC-901")
    client.login(coordinator.email)
    base = {"code": item.code, "title": item.title, "pillar": "economic", "lead_partner": "SG", "version": "1"}
    bad = client.submit(f"/programme/initiatives/{item.id}/edit", {**base, "mandate_record_id": "999999"})
    assert bad.status_code == 400 and "no archive record number 999999" in page_text(bad)
    assert (
        client.submit(
            f"/programme/initiatives/{item.id}/edit", {**base, "mandate_record_id": str(record.id)}
        ).status_code
        == 302
    )
    assert f"/archive/records/{record.id}" in page_text(client.get(f"/programme/initiatives/{item.id}"))
