"""Print to PDF with Chromium (the print stylesheet): the agenda and the minutes come out as documents, with
their text, without the site's navigation, on a sensible number of A4 pages."""

from __future__ import annotations

import io
import os
import secrets
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from pypdf import PdfReader

from tests.browser.test_accessibility import sign_in
from tests.browser.test_journeys import add_item, flash, go_on

#: what only a screen needs: it must not be printed
CHROME = ("Skip to main content", "Sign out", "My account", "Work programme", "Silence procedures", "Back to the")


def pdf_of(page, name: str) -> tuple[str, int]:
    """The page printed by Chromium to an A4 PDF (print media, as the browser's Print command): text, page count.
    With BROWSER_ARTIFACTS=folder the PDF is kept there to be looked at."""
    try:
        pdf = page.pdf(prefer_css_page_size=True)
    except PlaywrightError as error:
        # Chromium's printing sometimes fails once for reasons of its own (seen in CI, never twice in
        # a row); a second attempt prints the same page, and everything below is still checked.
        if "Printing failed" not in str(error):
            raise
        pdf = page.pdf(prefer_css_page_size=True)
    if os.environ.get("BROWSER_ARTIFACTS"):
        Path(os.environ["BROWSER_ARTIFACTS"], f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    return " ".join(unicodedata.normalize("NFKC", text).split()), len(reader.pages)  # NFKC: the "fi" ligature


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_circulated_agenda_prints_as_a_document(live_server, new_account, page):
    base, _ = live_server
    email, password = new_account("official", partner="JP", name="Printing Official")
    sign_in(page, base, email, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="ASEM Senior Officials' Meeting (demonstration)").first.click()
    page.get_by_role("link", name="Print view of the agenda").click()
    text, pages = pdf_of(page, "agenda")
    assert "ASEM Senior Officials' Meeting (demonstration)" in text
    assert "Agenda — Version v1 (circulated)" in text
    for line in ("1 Opening of the meeting and adoption of the agenda", "2.1 Draft Chair's Statement", "Any other"):
        assert line in text, line
    assert "Date and venue of the next SOM" not in text  # the draft change is not part of v1
    assert not [c for c in CHROME if c in text], text
    assert "Printing Official" not in text
    assert 1 <= pages <= 3


def test_adopted_minutes_print_as_a_document(live_server, new_account, page):
    base, _ = live_server
    sign_in(page, base, *new_account("coordinator"))
    title = f"FMM print test {secrets.token_hex(3)}"
    page.goto(base + "/meetings/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind of meeting").select_option("fmm")
    page.get_by_label("Host partner").select_option("ES")
    page.get_by_label("First day").fill("2025-12-15")
    page.get_by_label("Last day", exact=True).fill("2025-12-16")
    page.get_by_role("button", name="Create meeting").click()
    page.get_by_role("button", name="Start drafting the agenda").click()
    add_item(page, "Opening and adoption of the agenda", "adoption", 15)
    add_item(page, "Connectivity between Asia and Europe", "discussion", 60)
    page.get_by_role("button", name="Circulate the agenda to partners").click()
    go_on(page)
    page.get_by_role("button", name="Adopt the agenda").click()
    go_on(page)
    page.get_by_role("link", name="Write the minutes").click()
    page.get_by_label("Summary of the meeting").fill("Ministers met in a **constructive** spirit.")
    page.get_by_label("1 Opening and adoption of the agenda").fill("The agenda was adopted.")
    page.get_by_label("2 Connectivity between Asia and Europe").fill("Ministers welcomed the connectivity report.")
    page.get_by_role("button", name="Save the minutes", exact=True).click()
    assert "Minutes saved." in flash(page)
    page.get_by_role("button", name="Save and adopt the minutes").click()
    go_on(page)
    assert "Minutes adopted and frozen." in flash(page)
    page.get_by_role("link", name="Print view of the minutes").click()
    text, pages = pdf_of(page, "minutes")
    assert title in text and "Outcomes by agenda item" in text and "Adopted" in text
    assert "Ministers met in a constructive spirit." in text
    assert "2 Connectivity between Asia and Europe" in text and "Ministers welcomed the connectivity report." in text
    assert not [c for c in CHROME if c in text], text
    assert pages == 1
