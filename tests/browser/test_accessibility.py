"""Every page each role can reach by links: no WCAG 2.1 A/AA violation (axe-core), valid HTML (the Nu Html
Checker), no request off this machine, no console error. The second factor is set up through the real
pages on the way in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import AXE, ROOT, TOTP_SECRETS, require, totp_code

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: links that are downloads or actions, not pages
SKIP = (".ics", ".csv", "/files/", "/logout", "export", "/feed/")
MAX_PAGES = 45
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def sign_in(page, base, email, password):
    """Sign in through the real pages: password, then the second factor (enrolled on the first sign-in, the
    secret remembered in TOTP_SECRETS for the next ones). Ends on the page after sign-in."""
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    if "/two-factor/setup" in page.url:
        TOTP_SECRETS[email] = page.inner_text("code.key")
        page.fill("#code", totp_code(email))
        page.click("main form button[type=submit]")
        page.click("text=I have kept them")
    elif "/login/code" in page.url:
        page.fill("#code", totp_code(email))
        page.click("main form button[type=submit]")
    assert "/login" not in page.url, f"sign-in of {email} stopped at {page.url}"


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [f"{v['id']}: {v['nodes'][0]['target']}" for v in result["violations"]]


def html_errors(folder: Path) -> list[str]:
    """The Nu Html Checker's errors for every page saved in ``folder``."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        require("Java and vnu-jar (npm install) to validate HTML")
        return []
    files = sorted(str(p) for p in folder.glob("*.html"))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "gnu", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_every_reachable_page_is_accessible_and_local(live_server, browser, role, tmp_path):
    base, credentials = live_server
    context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe-core
    page = context.new_page()
    outside, console_errors = [], []
    page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, *credentials[role])
    queue, seen, problems = ["/"], set(), {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        if response is None or response.status >= 400:  # a link to a page the role may not see is a bug too
            problems[path] = [f"status {response.status if response else 'none'}"]
            continue
        (tmp_path / f"page{len(seen):03d}.html").write_text(response.text(), encoding="utf-8")
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urlsplit(urljoin(base + path, href))
            if (
                target.hostname != "127.0.0.1"
                or any(s in target.path for s in SKIP)
                or target.path.startswith("/static")
            ):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen and link not in queue and (link.count("page=") == 0):
                queue.append(link)
    context.close()
    assert len(seen) >= 8, seen
    assert problems == {}
    assert html_errors(tmp_path) == []
    assert outside == []
    assert console_errors == []
