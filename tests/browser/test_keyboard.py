"""Keyboard only: the coordinator's and the observer's journeys with Tab, Shift+Tab, Enter, Space and the arrow
keys, never the mouse. At every step the focused element must show a visible focus indicator (its outline or
shadow differs from its unfocused look) and be inside the viewport."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import TOTP_SECRETS, totp_code
from tests.browser.test_journeys import agenda_lines, flash

#: what the focused element is called and how it looks focused and not focused
FOCUS_PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const look = s => [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
  const s = getComputedStyle(el);
  const focused = look(s);
  const indicator = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  // The unfocused look: a bare copy of the element beside it (blurring would move the Tab position).
  const copy = el.cloneNode(false);
  copy.removeAttribute('id');
  el.after(copy);
  const plain = look(getComputedStyle(copy));
  copy.remove();
  const r = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].textContent : '';
  const name = (el.getAttribute('aria-label') || label || el.textContent || el.value || '')
    .replace(/\\s+/g, ' ').trim();
  return {
    name, tag: el.tagName.toLowerCase(), id: el.id, focused, plain, indicator,
    inViewport: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < innerHeight && r.left < innerWidth,
  };
}"""


def focus(page) -> dict | None:
    """The focused element, after checking that a sighted keyboard user can see where the focus is."""
    state = page.evaluate(FOCUS_PROBE)
    if state is not None:
        where = f"{state['tag']}#{state['id']} “{state['name'][:60]}” on {page.url}"
        assert state["indicator"] and state["focused"] != state["plain"], f"no visible focus on {where}: {state}"
        assert state["inViewport"], f"focused element outside the viewport: {where}"
    return state


def tab_to(page, name: str | re.Pattern, *, limit: int = 250) -> dict:
    """Press Tab until the element called ``name`` (exactly, or matching a pattern) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focus(page)
        if state is None:
            continue  # past the last element: the next Tab starts again at the top
        if (state["name"] == name) if isinstance(name, str) else name.search(state["name"]):
            return state
    raise AssertionError(f"{name!r} not reached with {limit} presses of Tab on {page.url}")


def choose(page, value: str) -> None:
    """Pick an option of the focused <select> with the arrow keys."""
    for key in ("Home", *["ArrowDown"] * 80):
        page.keyboard.press(key)
        if page.evaluate("() => document.activeElement.value") == value:
            return
    raise AssertionError(f"option {value!r} not reached with the arrow keys")


def type_into(page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def sign_in_by_keyboard(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    type_into(page, "Email address", email)
    type_into(page, "Password", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if "/two-factor/setup" in page.url:
        TOTP_SECRETS[email] = page.inner_text("code.key")  # what the person types into their app
        type_into(page, "Code", totp_code(email))
        activate(page, "Confirm", key="Space")
        activate(page, "I have kept them: continue")
    assert "/login" not in page.url and "two-factor" not in page.url, page.url


def activate(page, name: str | re.Pattern, key: str = "Enter") -> None:
    """Tab to a link or button and press Enter (links) or Space (buttons); wait for the next page."""
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press(key)


def activate_and_confirm(page, name: str) -> None:
    """An irreversible action: its button opens the confirmation dialog, whose first button (focused) goes on."""
    tab_to(page, name)
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.closest('dialog[open]') !== null")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def add_item_by_keyboard(page, title: str, kind: str, minutes: int, under: str | None = None) -> None:
    if under:  # on the edit page of the item it goes under
        activate(page, f"Edit item {under}")
    activate(page, f"Add sub-item to {under}" if under else "Add an item")
    type_into(page, "Title", title)
    tab_to(page, "Type")
    choose(page, kind)
    type_into(page, "Planned duration (minutes)", str(minutes))
    activate(page, "Add item", key="Space")
    assert f"Item “{title}” added." in flash(page)


@pytest.fixture
def keyboard_context(browser):
    context = browser.new_context(locale="en-GB", accept_downloads=True, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_coordinator_prepares_an_agenda_with_the_keyboard_alone(live_server, new_account, keyboard_context):
    base, _ = live_server
    page = keyboard_context.new_page()
    sign_in_by_keyboard(page, base, *new_account("coordinator"))
    tab_to(page, "Skip to main content")  # the first stop on every page
    activate(page, "Meetings")
    activate(page, "New meeting")
    title = "SOM by keyboard " + page.url.rsplit("/", 1)[-1] + str(len(TOTP_SECRETS))
    type_into(page, "Title", title)
    tab_to(page, "Kind of meeting")
    choose(page, "som")
    tab_to(page, "Host partner")
    choose(page, "TH")
    # Chromium orders the parts of dates and times by its own interface language (en-US here: month, day, year;
    # hours, minutes, AM/PM) whatever the page's locale; the meeting page below proves they went in as meant.
    type_into(page, "First day", "03102027")
    type_into(page, "Last day", "03112027")
    type_into(page, "Start time (local)", "0930AM")
    activate(page, "Create meeting", key="Space")
    assert page.locator("h1").inner_text() == title
    assert "10 March 2027 – 11 March 2027, from 09:30" in page.locator(".facts").inner_text()

    activate(page, "Start drafting the agenda", key="Space")
    add_item_by_keyboard(page, "Opening", "adoption", 15)
    add_item_by_keyboard(page, "Regional connectivity", "discussion", 0)
    add_item_by_keyboard(page, "Rail links", "discussion", 30, under="2")
    add_item_by_keyboard(page, "Digital links", "discussion", 20, under="2")
    activate(page, "Edit item 2.2")
    activate(page, "Move up item 2.2", key="Space")
    assert agenda_lines(page) == ["1 Opening", "2 Regional connectivity", "2.1 Digital links", "2.2 Rail links"]
    assert page.locator("#agenda ~ p.muted, section[aria-labelledby=agenda] p.muted").first.is_visible()

    activate_and_confirm(page, "Circulate the agenda to partners")
    activate(page, "Edit item 2.2")
    type_into(page, "Title", "Rail and road links")
    activate(page, "Save item", key="Space")
    activate_and_confirm(page, "Circulate the revised agenda")

    activate(page, "Compare versions")
    tab_to(page, "From")
    choose(page, "v1")
    tab_to(page, "To")
    choose(page, "v2")
    activate(page, "Compare", key="Space")
    assert "1 reworded" in page.locator(".summary-line").inner_text()
    assert page.locator(".change--changed ins").inner_text().strip() == "and road"

    activate(page, "Meeting and agenda")
    activate_and_confirm(page, "Adopt the agenda")
    assert "Version v3" in flash(page)
    assert page.get_by_text("The agenda is adopted and can no longer change.").is_visible()


def test_an_observer_searches_and_downloads_with_the_keyboard_alone(live_server, new_account, keyboard_context):
    base, _ = live_server
    page = keyboard_context.new_page()
    sign_in_by_keyboard(page, base, *new_account("observer", partner="NO"))
    activate(page, "Archive")
    type_into(page, re.compile("^Search chair's statements"), '"chair\'s statement"')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, re.compile(r"^2014 \(3\)$"))
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    activate(page, "Apply", key="Space")
    assert page.locator("#results-title").inner_text().startswith("3 records")
    activate(page, "ASEM10 Chair's Statement: enlargement welcome")
    assert page.locator("h1").inner_text() == "ASEM10 Chair's Statement: enlargement welcome"
    tab_to(page, re.compile(r"\.txt$"))
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    body = Path(info.value.path()).read_text(encoding="utf-8")
    assert "Croatia and Kazakhstan" in body
