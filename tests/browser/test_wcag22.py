"""WCAG 2.2 criteria that no scanner checks by design, measured in the browser on the main pages:

- 2.4.11 focus not obscured: every element reached by Tab is seen, not covered by a sticky header
  or anything else, and the page's scroll padding clears whatever sticks to its top;
- 2.5.8 target size: controls are at least 24×24 CSS px, or spaced so that a 24 px circle on
  each touches no other (links inside a sentence are exempt);
- 3.3.8 accessible authentication: the code field takes paste and autofill;
- 3.3.7 redundant entry: what the reader typed in the search is there on the next page;

and the archive's filters on a phone: before the results, collapsed (issue 28, point 15).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import TOTP_SECRETS, totp_code
from tests.browser.test_accessibility import axe_violations, sign_in

#: the main pages of each role (as tests/browser/test_layout.py names them)
PAGES = {
    "official": ["/", "/meetings", "/archive/?q=chair", "/programme", "/account"],
    "coordinator": ["/", "/meetings", "/meetings/new", "/archive/?q=connectivity", "/archive/records/new"],
    "admin": ["/admin/users", "/admin/users/new", "/admin/audit"],
}

#: JavaScript: the controls smaller than 24×24 px whose 24 px circle meets another control's
#: (2.5.8 with its spacing exception); a link inside a line of text is exempt (its "inline" exception)
SMALL_TARGETS = """() => {
  const controls = Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, '
    + 'textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])'))
    .filter(el => { const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1 && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})
        && !el.closest('.visually-hidden'); });
  const inline = el => { if (getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest('p, li, td, th, dd, dt, label, legend, figcaption, blockquote, h1, h2, h3');
    return !!block && block.textContent.trim().length > el.textContent.trim().length; };
  const box = el => el.getBoundingClientRect();
  const small = controls.filter(el => !inline(el) && (box(el).width < 23.9 || box(el).height < 23.9));
  const centre = r => [r.left + r.width / 2, r.top + r.height / 2];
  const circleMeetsBox = ([x, y], r) => { const dx = Math.max(r.left - x, 0, x - r.right);
    const dy = Math.max(r.top - y, 0, y - r.bottom); return dx * dx + dy * dy < 144; };
  return small.filter(el => {
    const c = centre(box(el));
    return controls.some(other => other !== el && !other.contains(el) && !el.contains(other) && (
      circleMeetsBox(c, box(other)) ||
      (small.includes(other) && Math.hypot(c[0] - centre(box(other))[0], c[1] - centre(box(other))[1]) < 24)));
  }).map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} `
    + `"${(el.textContent || el.value || el.name || '').trim().slice(0, 30)}" `
    + `${Math.round(box(el).width)}x${Math.round(box(el).height)}`);
}"""

#: JavaScript: the focused element, if something else covers its middle (2.4.11), or if it is off screen
OBSCURED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const r = el.getClientRects()[0];  // a link wrapped over two lines: its first line
  if (!r || r.width < 1 || r.height < 1) return null;
  const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1), y = r.top + Math.min(r.height / 2, 10);
  const label = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} `
    + `"${(el.textContent || el.value || '').trim().slice(0, 30)}" at ${Math.round(r.top)}`;
  if (y < 0 || y > innerHeight) return label + ' off screen';
  const top = document.elementFromPoint(x, y);
  if (!top || top === el || el.contains(top) || top.contains(el)) return null;
  if (top.control === el || (el.labels && Array.from(el.labels).includes(top))) return null;
  return label + ' under ' + top.tagName.toLowerCase() + (top.className ? '.' + top.className : '');
}"""

#: JavaScript: what sticks to the top of the viewport, and the scroll padding that must clear it
STICKY = """() => {
  const stuck = Array.from(document.querySelectorAll('body *')).filter(el => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return (s.position === 'sticky' || s.position === 'fixed') && r.height > 0 && r.top <= 1
      && !el.classList.contains('skip-link'); });
  return {height: Math.max(0, ...stuck.map(el => el.getBoundingClientRect().bottom)),
          padding: parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0};
}"""


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB", bypass_csp=True)  # only so that axe-core can be injected
    context.set_default_timeout(10_000)
    yield context
    context.close()


def account(role, live_server, new_account):
    _, credentials = live_server
    return credentials[role] if role == "official" else new_account(role)


@pytest.mark.parametrize("role", list(PAGES))
def test_targets_are_24_px_and_wcag_22_rules_pass(live_server, new_account, context, role):
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *account(role, live_server, new_account))
    problems = {}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for path in PAGES[role]:
            assert page.goto(base + path).status == 200, path
            small = page.evaluate(SMALL_TARGETS)
            if small:
                problems[f"{path} at {width}px"] = small
            if width == 1280:
                violations = axe_violations(page)  # with wcag22a and wcag22aa (test_accessibility.WCAG)
                if violations:
                    problems[f"{path} axe"] = violations
    assert problems == {}


@pytest.mark.parametrize("role", ["official", "coordinator"])
def test_focus_is_never_hidden_under_what_sticks_to_the_top(live_server, new_account, context, role):
    base, _ = live_server
    page = context.new_page()
    sign_in(page, base, *account(role, live_server, new_account))
    problems = {}
    for width, height in ((1280, 700), (375, 640)):
        page.set_viewport_size({"width": width, "height": height})
        for path in PAGES[role]:
            page.goto(base + path)
            sticky = page.evaluate(STICKY)
            if sticky["height"] > sticky["padding"]:
                problems[f"{path} at {width}px"] = [f"scroll padding {sticky['padding']}, header {sticky['height']} px"]
            page.locator("body").focus()
            for _ in range(60):
                page.keyboard.press("Tab")
                obscured = page.evaluate(OBSCURED)
                if obscured:
                    problems.setdefault(f"{path} at {width}px", []).append(obscured)
            # Back up the page with Shift+Tab: what scrolls into view from below must clear the top too.
            for _ in range(20):
                page.keyboard.press("Shift+Tab")
                obscured = page.evaluate(OBSCURED)
                if obscured:
                    problems.setdefault(f"{path} at {width}px (back)", []).append(obscured)
    assert problems == {}


def test_the_code_field_takes_paste_and_autofill(live_server, new_account, browser):
    base, _ = live_server
    email, password = new_account("coordinator")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, base, email, password)  # enrols the second factor
    page.get_by_role("button", name=re.compile("Sign out")).first.click()
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    assert "/login/code" in page.url
    code = page.locator("#code")
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("onpaste") is None and code.get_attribute("readonly") is None
    # A paste is not refused by the page, and a code pasted with the space an app shows is accepted.
    refused = page.evaluate(
        """() => { const el = document.getElementById('code'); const data = new DataTransfer();
        data.setData('text/plain', '123 456'); const event = new ClipboardEvent('paste', {clipboardData: data,
        bubbles: true, cancelable: true}); el.dispatchEvent(event); return event.defaultPrevented; }"""
    )
    assert refused is False
    value = totp_code(email)
    code.focus()
    page.keyboard.insert_text(f"{value[:3]} {value[3:]}")  # as a paste or an autofill puts it in
    page.click("main form button[type=submit]")
    assert "/login" not in page.url, page.url
    assert email in TOTP_SECRETS
    context.close()


def test_the_search_keeps_what_was_typed_and_chosen(live_server, context):
    base, credentials = live_server
    page = context.new_page()
    sign_in(page, base, *credentials["official"])
    page.goto(base + "/archive/")
    page.get_by_label("Search chair's statements").fill("chair's statement")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("group", name="Year").get_by_label(re.compile(r"^2014 ")).check()
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_label("Search chair's statements").input_value() == "chair's statement"
    assert page.get_by_role("group", name="Year").get_by_label(re.compile(r"^2014 ")).is_checked()


def test_on_a_phone_the_filters_come_first_collapsed(live_server, context):
    base, credentials = live_server
    page = context.new_page()
    sign_in(page, base, *credentials["official"])
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(base + "/archive/?q=asem")
    filters = page.locator("details.facets")
    assert filters.get_attribute("open") is None
    assert page.get_by_role("group", name="Year").is_hidden()
    results = page.locator("#results-title").bounding_box()
    assert filters.bounding_box()["y"] < results["y"] < 740  # on the first screen, under the filters' line
    page.get_by_text("Sort and filter the results").click()
    assert page.get_by_role("group", name="Year").is_visible()
    # On a wide screen they are open on the left, whatever the details' state.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/archive/?q=asem")
    assert page.get_by_role("group", name="Year").is_visible()
    assert page.get_by_text("Sort and filter the results").is_hidden()
    assert filters.bounding_box()["x"] < page.locator("#results-title").bounding_box()["x"]
