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
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from data import DEFAULT_INSTANCE, configure  # noqa: E402
from load import Server, check_pages, comments, mix_script, paths, sign_in  # noqa: E402


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


if __name__ == "__main__":
    main()
