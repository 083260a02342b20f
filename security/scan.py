"""`make security-scan`: wapiti3 and sqlmap against the application, signed in, on 127.0.0.1 only.

What it does, in order:

1. a fresh SQLite instance in a temporary folder (never the developer's own), migrated and seeded with
   the demo data; gunicorn serves it on a free port of 127.0.0.1, and is stopped at the end whatever
   happens;
2. signs in as an official and as a coordinator like a person would (the coordinator enrols the second
   factor with pyotp) and keeps each session cookie;
3. wapiti crawls and attacks the application with each cookie, then sqlmap attacks every GET URL with
   query parameters that the crawls found (plus the filters listed in EXTRA_GET_URLS);
4. reads the reports and the server's logs, and exits 1 on any vulnerability, any anomaly, any
   injectable parameter or any answer 500, with a summary a person can read.

Nothing leaves the machine: wapiti's callback endpoint is security/endpoint.py on a loopback port (so
its SSRF module works offline) and the modules that need a server outside are not run (reasons in
MODULES_OFF). Run it with the main virtualenv's Python
(it needs pyotp and the app); the scanners come from their own virtualenv (--scanners).
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import Endpoint  # noqa: E402 (security/ is a folder of scripts, not a package)

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "secretariat_session"
ROLES = ("official", "coordinator")

#: wapiti's modules that run: its defaults (less ssl and ssrf, see below) and the injection, header and
#: method checks that matter for a Flask application.
MODULES_ON = [
    "cookieflags",
    "crlf",
    "csp",
    "csrf",
    "exec",
    "file",
    "htaccess",
    "http_headers",
    "methods",
    "permanentxss",
    "redirect",
    "shellshock",
    "sql",
    "ssrf",
    "timesql",
    "upload",
    "xss",
]

#: the modules that do not run, and why (each would either reach outside or test something we do not run)
MODULES_OFF = {
    "backup": "wapiti 3.2.3 builds invalid URLs (host:port~) for it with a port; Flask serves no folder but static/",
    "ssl": "the scan instance speaks plain HTTP on loopback; TLS belongs to the reverse proxy in production",
    "xxe": "confirms a hit only through wapiti's callback server; XML is only read from office files, by defusedxml",
    "log4shell": "needs an outside DNS server to see the callback; there is no Java here",
    "spring4shell": "needs the callback server too; there is no Java here",
    "wapp": "downloads the Wappalyzer database from the internet",
    "nikto": "downloads its database from the internet",
    "htp": "downloads its hash database from the internet",
    "takeover": "resolves DNS names on the internet",
    "cms": "Drupal/Joomla/WordPress fingerprints: none of them here",
    "wp_enum": "WordPress only",
    "network_device": "fingerprints network appliances",
    "buster": "brute-forces file names: thousands of 404s for a closed route table that tests already walk",
    "brute_login_form": "guesses passwords; the throttle is tested in tests/auth and tests/security",
    "https_redirect": "the scan instance speaks plain HTTP; production redirects at the reverse proxy",
    "ldap": "there is no LDAP anywhere in the application",
}

#: URLs wapiti must never request, as a wildcard pattern on the path: they would end its own session or
#: take away the second factor it signed in with.
NEVER_REQUEST = [
    "/logout",
    "/account/password",
    "/account/two-factor/*",
    "/admin/users/*",
]

#: GET filters that the crawl reaches only through a form, written out so that sqlmap sees each one with
#: a value. {meeting} is the demo meeting with a drafting agenda, {initiative} the first initiative.
EXTRA_GET_URLS = [
    "/meetings/?when=past&kind=som&year=2018&host=JP&page=1",
    "/meetings/export.csv?when=all&kind=som&year=2018&host=JP",
    "/meetings/{meeting}/as-of?date=2024-01-01&time=12:00",
    "/meetings/{meeting}/compare?from=v1&to=draft",
    "/meetings/{meeting}/print?draft=1",
    "/archive/?q=water&sort=date&page=1&type=minutes&year=2018&meeting_kind=summit&partner=JP&language=en",
    "/programme/?pillar=political&status=ongoing&partner=JP&programme=1&overdue=1&q=water&page=1",
    "/programme/export.csv?pillar=political&status=ongoing&partner=JP&programme=1&overdue=1&q=water",
    "/programme/som-summary?meeting={meeting}",
    "/programme/silence/new?initiative={initiative}",
    "/login?next=/meetings/",
]

#: the administrator's GET filters, attacked by sqlmap only (wapiti does not crawl as an administrator:
#: its attacks on the user forms would deactivate or reset the accounts the scan signs in with).
ADMIN_GET_URLS = [
    "/admin/users?q=demo&role=official&page=1",
    "/admin/audit?action=user&actor=demo&object_type=user&object_id=1&date_from=2020-01-01&date_to=2030-01-01&page=1",
]

#: findings that are not real, each with the reason; keyed by (wapiti category, URL path or "*").
#: Keep this empty unless a finding has been read and understood.
FALSE_POSITIVES: dict[tuple[str, str], str] = {}


class ScanError(RuntimeError):
    """Something kept the scan from running at all (not a finding)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(instance: Path) -> dict[str, str]:
    env = {**os.environ, "SECRETARIAT_INSTANCE": str(instance), "SECRETARIAT_CONFIG": "development"}
    env.pop("DATABASE_URL", None)
    # wapiti and sqlmap post the sign-in form many times; the throttle per account still applies.
    env["AUTH_POST_RATE_LIMIT"] = "100000 per minute"
    # The cookie flags production sends (ProductionConfig turns Secure on by default), so that wapiti's
    # cookieflags module checks them; the scanners send the cookie over plain HTTP on loopback anyway.
    env["SESSION_COOKIE_SECURE"] = "1"
    return env


def prepare_instance(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Migrate and seed a fresh instance; returns {role: (email, password)} from seed-demo's output."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    # noqa below: our own programs as argument lists, never a shell
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    seeded = subprocess.run(  # noqa: S603
        [*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    found = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", seeded.stdout, re.M)
    credentials = {role: (email, password) for role, email, password in found}
    missing = [role for role in ROLES if role not in credentials]
    if missing:
        raise ScanError(f"seed-demo printed no credentials for {missing}:\n{seeded.stdout}")
    return credentials


def start_server(env: dict[str, str], port: int, reports: Path) -> subprocess.Popen:
    # The application logs to stderr (one JSON line per request, errors with their id): keep it all.
    app_log = (reports / "app.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own program, no shell)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(reports / "access.log"),
            "--error-logfile",
            str(reports / "server.log"),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=app_log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310 (loopback only)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise ScanError("gunicorn did not answer /healthz within 20 seconds (see server.log and app.log)")


class LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over plain HTTP too: the scan only ever talks to 127.0.0.1."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """Just enough of a browser to sign in: a cookie jar, redirects, CSRF tokens from the page."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar(LoopbackPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def submit(self, path: str, page: str, fields: dict[str, str]) -> tuple[str, str]:
        """POST ``fields`` to ``path`` with the CSRF token of the form in ``page`` (HTML)."""
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise ScanError(f"no CSRF token in the page before {path}")
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def cookie(self) -> str:
        for cookie in self.jar:
            if cookie.name == COOKIE:
                return cookie.value
        raise ScanError("no session cookie after sign-in")


#: second-factor keys enrolled during the scan, by email, and the last 30-second step each one used
TOTP_KEYS: dict[str, str] = {}
TOTP_LAST_STEP: dict[str, int] = {}


def totp_code(email: str) -> str:
    """The current code for ``email``'s enrolled key; waits for a fresh step, since a code works once."""
    while int(time.time()) // 30 == TOTP_LAST_STEP.get(email):
        time.sleep(1)
    TOTP_LAST_STEP[email] = int(time.time()) // 30
    return pyotp.TOTP(TOTP_KEYS[email]).now()


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the real pages (enrolling the second factor if asked); returns the cookie value."""
    browser = Browser(base)
    _, page = browser.get("/login")
    url, page = browser.submit("/login", page, {"email": email, "password": password, "next": ""})
    if url.endswith("/account/two-factor/setup"):
        key = re.search(r'<code class="key">([A-Z2-7]+)</code>', page)
        if key is None:
            raise ScanError("the second-factor setup page shows no key")
        TOTP_KEYS[email] = key.group(1)
        url, page = browser.submit("/account/two-factor/setup", page, {"code": totp_code(email)})
    elif urllib.parse.urlsplit(url).path == "/login/code" and email in TOTP_KEYS:
        url, page = browser.submit("/login/code", page, {"code": totp_code(email)})
    elif "/login" in url:
        raise ScanError(f"sign-in as {email} failed: {url}")
    # A page with a form puts the CSRF secret into the session, so the cookie handed to the scanners
    # stays the same for the whole scan (every token they read from pages belongs to it).
    _, page = browser.get("/account")
    if "Sign out" not in page:
        raise ScanError(f"not signed in as {email} after sign-in")
    return browser.cookie()


def still_signed_in(base: str, cookie: str) -> bool:
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    request = urllib.request.Request(base + "/account", headers=headers)  # noqa: S310 (loopback only)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return urllib.parse.urlsplit(response.geturl()).path == "/account"


def demo_ids(instance: Path) -> dict[str, int]:
    """Ids the extra URLs need: the demo meeting with an agenda in drafting, the first initiative."""
    with sqlite3.connect(instance / "secretariat.sqlite") as con:
        meeting = con.execute("SELECT meeting_id FROM agenda_versions ORDER BY id LIMIT 1").fetchone()
        initiative = con.execute("SELECT id FROM initiatives ORDER BY id LIMIT 1").fetchone()
    return {"meeting": meeting[0] if meeting else 1, "initiative": initiative[0] if initiative else 1}


def run_wapiti(scanners: Path, base: str, role: str, cookie: str, work: Path, reports: Path, args) -> Path:
    """Crawl and attack as one role; returns the JSON report."""
    report = reports / f"wapiti-{role}.json"
    endpoint = f"http://127.0.0.1:{args.endpoint_port}/"  # security/endpoint.py
    command = [
        str(scanners / "wapiti"),
        "--url",
        base + "/",
        "--scope",
        "folder",
        "--cookie-value",
        f"{COOKIE}={cookie}",  # (no --drop-set-cookie: in wapiti 3.2.3 it drops this header too)
        "--module",
        ",".join(MODULES_ON),
        "--store-session",
        str(work / f"wapiti-session-{role}"),
        "--store-config",
        str(work / "wapiti-config"),
        "--max-scan-time",
        str(args.crawl_seconds),
        "--max-attack-time",
        str(args.attack_seconds),
        "--max-files-per-dir",
        str(args.files_per_dir),
        "--tasks",
        "4",
        "--timeout",
        "20",
        "--format",
        "json",
        "--output",
        str(report),
        "--log",
        str(reports / f"wapiti-{role}.log"),
        "--verbose",
        "1",
        "--no-bugreport",
        "--dns-endpoint",
        "127.0.0.1",
        "--external-endpoint",
        endpoint,
        "--internal-endpoint",
        endpoint,
    ]
    for pattern in NEVER_REQUEST:
        command += ["--exclude", base + pattern]
    for path in args.extra_urls:
        command += ["--start", base + path]
    output = reports / f"wapiti-{role}.out"
    # wapiti 3.2.3 sometimes dies with "database is locked" (its own session database) when a module is
    # stopped at --max-attack-time in the middle of reading its list of pages. The modules that finished
    # are recorded in that database, so going on from it with --skip-crawl reruns only the rest.
    for attempt in range(1, 4):
        with output.open("a") as fh:
            fresh = ["--flush-session"] if attempt == 1 else ["--skip-crawl"]
            result = subprocess.run(  # noqa: S603 (the scanner from our venv, argument list, no shell)
                [*command, *fresh], stdout=fh, stderr=subprocess.STDOUT, timeout=1800
            )
        if result.returncode == 0 and report.exists():
            args.wapiti_runs[role] = attempt
            return report
        tail = read_lines(output)[-15:]
        if not any("database is locked" in line for line in tail):
            break
    raise ScanError(f"wapiti as {role} stopped with exit code {result.returncode}:\n" + "\n".join(tail))


def wapiti_findings(report: Path) -> tuple[list[str], list[str], dict]:
    """(findings, excluded with reason, infos) from a wapiti JSON report."""
    data = json.loads(report.read_text())
    findings, excluded = [], []
    for section in ("vulnerabilities", "anomalies"):
        for category, items in data.get(section, {}).items():
            for item in items:
                path = urllib.parse.urlsplit(item.get("path", "")).path or item.get("path", "")
                reason = FALSE_POSITIVES.get((category, path)) or FALSE_POSITIVES.get((category, "*"))
                where = f"{item.get('method', '')} {item.get('path', '')} [{item.get('parameter', '')}]"
                line = f"{category}: {where} {item.get('info', '')}"
                (excluded if reason else findings).append(line + (f"  -- excluded: {reason}" if reason else ""))
    return findings, excluded, data.get("infos", {})


def crawled_get_urls(work: Path, role: str) -> list[str]:
    """Every GET URL with a query string that wapiti's crawl stored for a role (its session database)."""
    urls = []
    for db_file in (work / f"wapiti-session-{role}").glob("*.db"):
        with sqlite3.connect(db_file) as con:
            params: dict[int, list[tuple[str, str]]] = {}
            query = "SELECT path_id, name, value1 FROM params WHERE type = 'GET' ORDER BY path_id, position"
            for path_id, name, value in con.execute(query):
                params.setdefault(path_id, []).append((name, value or ""))
            # evil = 0: the pages the crawl found, not the attacks' own requests
            for path_id, path in con.execute("SELECT path_id, path FROM paths WHERE method = 'GET' AND evil = 0"):
                if params.get(path_id):
                    urls.append(path.split("?")[0] + "?" + urllib.parse.urlencode(params[path_id]))
    return urls


def sqlmap_targets(urls: list[str]) -> list[str]:
    """One URL per route (ids in the path do not make a new one) carrying every parameter seen on it."""
    routes: dict[str, tuple[str, dict[str, str]]] = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        route = re.sub(r"/\d+(?=/|$)", "/N", parts.path)
        _, params = routes.setdefault(route, (parts.scheme + "://" + parts.netloc + parts.path, {}))
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            params.setdefault(name, value)
    return [f"{url}?{urllib.parse.urlencode(params)}" for url, params in routes.values() if params]


#: sqlmap's verdicts. A parameter that "appears to be injectable" is only a candidate: sqlmap then checks it
#: and may clear it ("false positive or unexploitable", then "does not seem to be injectable"), which a
#: time-based test on a busy machine needs. A confirmed injection point, or a candidate never cleared, or a
#: hint of reflected XSS or file inclusion (which sqlmap does not go on to check) is a finding.
SQLMAP_CONFIRMED = re.compile(r"identified the following injection point|parameter '[^']+' is vulnerable", re.I)
SQLMAP_CANDIDATE = re.compile(r"parameter '([^']+)' (?:appears to be .*injectable|might be injectable)", re.I)
SQLMAP_CLEARED = re.compile(r"parameter '([^']+)' does not seem to be injectable", re.I)
SQLMAP_HINT = re.compile(r"might be vulnerable to", re.I)


def sqlmap_findings(output: str) -> list[str]:
    lines = output.splitlines()
    cleared = {m.group(1) for line in lines if (m := SQLMAP_CLEARED.search(line))}
    return [
        line.strip()
        for line in lines
        if SQLMAP_CONFIRMED.search(line)
        or SQLMAP_HINT.search(line)
        or ((m := SQLMAP_CANDIDATE.search(line)) and m.group(1) not in cleared)
    ]


def run_sqlmap(scanners: Path, url: str, cookie: str, work: Path, log: Path, args) -> list[str]:
    """sqlmap on one URL; returns the lines of its output that report an injection."""
    command = [
        str(scanners / "sqlmap"),
        "--url",
        url,
        "--cookie",
        f"{COOKIE}={cookie}",
        "--drop-set-cookie",
        "--batch",
        "--flush-session",
        "--level",
        str(args.sqlmap_level),
        "--risk",
        str(args.sqlmap_risk),
        # The scan instance runs on SQLite: sqlmap's payloads for the other database engines would only
        # multiply the requests (its generic ones still run). The queries are built by SQLAlchemy the same
        # way for PostgreSQL, so a parameter that SQLite keeps out of the SQL stays out there too.
        "--dbms",
        "SQLite",
        "--threads",
        "4",
        "--timeout",
        "20",
        "--retries",
        "1",
        "--disable-coloring",
        "--output-dir",
        str(work / "sqlmap"),
        # The session cookie is a signed value read before any query: a tampered one signs nobody in.
        # Attacking it once per URL would only repeat the same test against the same code.
        "--skip",
        COOKIE,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)  # noqa: S603 (no shell)
    with log.open("a") as fh:
        fh.write(f"\n===== {url}\n{result.stdout}{result.stderr}")
    return sqlmap_findings(result.stdout)


def server_errors(reports: Path) -> list[str]:
    """Answers 5xx in the access log, errors and tracebacks in the application's and gunicorn's logs."""
    errors = []
    for line in read_lines(reports / "access.log"):
        if re.search(r'" 5\d\d ', line):
            errors.append("answer 5xx: " + line[:300])
    for name in ("app.log", "server.log"):
        for line in read_lines(reports / name):
            if re.search(r'"level": "(ERROR|CRITICAL)"|\[ERROR\]|^Traceback', line):
                errors.append(f"{name}: {line[:300]}")
    return errors


def read_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def count_lines(path: Path) -> int:
    return sum(1 for _ in path.open(errors="replace")) if path.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scanners", type=Path, default=ROOT / ".venv-scan" / "bin", help="bin/ of the scanners")
    parser.add_argument("--reports", type=Path, default=ROOT / "security-reports")
    parser.add_argument("--crawl-seconds", type=int, default=60, help="wapiti's crawl, per role")
    parser.add_argument("--attack-seconds", type=int, default=20, help="each wapiti module, per role")
    parser.add_argument("--files-per-dir", type=int, default=12, help="pages wapiti explores per folder")
    parser.add_argument("--sqlmap-level", type=int, default=2)
    parser.add_argument("--sqlmap-risk", type=int, default=1)
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()
    args.wapiti_runs = {}
    for tool in ("wapiti", "sqlmap"):
        if not (args.scanners / tool).exists():
            raise ScanError(f"{args.scanners / tool} is missing: run `make security-scan` (it installs them)")

    started = time.monotonic()
    shutil.rmtree(args.reports, ignore_errors=True)
    args.reports.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="secretariat-scan-"))
    env = app_env(work / "instance")
    server = endpoint = None
    # SIGTERM (make interrupted, CI timeout) unwinds like Ctrl-C, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print("Preparing a fresh instance with the demo data ...", flush=True)
        credentials = prepare_instance(env)
        port, args.endpoint_port = free_port(), free_port()
        endpoint = Endpoint(args.endpoint_port).start()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, args.reports)
        ids = demo_ids(work / "instance")
        args.extra_urls = [url.format(**ids) for url in EXTRA_GET_URLS]
        print(f"Serving {base}; wapiti modules: {', '.join(MODULES_ON)}", flush=True)

        findings: list[str] = []
        excluded: list[str] = []
        figures: list[str] = []
        get_urls = [base + path for path in args.extra_urls]
        cookies = {}
        for role in args.roles.split(","):
            cookies[role] = sign_in(base, *credentials[role])
            before, t0 = count_lines(args.reports / "access.log"), time.monotonic()
            print(f"wapiti as {role} ...", flush=True)
            report = run_wapiti(args.scanners, base, role, cookies[role], work, args.reports, args)
            found, skipped, infos = wapiti_findings(report)
            findings += [f"wapiti ({role}) {line}" for line in found]
            excluded += [f"wapiti ({role}) {line}" for line in skipped]
            crawled = crawled_get_urls(work, role)
            get_urls += crawled
            requests = count_lines(args.reports / "access.log") - before
            figures.append(
                f"wapiti as {role}: {infos.get('crawled_pages_nbr', '?')} resources crawled "
                f"({len(crawled)} GET URLs with parameters), {requests} requests, "
                f"{time.monotonic() - t0:.0f} s, {len(found)} findings"
                + (f" ({args.wapiti_runs[role]} runs, see 'database is locked')" if args.wapiti_runs[role] > 1 else "")
            )
            print("  " + figures[-1], flush=True)

        # Any request here came from the application itself (wapiti only asks get_ssrf.php).
        callbacks = endpoint.total_hits()
        figures.append(f"callback endpoint: {callbacks} requests from the application")
        if callbacks:
            findings.append(f"the application requested the callback endpoint {callbacks} times (SSRF)")

        # sqlmap: the coordinator's session (it reaches every GET route an official reaches, and more) for
        # everything the crawls found, an administrator's for the administration's filters.
        role = "coordinator" if "coordinator" in cookies else next(iter(cookies))
        if not still_signed_in(base, cookies[role]):
            findings.append(f"wapiti's session as {role} was ended during its scan: an exclusion is missing")
            cookies[role] = sign_in(base, *credentials[role])
        jobs = [(role, url) for url in sqlmap_targets(get_urls)]
        if "admin" in credentials:
            cookies["admin"] = sign_in(base, *credentials["admin"])
            jobs += [("admin", url) for url in sqlmap_targets([base + path for path in ADMIN_GET_URLS])]
        before, t0 = count_lines(args.reports / "access.log"), time.monotonic()
        for number, (who, url) in enumerate(jobs, 1):
            print(f"sqlmap {number}/{len(jobs)} as {who}: {url}", flush=True)
            hits = run_sqlmap(args.scanners, url, cookies[who], work, args.reports / "sqlmap.log", args)
            findings += [f"sqlmap {url}: {line}" for line in hits]
        requests = count_lines(args.reports / "access.log") - before
        figures.append(
            f"sqlmap (level {args.sqlmap_level}, risk {args.sqlmap_risk}): {len(jobs)} URLs, "
            f"{requests} requests, {time.monotonic() - t0:.0f} s"
        )
        print("  " + figures[-1], flush=True)
        (args.reports / "sqlmap-targets.txt").write_text("".join(f"{who} {url}\n" for who, url in jobs))
    finally:
        if endpoint is not None:
            endpoint.stop()
        if server is not None:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)

    findings += server_errors(args.reports)
    summary = [
        f"Security scan of {base}, {time.monotonic() - started:.0f} s in all",
        *figures,
        f"wapiti modules run: {', '.join(MODULES_ON)}",
        "wapiti modules not run: " + "; ".join(f"{name} ({why})" for name, why in MODULES_OFF.items()),
        f"Excluded as false positives ({len(excluded)}):",
        *[f"  {line}" for line in excluded],
        f"FINDINGS ({len(findings)}):" if findings else "No finding.",
        *[f"  {html.unescape(line)}" for line in findings],
    ]
    (args.reports / "summary.txt").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))
    print(f"Reports: {args.reports}/")
    return 1 if findings else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ScanError as error:
        print(f"security scan could not run: {error}", file=sys.stderr)
        sys.exit(2)
