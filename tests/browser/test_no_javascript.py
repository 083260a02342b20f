"""The application works without JavaScript: the coordinator's and the observer's journeys, in Chromium with
JavaScript switched off (plain links and forms, moves and comparisons with buttons and selects)."""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import archive_journey, coordinator_journey


@pytest.fixture
def no_js(browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_coordinator_prepares_and_adopts_an_agenda_without_javascript(live_server, new_account, no_js):
    base, _ = live_server
    page = no_js.new_page()
    coordinator_journey(page, base, *new_account("coordinator"))
    # nothing on the page depended on a script: the only scripts are our enhancement files, not run here
    assert page.locator("script:not([src^='/static/js/'])").count() == 0


def test_an_observer_finds_and_downloads_a_record_without_javascript(live_server, new_account, no_js):
    base, _ = live_server
    archive_journey(no_js.new_page(), base, *new_account("observer", partner="NO"))
