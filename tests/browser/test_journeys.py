"""End-to-end journeys: real people clicking and typing through the application under gunicorn in Chromium.

Each journey signs in as its own fresh account (made with the admin command line), so that it does not depend
on what the accessibility crawl or another journey did, and uses unique names. The journey functions are also
run without JavaScript (test_no_javascript.py).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from tests.browser.test_accessibility import sign_in


def agenda_lines(page) -> list[str]:
    """The agenda as the user reads it: "number title" per item, in order."""
    return [
        " ".join(text.split())
        for text in page.locator("ol.agenda > li .agenda-item__head").evaluate_all(
            "els => els.map(e => e.querySelector('.agenda-item__number').textContent + ' '"
            " + e.querySelector('.agenda-item__title').textContent)"
        )
    ]


def flash(page) -> str:
    return " ".join(page.locator(".flashes").inner_text().split())


def go_on(page) -> None:
    """Irreversible actions ask first: go on, in the dialog (JavaScript) or on the confirmation page."""
    dialog = page.locator("dialog[open]")
    with page.expect_navigation():
        if dialog.count():
            dialog.locator("button[value=confirm]").click()
        else:
            page.locator("form:has(input[name=confirmed]) button[type=submit]").click()


def add_item(page, title: str, kind: str, minutes: int, under: str | None = None) -> None:
    """Add an agenda item from the meeting page (under the item numbered ``under`` as a sub-item)."""
    if under:  # on the edit page of the item it goes under
        page.get_by_role("link", name=f"Edit item {under}", exact=True).click()
        page.get_by_role("link", name=f"Add sub-item to {under}", exact=True).click()
    else:
        page.get_by_role("link", name="Add an item", exact=True).click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Type", exact=True).select_option(kind)
    page.get_by_label("Planned duration (minutes)").fill(str(minutes))
    page.get_by_role("button", name="Add item").click()
    assert f"Item “{title}” added." in flash(page)


def coordinator_journey(page, base: str, email: str, password: str) -> None:
    """Journey 1: create a meeting, build a two-level agenda, reorder, circulate, revise, compare, adopt."""
    tag = secrets.token_hex(3)
    title = f"SOM journey {tag}"
    sign_in(page, base, email, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind of meeting").select_option("som")
    page.get_by_label("Short code").fill(f"SOM-J{tag[:4]}")
    page.get_by_label("City").fill("Vientiane")
    page.get_by_label("Host partner").select_option("LA")
    page.get_by_label("First day").fill("2027-03-10")
    page.get_by_label("Last day", exact=True).fill("2027-03-11")
    page.get_by_label("Start time (local)").fill("09:30")
    page.get_by_role("button", name="Create meeting").click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert "Meeting created" in flash(page)

    page.get_by_role("button", name="Start drafting the agenda").click()
    add_item(page, "Opening of the meeting", "adoption", 15)
    add_item(page, "Trade and investment", "discussion", 0)
    add_item(page, "Investment facilitation", "discussion", 30, under="2")
    add_item(page, "Digital trade", "discussion", 20, under="2")
    add_item(page, "Any other business", "information", 10)
    assert agenda_lines(page) == [
        "1 Opening of the meeting",
        "2 Trade and investment",
        "2.1 Investment facilitation",
        "2.2 Digital trade",
        "3 Any other business",
    ]
    # Timetable in the venue's zone, from the start time through each item's duration.
    assert "Vientiane time" in page.locator("#agenda ~ p.muted, section[aria-labelledby=agenda]").first.inner_text()

    page.get_by_role("link", name="Edit item 2.2", exact=True).click()
    page.get_by_role("button", name="Move up item 2.2").click()
    assert "“Digital trade” is now number 2.1" in flash(page)
    assert agenda_lines(page)[2:4] == ["2.1 Digital trade", "2.2 Investment facilitation"]

    page.get_by_label("Note for partners with this version (optional)").fill("First draft for comments.")
    page.get_by_role("button", name="Circulate the agenda to partners").click()
    go_on(page)
    assert "Version v1 of the agenda is frozen and visible to partners" in flash(page)

    page.get_by_role("link", name="Edit item 3", exact=True).click()
    page.get_by_label("Title", exact=True).fill("Any other business and closing")
    page.get_by_role("button", name="Save item").click()
    assert "Item saved." in flash(page)
    page.get_by_role("button", name="Circulate the revised agenda").click()
    go_on(page)

    page.get_by_role("link", name="Compare versions").click()
    page.get_by_label("From").select_option("v1")
    page.get_by_label("To").select_option("v2")
    page.get_by_role("button", name="Compare").click()
    assert "From v1" in page.get_by_role("heading", level=2).first.inner_text()
    summary = page.locator(".summary-line").inner_text()
    assert "1 reworded" in summary and "0 added" in summary
    changed = page.locator(".change--changed")
    assert changed.locator("ins").inner_text().strip() == "and closing"

    page.get_by_role("link", name="Meeting and agenda").click()
    page.get_by_role("button", name="Adopt the agenda").click()
    go_on(page)
    assert "Version v3" in flash(page)
    assert page.get_by_text("The agenda is adopted and can no longer change.").is_visible()
    assert page.get_by_role("link", name="Edit item 2.2").count() == 0
    page.get_by_role("link", name="Versions and history").click()
    rows = [" ".join(r.split()) for r in page.locator("table").first.locator("tbody tr").all_inner_texts()]
    assert [r.split(" ")[:2] for r in rows] == [["v3", "Adopted"], ["v2", "Circulated"], ["v1", "Circulated"]]


def archive_journey(page, base: str, email: str, password: str) -> None:
    """Journey 3: search with a phrase and a facet, open a record, download its file."""
    sign_in(page, base, email, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Archive").click()
    page.get_by_label("Search chair's statements").fill('"chair\'s statement"')
    page.get_by_role("button", name="Search", exact=True).click()
    everything = int(page.locator("#results-title").inner_text().split()[0])
    assert everything >= 5
    page.get_by_role("group", name="Year").get_by_label(re.compile(r"^2014 ")).check()
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#results-title").inner_text().startswith("3 records")
    titles = page.locator(".hit__title").all_inner_texts()
    assert all(t.startswith("ASEM10 Chair's Statement") for t in titles), titles
    assert page.locator(".hit__snippet mark").count() >= 1  # the phrase is highlighted
    page.get_by_role("link", name="ASEM10 Chair's Statement: enlargement welcome").click()
    assert page.get_by_role("heading", level=1).inner_text() == "ASEM10 Chair's Statement: enlargement welcome"
    with page.expect_download() as info:
        page.locator("#files-title ~ ul a").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".txt")
    assert download.suggested_filename.startswith("ASEM10 Chair")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert body.startswith("ASEM10 Chair's Statement: enlargement welcome")
    assert "Croatia and Kazakhstan" in body


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels", accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_coordinator_prepares_and_adopts_an_agenda(live_server, new_account, context):
    base, _ = live_server
    coordinator_journey(context.new_page(), base, *new_account("coordinator"))


def test_an_observer_finds_and_downloads_a_record(live_server, new_account, context):
    base, _ = live_server
    archive_journey(context.new_page(), base, *new_account("observer", partner="NO"))


def test_an_official_follows_the_agenda_silence_and_reports(live_server, new_account, context):
    """Journey 2, as an official of Cambodia (a co-sponsor of the connectivity indicators initiative): a fresh
    account of another partner than the demo official's, so the demo silence procedure stays open for others."""
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *new_account("official", partner="KH"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="ASEM Senior Officials' Meeting (demonstration)").first.click()
    agenda = agenda_lines(page)
    assert agenda[0] == "1 Opening of the meeting and adoption of the agenda"
    assert "Date and venue of the next SOM" not in " ".join(agenda)  # the draft change is not circulated
    assert page.get_by_text("working draft").count() == 0

    page.get_by_role("link", name="Propose an item").click()
    page.get_by_label("Title").fill("Briefing on the Angkor heritage cooperation")
    page.get_by_label("Type").select_option("information")
    page.get_by_label("Time needed (minutes)").fill("10")
    page.get_by_role("button", name="Send the proposal").click()
    assert "Your proposal was sent" in flash(page)
    row = page.locator("tr", has_text="Briefing on the Angkor heritage cooperation")
    assert "Awaiting the coordinators" in row.inner_text() and "Cambodia" in row.inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Silence procedures").click()
    page.get_by_role("link", name=re.compile("Endorsement of ASEM-POL-006")).click()
    assert "Brussels time" in page.locator(".facts").inner_text()
    page.get_by_label("Reason (required to break silence)").fill("Cambodia needs more time to consult its ministries.")
    page.get_by_role("button", name="Break silence on behalf of Cambodia").click()
    go_on(page)
    assert "broke silence" in page.locator("#position ~ p").inner_text()
    row = page.locator("tr", has_text="Cambodia")
    assert "Broke silence" in row.inner_text() and "consult its ministries" in row.inner_text()
    assert page.get_by_role("button", name=re.compile("Break silence")).count() == 0  # once and for good

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Work programme").click()
    page.get_by_role("link", name=re.compile("Asia-Europe Connectivity Indicators Update")).first.click()
    page.get_by_role("link", name="Submit a progress report").click()
    page.get_by_label("Period from").fill("2026-01-01")
    page.get_by_label("Period to").fill("2026-06-30")
    page.get_by_label("Progress").fill("Cambodia collected the **indicator data** for 2025.")
    page.get_by_role("button", name="Submit the report").click()
    report = page.locator("article.report", has_text="Cambodia").first
    assert "1 January 2026 to 30 June 2026" in report.inner_text()
    assert report.locator("strong", has_text="indicator data").count() == 1  # the Markdown is formatted


def test_an_admin_creates_a_user_who_sets_a_password_and_signs_in(live_server, new_account, context, browser):
    """Journey 4: the administrator is shown the one-time link; the new user opens it in their own browser."""
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *new_account("admin"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Create a user").click()
    email = f"new-official-{secrets.token_hex(3)}@mofa.example"
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill("Sokha New Official")
    page.get_by_label("Partner").select_option("KH")
    page.get_by_label("Role").select_option("official")
    page.get_by_role("button", name="Create user and get password link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "User created"
    link = page.get_by_label(re.compile("One-time link")).input_value()
    assert link.startswith(base + "/")

    other = browser.new_context(locale="en-GB")
    try:
        newcomer = other.new_page()
        newcomer.goto(link)
        passphrase = "mekong river lanterns at dusk"
        newcomer.get_by_label("New password", exact=True).fill(passphrase)
        newcomer.get_by_label("Repeat the new password").fill(passphrase)
        newcomer.get_by_role("button", name="Set password").click()
        sign_in(newcomer, base, email, passphrase)
        assert "Sokha New Official" in newcomer.locator(".user-box").inner_text()
        newcomer.goto(link)  # the link worked once
        assert newcomer.get_by_label("New password", exact=True).count() == 0
    finally:
        other.close()
