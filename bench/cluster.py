"""The page mix of bench/load.py on one server, then on three servers at once (127.0.0.1).

One server is gunicorn with --workers sync workers, as a production unit; the cluster is three such
servers on three ports, on the same database, the same instance folder (secret key, file store) and
the same Redis for the rate limits, as docs/deployment.md describes. wrk drives the same number of
signed-in users in both runs: against the one server, then split in three, one wrk per server,
started together, their figures summed. On one machine the cluster cannot be faster (the cores are
shared): the figure to read is the ratio, close to 1 when nothing serialises between the servers
(a lock, a shared file, the limiter's round trips).

    python bench/cluster.py --instance /tmp/secretariat-bench-pg          # DATABASE_URL as for data.py
    python bench/cluster.py --users 30 --duration 20 --redis redis://127.0.0.1:6379/7

Needs wrk and the data of bench/data.py (PostgreSQL: several servers on one SQLite file is not a
supported deployment).

Then the index lag under a steady stream of writes (``--lag-seconds``, 0 to skip): three hosts as
docs/deployment.md runs them, each gunicorn and its ``flask worker`` (polling every ``--poll`` s, the
guide's default 1) with an index of its own (host A the instance's, B and C built by their workers
first); a coordinator files a record on A every ``--lag-every`` s, and for each record the time from
A's answer to the first search on B (and on C) that lists it is measured, p50/p95/max. B and C look
every 50 ms with one search for the records still missing, so the figures are within about 0.1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from data import BENCH_PASSWORD, BENCH_TOTP, DEFAULT_INSTANCE, configure  # noqa: E402
from load import Server, check_pages, comments, mix_script, paths, sign_in  # noqa: E402

from tests.reliability.web import Browser, file_record, text_file  # noqa: E402

#: a record's link in a result list (the search box repeats the query: never count the page)
HIT = re.compile(r'<h3 class="hit__title"><a href="/archive/records/\d+">[^<]*?(lag\w+)</a></h3>')


def wrk_process(url: str, script: Path, connections: int, duration: int) -> subprocess.Popen:
    command = [shutil.which("wrk") or "wrk", "--threads", "1", "--connections", str(connections)]
    command += ["--duration", f"{duration}s", "--timeout", "10s", "--script", str(script), url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def run_wrks(runs: list[tuple[str, Path, int]], duration: int) -> dict:
    """Start one wrk per (url, script, connections) together; their figures summed (p99: the worst)."""
    processes = [wrk_process(url, script, connections, duration) for url, script, connections in runs]
    results = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"wrk failed: {err or out}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    errors = sum(r[k] for r in results for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": sum(r["requests"] / r["seconds"] for r in results),
        "p50": max(r["p50"] for r in results),
        "p99": max(r["p99"] for r in results),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default=DEFAULT_INSTANCE)
    parser.add_argument("--users", type=int, default=24, help="concurrent signed-in users (split over the servers)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per run")
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="sync workers per server")
    parser.add_argument("--write-every", type=int, default=10, help="one POST in this many requests")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="the limiter's store ('' for memory)")
    parser.add_argument("--port", type=int, default=8775, help="first of the servers' ports")
    parser.add_argument("--lag-seconds", type=int, default=20, help="how long records are filed (0: no lag run)")
    parser.add_argument("--lag-every", type=float, default=1.0, help="seconds between two records filed on A")
    parser.add_argument("--poll", type=float, default=1.0, help="the hosts' `flask worker --poll`")
    parser.add_argument("--lag-only", action="store_true", help="measure only the index lag")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    configure(args.instance)
    if args.redis:
        os.environ["RATELIMIT_STORAGE_URI"] = args.redis  # inherited by the servers
    from secretariat import create_app

    app = create_app()
    app.app_context().push()
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min); limiter: {args.redis or 'memory'}")
    if not args.lag_only:
        throughput(args)
    if args.lag_seconds:
        index_lag(args)


def throughput(args) -> None:
    """The page mix on one server, then on three."""
    servers = [Server(args.instance, args.port, args.workers)]
    try:
        users = [sign_in(servers[0].base, f"user{n}@example.org") for n in range(5, 5 + args.users)]
        reads, writes = paths()
        check_pages(servers[0].base, users[0], reads)
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "mix.lua"
            script.write_text(mix_script(users, reads, writes, args.write_every))
            before = comments()
            one = run_wrks([(servers[0].base, script, args.users)], args.duration)
            one["stored"] = comments() - before
            rows.append(("1 server", one))
            for n in range(1, args.servers):
                servers.append(Server(args.instance, args.port + n, args.workers))
            runs = []
            for n, server in enumerate(servers):
                share = users[n :: len(servers)]
                part = Path(tmp) / f"mix{n}.lua"
                part.write_text(mix_script(share, reads, writes, args.write_every))
                runs.append((server.base, part, len(share)))
            before = comments()
            many = run_wrks(runs, args.duration)
            many["stored"] = comments() - before
            rows.append((f"{len(servers)} servers", many))
    finally:
        for server in servers:
            server.stop()
    print(f"{args.users} signed-in users, {args.workers} sync workers per server, {args.duration} s per run")
    print("| servers | req/s | p50 ms | p99 ms | errors | comments stored | ÷ one server |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in rows:
        ratio = row["rps"] / rows[0][1]["rps"]
        print(
            f"| {name} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} | {row['errors']} "
            f"| {row['stored']} | {ratio:.2f} |"
        )


class Host:
    """One application server as the guide runs it: gunicorn and its worker, its own search index."""

    def __init__(self, name: str, args, index: Path):
        self.name, self.base = name, f"http://127.0.0.1:{args.port + 10 + 'abc'.index(name)}"
        env = dict(
            os.environ,
            SECRETARIAT_INSTANCE=args.instance,
            SECRETARIAT_CONFIG="development",
            LOG_LEVEL="WARNING",
            AUTH_POST_RATE_LIMIT="100000 per minute",
            ARCHIVE_INDEX=str(index),
        )
        log = open(Path(tempfile.gettempdir()) / f"bench-cluster-{name}.log", "w")  # noqa: SIM115
        bind = self.base.removeprefix("http://")
        gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind", bind, "wsgi:app"]
        worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", str(args.poll)]
        self.processes = [
            subprocess.Popen(command, cwd=BENCH.parent, env=env, stdout=log, stderr=log)  # noqa: S603
            for command in (gunicorn, worker)
        ]
        deadline = time.monotonic() + 60
        while not self.ready():
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"host {name} not ready in 60 s (see {log.name})")
            time.sleep(0.5)

    def ready(self) -> bool:
        """200 "ready" from /readyz: database, migrations and this host's index caught up."""
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=5) as response:  # noqa: S310 - loopback
                return b"ready" in response.read()
        except OSError:
            return False

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def letters(number: int) -> str:
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def index_lag(args) -> None:
    """Records filed on A at a fixed pace; for each, how long until B and C list it."""
    instance = Path(args.instance)
    hosts: list[Host] = []
    try:
        for name in "abc":
            index = instance / "search-index" if name == "a" else instance / f"search-index-{name}"
            hosts.append(Host(name, args, index))
        a, *others = hosts
        filer = Browser(a.base)
        filer.sign_in("bench-coordinator@example.org", BENCH_PASSWORD, BENCH_TOTP)
        readers = {}
        for host in others:
            readers[host.name] = Browser(host.base)
            readers[host.name].cookies = dict(filer.cookies)
        filed: dict[str, float] = {}  # word -> when A answered
        seen: dict[str, dict[str, float]] = {host.name: {} for host in others}
        done, give_up = threading.Event(), [float("inf")]
        lock = threading.Lock()

        def watch(name: str) -> None:
            reader = readers[name]
            while not (done.is_set() and (len(seen[name]) == len(filed) or time.monotonic() > give_up[0])):
                with lock:
                    missing = [word for word in filed if word not in seen[name]]
                if missing:
                    query = " OR ".join(missing[:10])  # fewer than a page of hits
                    page = reader.get(f"/archive/?q={quote_plus(query)}").text
                    now = time.monotonic()
                    for word in set(HIT.findall(page)) & set(missing):
                        seen[name][word] = now
                time.sleep(0.05)

        watchers = [threading.Thread(target=watch, args=(host.name,), daemon=True) for host in others]
        for watcher in watchers:
            watcher.start()
        run = int(time.time()) % 100000
        started, n = time.monotonic(), 0
        errors = 0
        while time.monotonic() - started < args.lag_seconds:
            word = f"lag{letters(run)}z{letters(n)}"  # letters only: one term, not split at digits
            answer = file_record(filer, f"Index lag probe {word}", [("lag.txt", text_file(600, word))])
            if answer.status == 302:
                with lock:
                    filed[word] = time.monotonic()
            else:
                errors += 1
            n += 1
            time.sleep(max(0.0, started + n * args.lag_every - time.monotonic()))
        give_up[0] = time.monotonic() + 60  # a record not found by then is reported missing
        done.set()
        for watcher in watchers:
            watcher.join(120)
    finally:
        for host in hosts:
            host.stop()
    print(
        f"index lag: {len(filed)} records filed on A, one every {args.lag_every:g} s for {args.lag_seconds} s "
        f"({errors} errors); workers poll every {args.poll:g} s; load {os.getloadavg()[0]:.2f}"
    )
    print("| host | found | p50 s | p95 s | max s |")
    print("|---|---:|---:|---:|---:|")
    for name, times in seen.items():
        lags = sorted(times[word] - filed[word] for word in times)
        if not lags:
            print(f"| {name} | 0 | - | - | - |")
            continue
        p95 = lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))]
        print(f"| {name} | {len(lags)} | {statistics.median(lags):.2f} | {p95:.2f} | {lags[-1]:.2f} |")


if __name__ == "__main__":
    main()
