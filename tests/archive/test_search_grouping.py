"""Search finds the document people mean: one hit per document, plain snippets, meetings by name,
authoritative documents first (issue 28, points 11 to 14)."""

import html
import re
from datetime import date

import pytest

from secretariat.archive import services
from secretariat.programme import reports
from tests.agenda.helpers import add, make_meeting, set_status
from tests.archive.helpers import file_record
from tests.factories import make_user, page_text
from tests.programme.helpers import make_initiative


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def search(client, query: str) -> str:
    return page_text(client.get("/archive/", query_string={"q": query}))


def titles(body: str) -> list[str]:
    found = re.findall(r'<h3 class="hit__title">(.*?)</h3>', body, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in found]


def results(body: str) -> list[str]:
    """The titles of the results list (not the meetings named above it)."""
    return titles(body.split('id="results-title"', 1)[1])


def total(body: str) -> int:
    return int(re.search(r'<h2 id="results-title">(\d+) record', body).group(1))


def earlier_versions(body: str) -> list[tuple[str, list[str]]]:
    """Each hit's "N earlier versions" line and the titles it lists."""
    found = re.findall(r'<details class="hit__earlier">\s*<summary>(.*?)</summary>(.*?)</details>', body, re.S)
    return [
        (summary, [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<a [^>]*>(.*?)</a>", listed)])
        for summary, listed in found
    ]


def agenda_versions(coordinator, meeting, levels=("restricted", "restricted", "restricted")):
    return [
        file_record(
            coordinator,
            f"Agenda v{n}: Mekong ministerial",
            record_type="agenda",
            meeting_id=meeting.id,
            record_date=date(2027, 3, n),
            confidentiality=level,
            description_source=f"Version {n} of the agenda on Mekong river cooperation.",
        )
        for n, level in enumerate(levels, start=1)
    ]


def test_the_versions_of_an_agenda_are_one_hit_the_latest(client, login_as, coordinator):
    meeting = make_meeting(coordinator)
    agenda_versions(coordinator, meeting)
    file_record(coordinator, "Statement on Mekong cooperation", description_source="The Mekong statement.")
    login_as("official")
    body = search(client, "mekong")
    assert results(body).count("Agenda v3: Mekong ministerial") == 1
    assert not {"Agenda v1: Mekong ministerial", "Agenda v2: Mekong ministerial"} & set(results(body))
    assert total(body) == 2  # the statement and the agenda
    assert earlier_versions(body) == [
        ("2 earlier versions", ["Agenda v2: Mekong ministerial", "Agenda v1: Mekong ministerial"])
    ]


def test_earlier_versions_the_reader_may_not_see_are_neither_counted_nor_named(client, login_as, coordinator):
    meeting = make_meeting(coordinator)
    agenda_versions(coordinator, meeting, levels=("restricted", "coordinators", "restricted"))
    login_as("official")
    body = search(client, "mekong")
    assert results(body) == ["Agenda v3: Mekong ministerial"]
    assert earlier_versions(body) == [("1 earlier version", ["Agenda v1: Mekong ministerial"])]
    assert "Agenda v2" not in body
    client.logout()
    login_as("coordinator")
    assert earlier_versions(search(client, "mekong"))[0][0] == "2 earlier versions"


def test_a_newer_version_hidden_from_the_reader_leaves_the_latest_they_may_see(client, login_as, coordinator):
    meeting = make_meeting(coordinator)
    agenda_versions(coordinator, meeting, levels=("restricted", "restricted", "coordinators"))
    login_as("official")
    body = search(client, "mekong")
    assert results(body) == ["Agenda v2: Mekong ministerial"]
    assert earlier_versions(body) == [("1 earlier version", ["Agenda v1: Mekong ministerial"])]


def test_circulated_agenda_versions_filed_by_the_agenda_are_grouped(client, login_as, coordinator):
    meeting = make_meeting(coordinator, title="Senior Officials' Meeting on fisheries")
    add(meeting, coordinator, "Opening")
    set_status(meeting, coordinator, "drafting", "circulated")
    add(meeting, coordinator, "Sustainable fisheries")
    set_status(meeting, coordinator, "circulated")
    services.sync()
    login_as("official")
    body = search(client, "fisheries")
    agendas = [t for t in results(body) if t.startswith("Agenda")]
    assert agendas == ["Agenda v2 (circulated): Senior Officials' Meeting on fisheries"]
    assert earlier_versions(body)[0][0] == "1 earlier version"


def test_a_page_of_hits_with_versions_keeps_whole_families(client, login_as, coordinator):
    # Families larger than a page's window of hits still fill the page with distinct documents.
    for n in range(4):
        meeting = make_meeting(coordinator, code=f"SOM-{n}")
        agenda_versions(coordinator, meeting)
    login_as("official")
    body = search(client, "mekong")
    assert total(body) == 4
    assert len(results(body)) == 4 == len(earlier_versions(body))


def test_snippets_are_plain_text_without_boilerplate(client, login_as, coordinator):
    initiative = make_initiative(coordinator, "ASEM-ECO-077")
    reports.submit_report(
        initiative,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        text="Data for the connectivity indicators were collected. **Next:** a draft report for the SOM.",
        milestones_done=set(),
        actor=coordinator,
    )
    from secretariat.extensions import db

    db.session.commit()
    services.sync()
    login_as("coordinator")
    body = search(client, "indicators")
    (snippet,) = re.findall(r'<p class="hit__snippet">(.*?)</p>', body, re.S)
    assert "Next: a draft report" in snippet
    assert "**" not in snippet
    assert "filed automatically" not in snippet.lower()
    assert "Audit checkpoint" not in snippet


def test_a_query_naming_a_meeting_shows_it_first_with_its_documents(client, login_as, coordinator):
    asem1 = make_meeting(
        coordinator,
        title="First Asia-Europe Meeting",
        kind="summit",
        code="ASEM1",
        city="Bangkok",
        start_date=date(1996, 3, 1),
        end_date=date(1996, 3, 2),
    )
    make_meeting(
        coordinator,
        title="Education ministers",
        code="ASEMME8",
        city="Bangkok",
        start_date=date(2021, 12, 15),
        end_date=date(2021, 12, 15),
    )
    file_record(
        coordinator, "Chairman's Statement of the first summit", meeting_id=asem1.id, record_date=date(1996, 3, 2)
    )
    file_record(coordinator, "Unrelated note", description_source="Nothing about it.")
    login_as("official")
    body = search(client, "ASEM1 Bangkok")
    assert titles(body)[0] == "First Asia-Europe Meeting"  # the meeting first, alone: its code names it best
    assert "Education ministers" not in titles(body)
    assert results(body) == ["Chairman's Statement of the first summit"]
    assert 'href="/meetings/' in body.split('id="results-title"')[0]
    # the city and the year name it too; the city alone names both meetings held there
    assert titles(search(client, "Bangkok 1996"))[0] == "First Asia-Europe Meeting"
    assert {"First Asia-Europe Meeting", "Education ministers"} <= set(titles(search(client, "bangkok")))


def test_a_coordinators_meeting_is_not_named_to_partners(client, login_as, coordinator):
    make_meeting(coordinator, title="Coordinators' retreat", kind="coordinators", code="CM9", city="Bangkok")
    login_as("official")
    body = search(client, "CM9 Bangkok")
    assert "Coordinators' retreat" not in body and "CM9</" not in body
    client.logout()
    login_as("coordinator")
    assert titles(search(client, "CM9 Bangkok"))[0] == "Coordinators' retreat"


def test_a_declaration_outranks_a_working_draft_that_says_the_same(client, login_as, coordinator):
    file_record(
        coordinator,
        "Working draft of the cooperation paper",
        record_type="concept_note",
        description_source="Water security first. Water security again.",
    )
    file_record(
        coordinator,
        "Leaders' declaration",
        record_type="declaration",
        description_source="Leaders committed themselves to water security across both regions.",
    )
    login_as("official")
    assert results(search(client, "water security")) == [
        "Leaders' declaration",
        "Working draft of the cooperation paper",
    ]
    # Sorted by date, the weight of a type plays no part.
    body = page_text(client.get("/archive/", query_string={"q": "water security", "sort": "date"}))
    assert len(results(body)) == 2


def test_grouping_and_meeting_names_add_no_statement_per_hit(client, login_as, coordinator):
    from tests.test_query_counts import MAX_QUERIES, queries_for

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            meeting = make_meeting(coordinator, code=f"SOM-{n}", city="Bangkok", start_date=date(2027, 3, 1 + n))
            agenda_versions(coordinator, meeting)

    grow(0, 2)
    login_as("official")
    urls = ["/archive/?q=mekong", "/archive/?q=SOM-1+Bangkok", "/archive/?q=bangkok"]
    before = {url: queries_for(client, url) for url in urls}
    grow(2, 4)
    after = {url: queries_for(client, url) for url in urls}
    assert after == before and max(after.values()) <= MAX_QUERIES
