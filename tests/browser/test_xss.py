"""Stored and reflected XSS, tried through every free-text field of every form, judged by Chromium.

What it does, on its own gunicorn instance with the demo data (so the accessibility crawler's instance
keeps its known pages):

1. Signs in as official, coordinator and administrator (and observer, for reading), and walks each role's
   pages over HTTP (at most a few pages of each URL shape), collecting every ``<form>``.
2. Every POST form with free-text fields (text-like inputs and textareas) is submitted again and again,
   each time with the next payloads of the corpus (``tests/security/xss_payloads.txt``) in its
   free-text fields; other fields keep the page's values (a valid date, the selected or first option).
   Payloads are dealt per class of field, in corpus order, those not yet tried in the class first:
   single-line inputs (newlines become spaces), Markdown textareas (those whose hint says Markdown is
   formatted), other textareas (reasons, notes, minutes) and email inputs (only the payloads that are
   valid email local parts, with a unique suffix). Every form gets at least ``MIN_SUBMISSIONS``
   submissions (while it is still offered: a decision or a silence position is given once); then the
   forms with the most fields of a class are used in turn until every payload has been stored whole in
   a field of every class. A payload longer than a field's maxlength is cut to fit (counted as tried,
   not as whole); a field whose validation refuses payloads (a time zone) gets the page's value or a
   plain one, and is reported. Every submission must be accepted (a redirect, or a page without field
   errors): the test cannot pass by storing nothing. Forms that change state irreversibly for the
   session (sign-out, password, second factor, session resets) are excluded (``EXCLUDED``, with the
   reasons), and transitions run last (``LAST``), so that proposals and reports are made before meetings
   move on. Forms that appear later (a proposal to decline, minutes once the agenda is adopted) are found
   by walking again, up to ``ROUNDS`` times.
3. GET forms (search, filters) get ``GET_PAYLOADS`` payloads each, and the result pages are loaded.
4. Chromium loads, with the CSP bypassed (so escaping and sanitizing are proven on their own): the answer
   to each form's first submission (flash messages), the answer to every submission of an edit form
   (the next submission overwrites those payloads), and every page each role reaches whose HTML carries
   a payload number (lists, pages of what was created, history, comparisons, audit trail, edit forms
   refilled). On each page a hook records every payload that runs (``__xss.push(N)`` or ``alert(N)``,
   N naming the payload, also from frames), dialogs, hover/focus/toggle/animation events are fired on
   every element, and anything left in the DOM that could run on a click is reported (event-handler
   attributes, ``javascript:``/``data:`` URLs, frames, objects, ``<base>``, meta refresh).
   ``zz{{7*7}}zz`` must never come out as ``zz49zz``. Every stored payload must have been seen rendered
   (outside form fields) in a page Chromium loaded. A subset of pages is loaded again with our CSP on:
   a ``securitypolicyviolation`` fails the test too.

The summary (payloads, forms, fields, payloads × fields tried, pages loaded) is printed, and repeated in
any assertion message.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from email_validator import EmailNotValidError, validate_email

from tests.browser.conftest import ROOT
from tests.browser.test_accessibility import SKIP, sign_in
from tests.browser.xss_forms import Form, parse, pattern
from tests.browser.xss_hook import Watcher

PAYLOAD_FILE = ROOT / "tests" / "security" / "xss_payloads.txt"
FIRST_ID = 90000  # payload numbers 90000, 90001 …: no page of the demo data carries such a number
ID_RE = re.compile(r"(?<!\d)9\d{4}(?!\d)")

#: forms left out, by the shape of their action, and why
EXCLUDED = {
    "/login": "signing in: nothing is stored or shown",
    "/login/code": "second-factor code: nothing is stored or shown",
    "/logout": "ends the session",
    "/account/password": "changes the password and ends the other sessions",
    "/account/two-factor/setup": "changes the second factor",
    "/account/two-factor/N": "changes the second factor",
    "/admin/users/N/reset-sessions": "ends the user's sessions",
    "/admin/users/N/reset-two-factor": "removes the user's second factor",
    "/admin/users/N/password-link": "replaces the user's password link",
    "/meetings/N/items/N/move": "the new number is read as a position (a wrong one is refused), never stored",
    "/programme/import": "needs a CSV file (the import checks every line and has its own tests)",
}
#: transitions: they close the forms that come before them (proposals, reports), so they run last
LAST = re.compile(r"/(status|adopt|withdraw|delete|accept|decline|review|done|toggle)$")
ROLES = ("official", "coordinator", "admin")
MIN_SUBMISSIONS = 3
ROUNDS = 4
GET_PAYLOADS = 5
PER_SHAPE = 3  # pages of one URL shape walked per role (/meetings/N …), besides those we created
FIND_PER_SHAPE = 2  # the same, when looking for forms
MAX_WALK = 400
CSP_SUBSET = 25


def load_payloads() -> dict[int, str]:
    """Payload number -> payload, from the corpus file ("NNN" becomes the number, "\\n" a newline)."""
    payloads: dict[int, str] = {}
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            number = FIRST_ID + len(payloads)
            payloads[number] = line.replace("NNN", str(number)).replace("\\n", "\n")
    return payloads


def email_valid(payload: str) -> bool:
    try:
        validate_email(f"{payload}.x@example.org", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    """Our own gunicorn with the demo data, started as tests/browser/conftest.py starts the shared one."""
    instance = tmp_path_factory.mktemp("xss-instance")
    env = {**os.environ, "SECRETARIAT_INSTANCE": str(instance), "SECRETARIAT_CONFIG": "development"}
    env.pop("DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    credentials = {
        role: (email, password)
        for role, email, password in re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", seeded.stdout, re.M)
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback only)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base, credentials
    finally:
        server.terminate()
        server.wait(10)


def edits(form: Form | None) -> bool:
    """A form showing values already stored (an edit form): what it saves replaces what was there."""
    return form is not None and any(f.value for f in form.text_fields)


def field_class(f) -> str:
    """line (single-line inputs), markdown (textareas whose hint says Markdown is formatted), textarea (the
    others: reasons, notes, minutes), email."""
    if f.kind == "textarea":
        return "markdown" if f.markdown else "textarea"
    return "email" if f.kind == "email" else "line"


class Campaign:
    """The state of one run: who is signed in where, what was submitted, what Chromium saw."""

    def __init__(self, browser, base, credentials, payloads):
        self.base = base
        self.payloads = payloads
        self.order = {
            "line": list(payloads),
            "markdown": list(payloads),
            "textarea": list(payloads),
            "email": [n for n, p in payloads.items() if email_valid(p)],
        }
        self.cursor = dict.fromkeys(self.order, 0)
        self.met: dict[str, set[int]] = defaultdict(set)  # class -> payload numbers stored in such a field
        self.tried: dict[tuple[str, str], set[int]] = defaultdict(set)  # (form, field) -> payload numbers
        self.truncated = 0
        self.refused: dict[tuple[str, str], str] = {}  # (form, field) -> what its validation said
        self.excluded: dict[str, str] = {}
        self.submissions: dict[str, int] = defaultdict(int)
        self.problems: dict[str, list[str]] = defaultdict(list)  # "role path" -> what ran or was injected there
        self.failures: list[str] = []
        self.shown: set[int] = set()  # payload numbers in pages Chromium loaded
        self.loaded = 0
        self.visited: list[str] = []
        self.seeds: set[str] = set()
        self.shapes: set[tuple[str, str]] = set()  # (role, page shape) loaded in Chromium with payloads
        self.pairs: set[tuple[str, int]] = set()  # (page shape, payload number) loaded in Chromium
        self.forms: dict[str, tuple[str, list[str]]] = {}  # key -> (role, pages offering it)
        self.done: set[str] = set()
        self.current: dict[str, Form] = {}  # key -> the form as last fetched
        self.capacity: dict[str, Counter] = {}  # key -> number of free-text fields by class
        self.plain = 0
        self.contexts, self.watchers = {}, {}
        for role in (*ROLES, "observer"):
            context = browser.new_context(bypass_csp=True)
            watcher = Watcher(context)
            sign_in(watcher.page, base, *credentials[role])
            self.contexts[role], self.watchers[role] = context, watcher

    # --- the three steps -----------------------------------------------------------------------

    def submit_everywhere(self):
        """Find the POST forms, submit the payloads; walk again for the forms that appeared meanwhile."""
        for _round in range(ROUNDS):
            for role in ROLES:
                self.walk(role, per_shape=FIND_PER_SHAPE)
            fresh = {}
            for key, (_role, pages) in self.forms.items():
                shape = key.split()[1]
                if key in self.done or not key.startswith("post") or not pages:
                    continue
                if shape in EXCLUDED:
                    self.excluded[shape] = EXCLUDED[shape]
                    continue
                form = self.locate(key)
                if form is not None and form.text_fields:
                    fresh[key] = form
            first = {k: f for k, f in fresh.items() if not LAST.search(k.split()[1])}
            if not fresh:
                break
            self.run_forms(first or fresh)
        self.top_up()

    def reflect(self):
        """GET forms (search, filters): payloads in their text fields, the result page loaded in Chromium."""
        for key, (role, _pages) in list(self.forms.items()):
            form = self.locate(key) if key.startswith("get") else None
            if form is None or not form.text_fields:
                continue
            for _ in range(GET_PAYLOADS):
                values, taken = {}, set()
                for f in form.text_fields:
                    number = self.deal("line", taken)
                    values[f.name] = self.payloads[number].replace("\n", " ")
                    self.tried[(key, f.name)].add(number)
                self.submissions[key] += 1
                self.look(role, form.action.split("?")[0] + "?" + urlencode(form.encode(values)), stored=False)

    def look_everywhere(self, browser):
        """Every page that shows a payload, as every role, in Chromium; a subset again with our CSP on."""
        csp_pages = []
        for role in (*ROLES, "observer"):
            for path, html in self.walk(role, self.seeds).items():
                if "zz49zz" in html:
                    self.problems[f"{role} {path}"].append("template injection: zz49zz in the HTML")
                shown = {int(n) for n in ID_RE.findall(html)} & set(self.payloads)
                shape = pattern(path)
                # each page shape once per role, then only for payloads Chromium has not yet seen in that shape
                if shown and ((role, shape) not in self.shapes or {(shape, n) for n in shown} - self.pairs):
                    self.shapes.add((role, shape))
                    self.pairs |= {(shape, n) for n in shown}
                    self.look(role, path)
                    if role == "coordinator" and len(csp_pages) < CSP_SUBSET:
                        csp_pages.append(path)
        strict = browser.new_context()  # defence in depth: our CSP must not report a violation either
        strict.add_cookies(self.contexts["coordinator"].cookies())
        watcher = Watcher(strict)
        for path in csp_pages:
            self.look("coordinator", path, watcher=watcher)
        strict.close()

    # --- HTTP ---------------------------------------------------------------------------------

    def get(self, role: str, path: str):
        response = self.contexts[role].request.get(self.base + path)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            return None
        return response.text()

    def walk(self, role: str, seeds=(), per_shape: int = PER_SHAPE) -> dict[str, str]:
        """The role's pages, reached by links from the home page (at most PER_SHAPE of each URL shape)
        and from ``seeds``: path -> HTML."""
        queue, seen, shapes, pages = ["/", *sorted(seeds)], set(), defaultdict(int), {}
        while queue and len(seen) < MAX_WALK:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            html = self.get(role, path)
            if html is None:
                continue
            pages[path] = html
            forms, links = parse(html, self.base + path)
            for form in forms:
                if form.key not in self.forms:
                    self.forms[form.key] = (role, [])
                if self.forms[form.key][0] == role and path not in self.forms[form.key][1]:
                    self.forms[form.key][1].append(path)
            for link in links:
                target = urlsplit(link)
                local = target.path + (f"?{target.query}" if target.query else "")
                if (
                    target.hostname != "127.0.0.1"
                    or any(s in target.path for s in SKIP)
                    or target.path.startswith("/static")
                    or local in seen
                    or "page=" in target.query
                    or shapes[pattern(local)] >= per_shape
                ):
                    continue
                shapes[pattern(local)] += 1
                queue.append(local)
        return pages

    # --- submitting -----------------------------------------------------------------------------

    def deal(self, cls: str, taken: set[int]) -> int:
        """The next payload for a field of class ``cls``: in corpus order, skipping those already stored in
        such a field while some are not (so topping up is quick), and those ``taken`` by this submission."""
        order, start = self.order[cls], self.cursor[cls]
        candidates = [order[(start + i) % len(order)] for i in range(len(order))]
        fresh = [n for n in candidates if n not in self.met[cls] and n not in taken]
        number = (fresh or [n for n in candidates if n not in taken] or candidates)[0]
        self.cursor[cls] = order.index(number) + 1
        taken.add(number)
        return number

    def locate(self, key: str, fresh: bool = False) -> Form | None:
        """The form ``key`` as a page offers it now (fresh CSRF token and version), or None once it is gone.
        A form that names an object (/meetings/N/…) is fetched again each time: the object may have moved
        on (a new version, a decision taken, a position given once). A creation form is fetched once."""
        if not fresh and key in self.current and not re.search(r"/\d+(/|$)", self.current[key].action):
            return self.current[key]
        self.current.pop(key, None)
        role, pages = self.forms[key]
        while pages:
            html = self.get(role, pages[0])
            for form in parse(html or "", self.base + pages[0])[0]:
                if form.key == key:
                    self.current[key] = form
                    return form
            pages.pop(0)  # decided, given once, or moved on: try the next page that offered it
        return None

    def fill(self, form: Form) -> tuple[dict[str, str], dict[str, tuple[str, int, bool]]]:
        """The next payloads for the form's free-text fields: values by field, and (class, number, whole)."""
        values, dealt, taken = {}, {}, set()
        for f in form.text_fields:
            cls = field_class(f)
            number = self.deal(cls, taken)
            value = self.payloads[number]
            if cls == "line":
                value = value.replace("\n", " ")  # a single-line input cannot hold a newline
            if cls == "email":
                value = f"{value}.{self.cursor[cls]}@example.org"  # addresses are unique
            whole = not (f.maxlength and len(value) > f.maxlength)
            if not whole:  # cut to fit: tried, but it does not count as this payload having met the class
                value, self.truncated = value[: f.maxlength], self.truncated + 1
            values[f.name], dealt[f.name] = value, (cls, number, whole)
        return values, dealt

    def post(self, role: str, form: Form, values: dict[str, str]):
        """POST like the browser; returns the response, its HTML and the ids of the fields it marks wrong."""
        response = self.contexts[role].request.post(
            self.base + form.action,
            data=urlencode(form.encode(values)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            max_redirects=0,
        )
        text = response.text() if "text/html" in response.headers.get("content-type", "") else ""
        if response.status == 200 and 'name="confirmed" value="yes"' in text:
            # An irreversible action asks first (templates/confirm.html): go on, as a person would.
            response = self.contexts[role].request.post(
                self.base + form.action,
                data=urlencode([*form.encode(values), ("confirmed", "yes")]),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                max_redirects=0,
            )
            text = response.text() if "text/html" in response.headers.get("content-type", "") else ""
        return response, text, re.findall(r'id="([^"]+)-error"', text)

    def submit(self, key: str) -> bool:
        """Submit the form once with the next payloads; False when no page offers it any more."""
        role = self.forms[key][0]
        form = self.locate(key)
        if form is None:
            return False
        values, dealt = self.fill(form)
        for attempt in range(4):
            response, text, errors = self.post(role, form, values)
            if 300 <= response.status < 400 or (response.status == 200 and not errors):
                break
            if response.status == 400 and not errors:  # decided meanwhile, given once: another page, if any
                self.forms[key][1].pop(0)
                form = self.locate(key, fresh=True)
                if form is None:
                    return False
                continue
            wrong = [f for f in form.fields if errors and (f.id in errors or f.name in errors)]
            if response.status not in (200, 400, 409, 422) or not wrong:
                summary = re.sub(r"<[^>]+>|\s+", " ", text[text.find("<main") :][:1500])
                self.failures.append(f"{key}: answered {response.status} {summary[:300]}")
                return True
            self.give_valid_values(key, form, wrong, values, dealt, text, plain=attempt > 0)
        else:
            self.failures.append(f"{key}: still refused after giving plain values to {sorted(errors)}")
            return True
        self.submissions[key] += 1
        for name, (cls, number, whole) in dealt.items():
            if whole:
                self.met[cls].add(number)
            self.tried[(key, name)].add(number)
        location = response.headers.get("location")
        if location:
            target = urlsplit(urljoin(self.base + form.action, location))
            local = target.path + (f"?{target.query}" if target.query else "")
            self.seeds.add(local)
            # Look in Chromium now at the first answer of each form (its flash message is shown once), and at
            # every answer of a form that edits what is there: the next submission overwrites these payloads.
            if self.submissions[key] == 1 or edits(form):
                self.look(role, local)
                if pattern(local) == pattern(form.page):  # back to the form (minutes): the object's page too
                    self.look(role, local.rsplit("/", 1)[0])
        return True

    def give_valid_values(self, key, form, wrong, values, dealt, text, plain):
        """Validation refused a value (a time zone, a unique code): the page's own value first, then a plain
        one. An error on a field we did not type into (the deadline of a silence procedure whose zone is
        wrong) means a pre-filled neighbour was refused: those get their page values back."""
        reset = [f for f in wrong if f.free_text]
        if any(not f.free_text and f.kind != "select" for f in wrong):
            reset += [f for f in form.text_fields if f.kind == "line" and f.value and f not in reset]
        for f in wrong:
            if f.kind == "select":
                values[f.name] = next((o for o in f.options if o), "")
        for f in reset:
            self.plain += 1
            if plain:
                values[f.name] = f"plain{self.plain}@example.org" if f.kind == "email" else f"plain-{self.plain}"
            else:
                values[f.name] = f.value
            if f.name in dealt:
                said = text.split(f'id="{(f if f in wrong else wrong[0]).id}-error"', 1)[-1].split("</ul>")[0]
                self.refused[(key, f.name)] = re.sub(r"<[^>]+>|\s+|Error:", " ", said).strip(" >")[:80]
                dealt.pop(f.name)

    def run_forms(self, forms: dict[str, Form]):
        for key, form in forms.items():
            self.done.add(key)
            self.capacity[key] = Counter(field_class(f) for f in form.text_fields)
            for _ in range(MIN_SUBMISSIONS):
                if not self.submit(key):
                    break

    def top_up(self):
        """Deal more payloads until every one has been stored in a field of every class: in turn through the
        forms with the most fields of that class (the minutes' outcome per item, when there are minutes),
        forms that add something before forms that overwrite it."""
        for cls in self.order:
            ranked = sorted((k for k in self.capacity if self.capacity[k][cls]), key=lambda k: self.rank(k, cls))
            carriers = [k for k in ranked if self.rank(k, cls) == self.rank(ranked[0], cls)]
            turn = 0
            while carriers and not self.covered(cls):
                key = carriers[turn % len(carriers)]
                if self.submit(key):
                    turn += 1
                else:
                    carriers.remove(key)

    def rank(self, key: str, cls: str):
        return (-self.capacity[key][cls], edits(self.current.get(key)))

    def covered(self, cls: str) -> bool:
        return set(self.order[cls]) <= self.met[cls]

    # --- looking in Chromium --------------------------------------------------------------------

    def look(self, role: str, path: str, watcher: Watcher | None = None, stored: bool = True):
        watcher = watcher or self.watchers[role]
        problems = watcher.visit(self.base + path)
        self.loaded += 1
        self.visited.append(f"{role}{' (CSP on)' if watcher is not self.watchers[role] else ''} {path}")
        if stored:  # payloads echoed from a search box do not count as stored ones shown
            self.shown |= {int(n) for n in ID_RE.findall(watcher.rendered) if int(n) in self.payloads}
        where = self.visited[-1]
        self.problems[where].extend(p for p in problems if p not in self.problems[where])

    def summary(self) -> str:
        post = {k: v for k, v in self.tried.items() if k[0].startswith("post")}
        get = {k: v for k, v in self.tried.items() if k[0].startswith("get")}
        per_field = [len(v) for v in post.values()] or [0]
        lines = [
            f"{len(self.payloads)} payloads ({len(self.order['email'])} valid as email local parts); "
            f"{len({k for k, _ in post})} POST forms with {len(post)} free-text fields, "
            f"{sum(n for k, n in self.submissions.items() if k.startswith('post'))} accepted submissions; "
            f"payloads x fields tried: {sum(per_field)} (each field {min(per_field)} to {max(per_field)}); "
            + ", ".join(f"{cls}: {len(self.met[cls])}/{len(self.order[cls])} payloads" for cls in self.order),
            f"{len({k for k, _ in get})} GET forms with {len(get)} text fields: "
            f"{sum(len(v) for v in get.values())} payloads x fields, each result page loaded",
            f"{self.truncated} values cut to a field's maxlength; {len(self.refused)} fields refuse payloads "
            f"by validation: {sorted(f'{k.split()[1]} {n}' for k, n in self.refused)}",
            f"excluded: {self.excluded}",
            f"{self.loaded} pages loaded in Chromium; {len(self.shown)}/{len(self.payloads)} payloads rendered in them",
        ]
        return "\n".join(lines)


def test_no_payload_runs_in_any_page(xss_server, browser):
    base, credentials = xss_server
    payloads = load_payloads()
    assert len(payloads) >= 100
    campaign = Campaign(browser, base, credentials, payloads)
    campaign.submit_everywhere()
    campaign.reflect()
    campaign.look_everywhere(browser)

    summary = campaign.summary()
    print("\n" + summary)
    if os.environ.get("XSS_REPORT"):  # the details, for whoever wants to see which payload went where
        details = {
            "tried": {f"{key} {name}": sorted(numbers) for (key, name), numbers in campaign.tried.items()},
            "loaded": campaign.visited,
            "problems": campaign.problems,
        }
        Path(os.environ["XSS_REPORT"]).write_text(json.dumps(details, indent=1), encoding="utf-8")
    assert campaign.failures == [], "\n".join([*campaign.failures, summary])
    assert len(campaign.capacity) >= 10, summary
    for cls in campaign.order:
        assert campaign.covered(cls), f"not every payload was stored whole in a {cls} field\n{summary}"
    unseen = sorted(set(payloads) - campaign.shown)
    assert not unseen, f"payloads stored but never seen rendered in a page Chromium loaded: {unseen}\n{summary}"
    found = [f"{where}: {problem}" for where, problems in campaign.problems.items() for problem in problems]
    named = [ID_RE.sub(lambda m: f"{m.group()} (payload {payloads.get(int(m.group()), '?')!r})", f) for f in found]
    assert not named, f"{len(named)} problems; the first ones:\n" + "\n".join(named[:40]) + f"\n{summary}"


def test_the_watcher_reports_what_runs_and_what_could(browser):
    """The detector itself: scripts that run (also in a frame), dialogs, markup that would run on a click and
    a template that computed 7*7 are all reported; a harmless page is not."""
    context = browser.new_context()
    watcher = Watcher(context)
    hostile = (
        "<p>zz49zz</p><img src=x onerror=__xss.push(1)><script>alert(2)</script>"
        "<iframe srcdoc='<script>__xss.push(3)</script>'></iframe>"
        "<a href=' javascript:void(0)'>x</a><div onclick='x()'>y</div>"
    )
    problems = "\n".join(watcher.visit("data:text/html," + quote(hostile)))
    for expected in ("XSS-HIT 1", "XSS-HIT 2", "XSS-HIT 3", "a[href= javascript", "div[onclick", "zz49zz", "<iframe>"):
        assert expected in problems, problems
    harmless = "<p>zz{{7*7}}zz &lt;script&gt;alert(1)&lt;/script&gt; <a href='/x'>x</a></p>"
    assert watcher.visit("data:text/html," + quote(harmless)) == []
    context.close()
