"""Nothing typed or saved is lost: every button of the minutes form keeps the text typed (with and without
JavaScript), and two editors saving the same agenda item are merged field by field (two browsers)."""

from __future__ import annotations

import secrets

import pytest

from tests.browser.test_accessibility import axe_violations, sign_in
from tests.browser.test_journeys import add_item, flash, go_on

SUMMARY = "Senior officials met in a constructive spirit."
OUTCOMES = {"Opening of the meeting": "The agenda was adopted.", "Rail links": "Officials welcomed the report."}


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def context(request, browser):
    context = browser.new_context(locale="en-GB", java_script_enabled=request.param)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def new_meeting(page, base: str, title: str) -> None:
    page.goto(base + "/meetings/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind of meeting").select_option("som")
    page.get_by_label("Host partner").select_option("LA")
    page.get_by_label("First day").fill("2027-03-10")
    page.get_by_label("Last day", exact=True).fill("2027-03-11")
    page.get_by_role("button", name="Create meeting").click()
    page.get_by_role("button", name="Start drafting the agenda").click()
    for title_ in OUTCOMES:
        add_item(page, title_, "discussion", 30)


def typed(page) -> dict[str, str]:
    values = {"summary": page.get_by_label("Summary of the meeting").input_value()}
    for number, title in enumerate(OUTCOMES, 1):
        values[title] = page.get_by_label(f"{number} {title}").input_value()
    return values


def test_every_button_of_the_minutes_keeps_what_was_typed(live_server, new_account, context):
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *new_account("coordinator"))
    new_meeting(page, base, f"SOM minutes {secrets.token_hex(3)}")
    page.get_by_role("button", name="Circulate the agenda to partners").click()
    go_on(page)
    page.get_by_role("button", name="Adopt the agenda").click()
    go_on(page)
    page.get_by_role("link", name="Write the minutes").click()

    # Everything typed, then "add action point" first: the minutes are saved with the action point.
    page.get_by_label("Summary of the meeting").fill(SUMMARY)
    for number, (title, outcome) in enumerate(OUTCOMES.items(), 1):
        page.get_by_label(f"{number} {title}").fill(outcome)
    page.get_by_label("Action", exact=True).fill("Circulate a concept note")
    page.get_by_label("Responsible partner").select_option("VN")
    page.get_by_role("button", name="Save the minutes and add this action point").click()
    assert "Minutes saved. Action point added." in flash(page)
    assert typed(page) == {"summary": SUMMARY, **OUTCOMES}
    assert "Circulate a concept note — Viet Nam" in page.locator("#action-points").inner_text()

    # An action point with a mistake: the minutes are saved, the action point waits with its error.
    page.get_by_label("Summary of the meeting").fill(SUMMARY + " Then they lunched.")
    page.get_by_label("Action", exact=True).fill("Host a workshop")
    page.get_by_role("button", name="Save the minutes and add this action point").click()
    assert page.locator("#partner-error").is_visible()
    assert page.get_by_label("Summary of the meeting").input_value() == SUMMARY + " Then they lunched."
    assert page.get_by_label("Action", exact=True).input_value() == "Host a workshop"

    # "Save" with the action point still half written keeps it on the page, with what it lacks.
    page.get_by_role("button", name="Save the minutes", exact=True).click()
    assert page.locator("#partner-error").is_visible()
    assert page.get_by_label("Action", exact=True).input_value() == "Host a workshop"
    # Completed, "Save" adds it too: whatever button is pressed, what was typed is saved.
    page.get_by_label("Responsible partner").select_option("JP")
    page.get_by_role("button", name="Save the minutes", exact=True).click()
    assert "Action point added." in flash(page)
    assert "Host a workshop — Japan" in page.locator("#action-points").inner_text()
    assert page.get_by_label("Action", exact=True).input_value() == ""

    # Adopting saves what was typed, asks (dialog or page), then adopts.
    page.get_by_label("1 Opening of the meeting").fill("The agenda was adopted as circulated.")
    page.get_by_role("button", name="Save and adopt the minutes").click()
    if page.locator("dialog[open]").count():  # with JavaScript: the dialog
        dialog = page.locator("dialog[open]")
        assert "can never change" in dialog.inner_text() and "partners" in dialog.inner_text()
        dialog.get_by_role("button", name="Cancel").click()
        assert page.locator("dialog[open]").count() == 0
        assert page.get_by_label("1 Opening of the meeting").input_value() == "The agenda was adopted as circulated."
        page.get_by_role("button", name="Save and adopt the minutes").click()
    else:  # without: the confirmation page
        assert "Minutes saved." in flash(page) and "can never change" in page.locator("main").inner_text()
    go_on(page)
    assert "Minutes adopted and frozen." in flash(page)
    minutes = page.locator("main").inner_text()
    assert "The agenda was adopted as circulated." in minutes and "Then they lunched." in minutes


def test_two_editors_of_an_item_are_merged_field_by_field(live_server, new_account, browser):
    base, _ = live_server
    # Without the CSP only so that axe-core can be injected (the item form has no script of its own).
    contexts = [browser.new_context(locale="en-GB", bypass_csp=True) for _ in range(2)]
    try:
        a, b = (c.new_page() for c in contexts)
        sign_in(a, base, *new_account("coordinator", name="Editor Anna"))
        sign_in(b, base, *new_account("coordinator", partner="KH", name="Editor Boran"))
        new_meeting(a, base, f"SOM merge {secrets.token_hex(3)}")
        edit = a.get_by_role("link", name="Edit item 1", exact=True).get_attribute("href")
        a.goto(base + edit)
        b.goto(base + edit)

        # B sets the presenter; A, on the page opened before, changes the title only.
        b.get_by_label("Presenter").fill("Chair")
        b.get_by_role("button", name="Save item").click()
        assert "Item saved." in flash(b)
        a.get_by_label("Title", exact=True).fill("Opening and welcome")
        a.get_by_role("button", name="Save item").click()
        notice = flash(a)
        assert "Presenter" in notice and "Editor Boran" in notice
        a.goto(base + edit)
        assert a.get_by_label("Title", exact=True).input_value() == "Opening and welcome"
        assert a.get_by_label("Presenter").input_value() == "Chair"

        # Both change the duration: A is shown both, side by side, and chooses.
        b.goto(base + edit)
        b.get_by_label("Planned duration (minutes)").fill("20")
        b.get_by_role("button", name="Save item").click()
        a.get_by_label("Planned duration (minutes)").fill("25")
        a.get_by_label("Presenter").fill("Vice-chair")
        a.get_by_role("button", name="Save item").click()
        panel = a.locator("#merge")
        assert "Someone else saved this item" in panel.inner_text()
        choice = a.get_by_role("group", name="Duration (minutes)")
        assert "Keep theirs: 20" in choice.inner_text() and "Use mine (as in the form below): 25" in choice.inner_text()
        assert "Editor Boran" in choice.inner_text()
        assert a.get_by_role("group", name="Presenter").count() == 0  # only A changed it since: A's, no question
        assert axe_violations(a) == []
        choice.get_by_label("Keep theirs").check()
        a.get_by_role("button", name="Save item").click()
        a.goto(base + edit)
        assert a.get_by_label("Planned duration (minutes)").input_value() == "20"
        assert a.get_by_label("Presenter").input_value() == "Vice-chair"
        assert a.get_by_label("Title", exact=True).input_value() == "Opening and welcome"
    finally:
        for c in contexts:
            c.close()
