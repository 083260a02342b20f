"""Every page each role can reach by links: no WCAG 2.0, 2.1 or 2.2 A/AA violation (axe-core), valid HTML (the Nu Html
Checker), no request off this machine, no console error. The second factor is set up through the real
pages on the way in."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from tests.browser.conftest import AXE, ROOT, TOTP_SECRETS, require, totp_code

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: links that are downloads or actions, not pages
SKIP = (".ics", ".csv", "/files/", "/logout", "export", "/feed/", "/audit/checkpoint")
#: how many pages of one shape (same path with other ids, same query names) to visit
PER_PATTERN = 2
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


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
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG
    )
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


def pattern(link: str) -> str:
    """A page's shape: ids replaced and query values dropped, so that /meetings/7 and /meetings/9 count as one."""
    parts = urlsplit(link)
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"/\d+", "/<id>", parts.path) + ("?" + "&".join(names) if names else "")


#: JavaScript: the POST forms that validate on the server (novalidate) and have a required field, by index
ERROR_FORMS = """() => Array.from(document.querySelectorAll('form')).map((f, i) => [i, f]).filter(([i, f]) =>
  f.method === 'post' && f.noValidate && f.querySelector('[required]')).map(([i, f]) => [i, f.action])"""

#: JavaScript: fields marked invalid that are not tied to a visible error message
UNTIED_ERRORS = """() => Array.from(document.querySelectorAll('[aria-invalid=true]')).filter(el => {
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  return !ids.some(id => { const d = document.getElementById(id); return d && d.textContent.trim(); });
}).map(el => el.id || el.name)"""


#: JavaScript: small POST forms that leave an empty required field to the browser: true when the browser
#: refuses the empty submit and tells why (the server still refuses it, with a message on the page)
NATIVE_FORMS = """() => Array.from(document.querySelectorAll('form')).filter(f =>
  f.method === 'post' && !f.noValidate && f.querySelector('input[required]:not([type=hidden]), textarea[required]')
).map(f => {
  f.querySelectorAll('input[required]:not([type=hidden]), textarea[required]').forEach(el => { el.value = ''; });
  const blocked = !f.checkValidity();
  const first = f.querySelector('input:invalid, textarea:invalid');
  return [f.action, blocked && !!first && first.validationMessage.length > 0];
})"""


def show_errors(page, base: str, path: str, index: int) -> tuple[str, list[str]]:
    """Submit form ``index`` of the page with its required fields empty: the page that comes back, and problems."""
    page.goto(base + path)
    form = page.locator("form").nth(index)
    for field in form.locator("input[required], textarea[required]").all():
        if field.get_attribute("type") not in ("hidden", "checkbox", "radio", "file"):
            field.fill("")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit], input[type=submit]").first.click()
    response = navigation.value
    invalid = page.locator("[aria-invalid=true]").count()
    problems = [] if invalid else [f"no field marked invalid after an empty submit (status {response.status})"]
    problems += [f"error not tied to field {name}" for name in page.evaluate(UNTIED_ERRORS)]
    if response.status >= 500:
        problems.append(f"status {response.status}")
    return response.text(), problems


@pytest.mark.parametrize("role", ["official", "observer", "coordinator", "admin"])
def test_every_reachable_page_is_accessible_and_local(live_server, browser, role, tmp_path):
    """Every page the role reaches by links (at most PER_PATTERN of one shape), and each of its forms in its
    error state after an empty submit: no axe violation, valid HTML, nothing fetched off the machine."""
    base, credentials = live_server
    context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe-core
    page = context.new_page()
    outside, console_errors = [], []
    page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)
    # An empty submit is answered with 400 on purpose: Chromium logs that as a console error, which is not one.
    expected_400 = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" and not expected_400 else None)
    sign_in(page, base, *credentials[role])
    queue, seen, problems, saved = ["/"], set(), {}, {}
    shapes: Counter[str] = Counter()
    forms_done: set[str] = set()
    axed: set[str] = set()

    def check(label: str, html: str, run_axe: bool = True) -> None:
        name = f"page{len(saved):03d}.html"
        saved[name] = label
        (tmp_path / name).write_text(html, encoding="utf-8")
        violations = axe_violations(page) if run_axe else []
        if violations:
            problems.setdefault(label, []).extend(violations)

    while queue:
        path = queue.pop(0)
        seen.add(path)
        response = page.goto(base + path)
        if response is None or response.status >= 400:  # a link to a page the role may not see is a bug too
            problems[path] = [f"status {response.status if response else 'none'}"]
            continue
        check(path, response.text(), run_axe=pattern(path) not in axed)  # one axe run per shape: time
        axed.add(pattern(path))
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for action, refused in page.evaluate(NATIVE_FORMS):
            if not refused:
                problems.setdefault(path, []).append(f"empty required field accepted by the form to {action}")
        for index, action in page.evaluate(ERROR_FORMS):
            if pattern(action) in forms_done:
                continue
            forms_done.add(pattern(action))
            label = f"{path} form {index} ({urlsplit(action).path}) after an empty submit"
            expected_400.append(True)
            html, form_problems = show_errors(page, base, path, index)
            expected_400.clear()
            check(label, html)
            if form_problems:
                problems.setdefault(label, []).extend(form_problems)
        for href in links:
            target = urlsplit(urljoin(base + path, href))
            if (
                target.hostname != "127.0.0.1"
                or any(s in target.path for s in SKIP)
                or target.path.startswith("/static")
            ):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen and link not in queue and shapes[pattern(link)] < PER_PATTERN:
                shapes[pattern(link)] += 1
                queue.append(link)
    context.close()
    print(f"\n{role}: {len(seen)} pages ({len(shapes)} shapes) and {len(forms_done)} form error states checked")
    assert len(seen) >= 8, seen
    assert not problems, "\n".join(f"{where}: {', '.join(found)}" for where, found in problems.items())
    errors = [saved.get(Path(e.split(":")[0]).name, "") + " " + e for e in html_errors(tmp_path)]
    assert not errors, "\n".join(errors)
    assert outside == []
    assert console_errors == []
