"""The main pages at desktop (1280 px) and phone (375 px) widths: nothing makes the page itself scroll sideways
(wide tables scroll inside their own box), and every button and field stays on screen.

With BROWSER_ARTIFACTS=folder a screenshot of each page at each width is saved there to be looked at (never in
the repository)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_accessibility import sign_in

#: JavaScript: how wide the page is against the viewport, and (to find the cause) the innermost elements that
#: stick out on the right
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1);
  const innermost = out.filter(el => !out.some(other => other !== el && el.contains(other)));
  return {scrollWidth: document.documentElement.scrollWidth, width,
          wide: innermost.slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))};
}"""

PAGES = {
    "official": ["/", "/meetings", "<demo>", "<demo>/versions", "<demo>/compare", "/programme", "<initiative>"],
    "observer": ["/", "/archive?q=chair", "<record>", "/programme/silence", "<silence>"],
    "coordinator": ["/", "<demo>", "<demo>/items/new", "/meetings/new", "<demo>/versions"],
    "admin": ["/admin/users", "/admin/audit", "/admin/users/new", "/account"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_fit_desktop_and_phone_screens(live_server, new_account, browser, role):
    base, credentials = live_server
    folder = os.environ.get("BROWSER_ARTIFACTS")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    account = credentials[role] if role in ("official", "observer") else new_account(role)
    sign_in(page, base, *account)
    places = {}
    for place, start, name in [
        ("<demo>", "/meetings", "ASEM Senior Officials' Meeting (demonstration)"),
        ("<initiative>", "/programme", "Asia-Europe Connectivity Indicators Update"),
        ("<record>", "/archive?q=enlargement", "ASEM10 Chair's Statement: enlargement welcome"),
        ("<silence>", "/programme/silence", "Endorsement of ASEM-POL-006"),
    ]:
        if any(place in path for path in PAGES[role]):
            page.goto(base + start)
            places[place] = page.get_by_role("link", name=re.compile(re.escape(name))).first.get_attribute("href")
    problems = {}
    for path in PAGES[role]:
        url = base + re.sub(r"<\w+>", lambda m: places[m.group(0)], path)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(url)
            assert response.status == 200, (url, response.status)
            result = page.evaluate(OVERFLOW)
            if result["scrollWidth"] > result["width"]:
                problems[f"{path} at {width}px"] = result
            if folder:
                name = re.sub(r"[^a-z0-9]+", "-", f"{role}{path}".lower()).strip("-")
                page.screenshot(path=str(Path(folder, f"{name}-{width}.png")), full_page=True)
    context.close()
    assert problems == {}
