"""Issue 28, "Forms that help": time zones by city and country, every error in one pass, long
choice lists as checkboxes, the least role for a new user."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from secretariat.agenda.models import Meeting
from secretariat.auth.models import User
from secretariat.extensions import db
from secretariat.programme import services
from secretariat.programme.models import Initiative, SilenceProcedure
from secretariat.web.zones import zone_choices, zone_label
from tests.agenda.helpers import make_meeting
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative

MEETING = {
    "title": "SOM in Bangkok",
    "kind": "som",
    "start_date": "2027-03-10",
    "end_date": "2027-03-11",
    "format": "in_person",
    "host": "",
}


def _field_block(html: str, field_id: str) -> str:
    """The <div class="field"> (or fieldset) holding the control with this id."""
    at = html.index(f'id="{field_id}"')
    start = max(html.rfind('<div class="field', 0, at), html.rfind("<fieldset", 0, at))
    return html[start : html.index("</select>", at) if "</select>" in html[at:] else at + 2000]


# --- 6. time zones ------------------------------------------------------------------------------


def test_the_zone_list_is_by_city_and_country_grouped_by_region():
    choices = zone_choices()
    bangkok = next(c for c in choices if c.value == "Asia/Bangkok")
    assert bangkok.label == "Bangkok — Thailand (UTC+7)" and bangkok.optgroup == "Asia"
    assert zone_label("Asia/Kolkata").startswith("Kolkata (New Delhi) — India (UTC+5:30)")
    assert zone_label("Asia/Ho_Chi_Minh").startswith("Ho Chi Minh (Hanoi) — Vietnam")
    regions = list(dict.fromkeys(c.optgroup for c in choices))
    assert regions[:3] == ["Universal time", "Asia", "Europe"]
    # every value is an IANA name that stores and loads as it always did
    assert all("/" in c.value or c.value == "UTC" for c in choices)


def test_the_meeting_form_offers_bangkok_and_stores_the_iana_name(client, login_as):
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get("/meetings/new"))
    block = _field_block(html, "time_zone")
    assert '<optgroup label="Asia">' in block
    assert '<option value="Asia/Bangkok">Bangkok — Thailand (UTC+7)</option>' in block
    assert 'name="time_zone"><option value="">The host partner&#39;s time zone</option><optgroup' in block
    assert 'data-filter="time zones"' in block
    response = client.submit("/meetings/new", {**MEETING, "time_zone": "Asia/Bangkok"})
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.title == "SOM in Bangkok"))
    assert meeting.time_zone == "Asia/Bangkok"
    edit = page_text(client.get(f"/meetings/{meeting.id}/edit"))
    assert '<option selected value="Asia/Bangkok">Bangkok — Thailand (UTC+7)</option>' in edit


def test_a_wrong_zone_is_reported_on_the_zone_field_with_the_other_mistakes(client, login_as):
    login_as("coordinator", partner_code="EU")
    response = client.submit("/meetings/new", {**MEETING, "title": "", "time_zone": "Mars/Olympus"})
    html = page_text(response)
    assert response.status_code == 400
    block = _field_block(html, "time_zone")
    assert 'id="time_zone-error"' in block and "type a city or a country" in block
    assert 'aria-invalid="true"' in block
    # the summary links each error to its own field
    assert '<a href="#time_zone">Time zone of the venue: Choose a time zone' in html
    assert '<a href="#title">Title: This field is required.</a>' in html


def test_a_stored_zone_missing_from_the_list_is_kept_on_edit(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    meeting = make_meeting(coordinator, time_zone="Asia/Calcutta")  # an old alias of Asia/Kolkata
    meeting.time_zone = "Asia/Calcutta"
    db.session.commit()
    html = page_text(client.get(f"/meetings/{meeting.id}/edit"))
    assert '<optgroup label="Other"><option selected value="Asia/Calcutta">' in html


def test_the_silence_deadline_zone_is_chosen_from_the_list(client, login_as):
    login_as("coordinator", partner_code="EU")
    html = page_text(client.get("/programme/silence/new"))
    assert '<option selected value="Europe/Brussels">Brussels — Belgium (UTC+' in html
    soon = (date.today() + timedelta(days=5)).isoformat()
    data = {"subject": "Text", "text": "Agreed text.", "deadline": f"{soon}T12:00", "zone": "Asia/Singapore"}
    assert client.submit("/programme/silence/new", data).status_code == 302
    assert db.session.scalar(sa.select(SilenceProcedure.deadline_zone)) == "Asia/Singapore"


def test_the_account_page_names_the_partners_zone_by_city_and_country(client, login_as):
    login_as("official", partner_code="TH")
    assert "(Bangkok — Thailand (UTC+7))" in page_text(client.get("/account"))


# --- 7. all errors in one pass --------------------------------------------------------------------


@pytest.fixture
def thai_initiative(app):
    coordinator = make_user("coordinator", partner_code="EU")
    item = make_initiative(coordinator, "ASEM-ECO-700", lead="TH", status="ongoing")
    services.add_milestone(item, title="Launch", kind="milestone", due=date(2026, 3, 1), actor=coordinator)
    db.session.commit()
    return item


def test_the_report_form_shows_the_missing_progress_and_the_date_error_at_once(client, login_as, thai_initiative):
    login_as("official", partner_code="TH")
    response = client.submit(
        f"/programme/initiatives/{thai_initiative.id}/reports/new",
        {"period_start": "2026-07-01", "period_end": "2026-01-01", "text": ""},
    )
    html = page_text(response)
    assert response.status_code == 400
    assert '<a href="#text">Progress: This field is required.</a>' in html
    assert '<a href="#period_end">Period to: The period must end after it starts.</a>' in html


def test_the_initiative_form_puts_every_error_on_its_field(client, login_as):
    login_as("coordinator", partner_code="EU")
    response = client.submit(
        "/programme/initiatives/new",
        {
            "code": "",
            "title": "T",
            "pillar": "economic",
            "lead_partner": "TH",
            "start_date": "2027-01-01",
            "end_date": "2026-01-01",
        },
    )
    html = page_text(response)
    assert response.status_code == 400
    assert '<a href="#code">Reference code: This field is required.</a>' in html
    assert '<a href="#end_date">End: The end date cannot be before the start date.</a>' in html


def test_a_rule_the_service_checks_lands_on_its_field(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    make_initiative(coordinator, "ASEM-ECO-701", lead="TH")
    response = client.submit(
        "/programme/initiatives/new",
        {"code": "ASEM-ECO-702", "title": "T", "pillar": "economic", "lead_partner": "TH", "mandate_record_id": "999"},
    )
    html = page_text(response)
    assert response.status_code == 400
    assert '<a href="#mandate_record_id">Archive record of the mandate (its number): There is no archive record' in html
    assert db.session.scalar(sa.select(sa.func.count(Initiative.id))) == 1


def test_the_silence_form_reports_the_past_deadline_with_the_missing_subject(client, login_as):
    login_as("coordinator", partner_code="EU")
    data = {
        "subject": "",
        "text": "t",
        "deadline": "2020-01-01T12:00",
        "zone": "Europe/Brussels",
        "proposed_status": "completed",
    }
    html = page_text(client.submit("/programme/silence/new", data))
    assert '<a href="#subject">Subject: This field is required.</a>' in html
    assert '<a href="#deadline">Deadline (local time): The deadline must be in the future.</a>' in html
    assert (
        '<a href="#proposed_status">Status the initiative takes if adopted: A status change needs an initiative' in html
    )


def test_the_programme_form_checks_its_years_with_the_rest(client, login_as):
    login_as("coordinator", partner_code="EU")
    html = page_text(
        client.submit("/programme/programmes/new", {"title": "", "start_year": "2028", "end_year": "2026"})
    )
    assert '<a href="#title">Title: This field is required.</a>' in html
    assert '<a href="#end_year">Last year: The period must end after it starts.</a>' in html


def test_create_user_says_the_email_is_taken_together_with_the_other_mistakes(client, login_as):
    login_as("admin")
    make_user(email="taken@example.org")
    response = client.submit(
        "/admin/users/new", {"email": "taken@example.org", "display_name": "", "partner": "SG", "role": "official"}
    )
    html = page_text(response)
    assert '<a href="#display_name">Full name: This field is required.</a>' in html
    assert '<a href="#email">Email address: A user with this email address already exists.</a>' in html


# --- 8. long choice lists as checkboxes -------------------------------------------------------------


def test_partner_lists_are_grouped_checkboxes_with_a_count_and_group_buttons(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, "ASEM-ECO-703", lead="TH", co=["DE", "VN"])
    html = page_text(client.get(f"/programme/initiatives/{item.id}/edit"))
    assert "Hold Ctrl" not in html and "<select" not in html.split('id="co_sponsors"')[1].split("</fieldset>")[0]
    block = html.split('<fieldset class="field choice-list" id="co_sponsors"')[1]
    block = block[: block.index('<fieldset class="field choice-list" id="contacts"')]
    assert "<legend>Asian partners</legend>" in block and "<legend>European partners</legend>" in block
    assert block.index("<legend>Asian partners</legend>") < block.index('value="VN"') < block.index("<legend>European")
    assert '<input type="checkbox" name="co_sponsors" value="DE"' in block
    assert re.search(r'value="DE" id="co_sponsors-\d+" checked>', block)
    assert "2 of 53 selected: Viet Nam, Germany" in block
    asean = re.search(r'data-choose="([A-Z ]+)">Select the ASEAN member states</button>', block).group(1).split()
    assert sorted(asean) == ["BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "VN"]
    eu = re.search(r'data-choose="([A-Z ]+)">Select the EU member states</button>', block).group(1).split()
    assert len(eu) == 27 and "GB" not in eu and "NO" not in eu and "EU" not in eu
    assert ">Select all Asian partners</button>" in block and ">Clear the selection</button>" in block
    # without JavaScript the buttons would do nothing: they stay hidden until the script shows them
    assert '<div class="choice-list__actions" data-choice-actions hidden>' in block


def test_ticked_partners_are_saved(client, login_as):
    coordinator = login_as("coordinator", partner_code="EU")
    item = make_initiative(coordinator, "ASEM-ECO-704", lead="TH")
    page = page_text(client.get(f"/programme/initiatives/{item.id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {
        "code": "ASEM-ECO-704",
        "title": "Renamed",
        "pillar": "economic",
        "lead_partner": "TH",
        "co_sponsors": ["KH", "FR", "BN"],
        "version": version,
    }
    assert client.submit(f"/programme/initiatives/{item.id}/edit", data).status_code == 302
    db.session.refresh(item)
    assert sorted(p.code for p in item.co_sponsors) == ["BN", "FR", "KH"]


def test_milestones_and_agenda_lead_partners_use_the_same_checkboxes(client, login_as, thai_initiative):
    login_as("official", partner_code="TH")
    html = page_text(client.get(f"/programme/initiatives/{thai_initiative.id}/reports/new"))
    assert '<fieldset class="field choice-list" id="milestones_done"' in html
    assert '<input type="checkbox" name="milestones_done"' in html and "0 of 1 selected" in html
    client.logout()
    coordinator = make_user("coordinator", partner_code="FR")
    client.login(coordinator.email)
    meeting = make_meeting(coordinator)
    html = page_text(client.get(f"/meetings/{meeting.id}/items/new"))
    assert '<fieldset class="field choice-list" id="lead_partners"' in html and "Select the ASEAN member states" in html
    assert "Lead partner(s)" not in html and '<legend class="field__label">Lead partners</legend>' in html


def test_no_template_asks_to_hold_ctrl():
    from pathlib import Path

    for template in Path("templates").rglob("*.html"):
        assert "Hold Ctrl" not in template.read_text(), template


# --- 9. the least role for a new user -------------------------------------------------------------


def test_create_user_starts_at_observer_and_never_at_administrator(client, login_as):
    login_as("admin")
    html = page_text(client.get("/admin/users/new"))
    roles = html.split('id="role"')[1].split("</select>")[0]
    assert '<option selected value="observer">Observer</option>' in roles
    assert roles.index("observer") < roles.index("official") < roles.index("coordinator") < roles.index("admin")
    assert "selected" not in roles.split('value="admin"')[1].split("</option>")[0]
    response = client.submit(
        "/admin/users/new",
        {"email": "new@example.org", "display_name": "New Person", "partner": "SG", "role": "observer"},
    )
    assert response.status_code == 200
    assert db.session.scalar(sa.select(User.role).where(User.email == "new@example.org")) == "observer"


def test_a_new_record_version_asks_for_its_note_with_the_other_mistakes(client, login_as):
    from tests.archive.helpers import file_record

    coordinator = login_as("coordinator", partner_code="EU")
    record = file_record(coordinator, "Chair's statement", files=[("v1.txt", b"first wording")])
    page = page_text(client.get(f"/archive/records/{record.id}/revise"))
    assert '<fieldset class="field choice-list" id="keep_files"' in page and "1 of 1 selected: v1.txt" in page
    response = client.submit(
        f"/archive/records/{record.id}/revise",
        {
            "title": "",
            "record_type": "chairs_statement",
            "record_date": "2021-11-26",
            "language": "en",
            "confidentiality": "restricted",
            "change_note": "",
            "version": "1",
        },
    )
    html = page_text(response)
    assert response.status_code == 400
    assert '<a href="#title">Title: This field is required.</a>' in html
    assert '<a href="#change_note">What changed in this version: Say what changed in this version.</a>' in html
