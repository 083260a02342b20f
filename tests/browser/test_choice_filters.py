"""Long choices with JavaScript (static/js/forms.js): the time zone list found by city or country, and
the partner checkboxes filtered, ticked by group, counted; what is filtered out but ticked is still sent."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.test_accessibility import sign_in


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_typing_bangkok_finds_the_zone_and_keeps_the_iana_name(live_server, new_account, context):
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *new_account("coordinator"))
    page.goto(base + "/meetings/new")
    zone = page.locator("#time_zone")
    search = page.get_by_label("Search the time zones")
    search.fill("Bangkok")
    assert zone.input_value() == "Asia/Bangkok"
    assert zone.locator("option:not([value=''])").all_inner_texts() == ["Bangkok — Thailand (UTC+7)"]
    assert "1 match; chosen: Bangkok — Thailand (UTC+7)." in page.locator("#time_zone-found").inner_text()
    search.fill("viet nam")  # the country, as ASEM writes it; the tz database says "Vietnam"
    search.fill("vietnam")
    assert zone.input_value() == "Asia/Ho_Chi_Minh"
    search.fill("hanoi")  # a capital the zone is not named after
    assert zone.input_value() == "Asia/Ho_Chi_Minh"
    search.press("Enter")  # does not send the form
    assert page.url.endswith("/meetings/new")
    search.fill("")
    assert zone.locator("option").count() > 300 and zone.input_value() == "Asia/Ho_Chi_Minh"

    tag = secrets.token_hex(3)
    page.get_by_label("Title").fill(f"SOM zone {tag}")
    page.get_by_label("Kind of meeting").select_option("som")
    page.get_by_label("First day").fill("2027-05-10")
    page.get_by_label("Last day", exact=True).fill("2027-05-10")
    search.fill("Bangkok")
    page.get_by_role("button", name="Create meeting").click()
    assert "Bangkok time" in page.locator("main").inner_text()


def test_partner_checkboxes_filter_select_by_group_and_count(live_server, new_account, context):
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *new_account("coordinator"))
    page.goto(base + "/programme/initiatives/new")
    sponsors = page.get_by_role("group", name="Co-sponsoring partners", exact=True)
    count = sponsors.locator("[data-choice-count]")
    assert count.inner_text() == "0 of 53 selected"

    sponsors.get_by_role("button", name="Select the ASEAN member states").click()
    assert count.inner_text() == "10 of 53 selected"
    assert sponsors.get_by_label("Viet Nam").is_checked() and not sponsors.get_by_label("China").is_checked()

    search = sponsors.get_by_label("Filter the co-sponsoring partners")
    search.fill("fra")
    visible = [b for b in sponsors.locator("input[type=checkbox]").all() if b.is_visible()]
    assert [b.get_attribute("value") for b in visible] == ["FR"]
    assert not sponsors.get_by_role("group", name="Asian partners").is_visible()  # no match in that group
    sponsors.get_by_label("France").check()
    assert count.inner_text() == "11 of 53 selected"
    search.fill("")
    assert sponsors.get_by_role("group", name="Asian partners").is_visible()

    sponsors.get_by_role("button", name="Clear the selection").click()
    assert count.inner_text() == "0 of 53 selected"
    sponsors.get_by_role("button", name="Select the EU member states").click()
    assert count.inner_text() == "27 of 53 selected"
    sponsors.get_by_role("button", name="Clear the selection").click()
    sponsors.get_by_role("button", name="Select the ASEAN member states").click()
    search.fill("germ")
    sponsors.get_by_label("Germany").check()  # the ASEAN members are filtered out of sight, still ticked

    code = f"ASEM-JS-{secrets.token_hex(2).upper()}"
    page.get_by_label("Reference code").fill(code)
    page.get_by_label("Title", exact=True).fill(f"Checkbox initiative {code}")
    page.get_by_label("Lead partner", exact=True).select_option("TH")
    page.get_by_role("button", name=re.compile("^(Record|Save|Create)")).first.click()
    assert page.get_by_role("heading", level=1).inner_text().endswith(f"Checkbox initiative {code}")
    sponsors_line = page.locator(".facts").first.inner_text()
    for name in ("Viet Nam", "Germany", "Brunei Darussalam", "Singapore"):
        assert name in sponsors_line
