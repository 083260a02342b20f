"""Server time and SQL queries per request for every main page, in-process (Flask test client, signed in).

Reads the database and index that bench/data.py filled (same --instance, or DATABASE_URL). Each page
is requested --requests times (after a warm-up) and timed, in --rounds turns through all the pages;
a bare route of the same app (/healthz) and the issue's reference page (a 50-row page with a session
check, bench/reference.py) are timed the same way in the same turns, so the ratios page/bare and
page/reference mean something on a busy machine, and on a machine slower or faster than the issue's.

    python bench/pages.py                          # official and coordinator, 200 requests per page
    python bench/pages.py --roles official --requests 50
    python bench/pages.py --profile meeting        # cProfile of one page (top functions by own time)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from data import BENCH_PASSWORD, DEFAULT_INSTANCE, configure  # noqa: E402
from reference import PATH as REFERENCE_PATH  # noqa: E402
from reference import add_reference_page  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def targets() -> dict[str, str]:
    """The URL of each main page, on the fullest objects an official may open."""
    import sqlalchemy as sa

    from secretariat.agenda.models import AgendaItem, AgendaVersion, Meeting
    from secretariat.archive.models import Record
    from secretariat.extensions import db
    from secretariat.programme.models import ProgressReport

    meeting_id = db.session.scalar(
        sa.select(AgendaItem.meeting_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(Meeting.status == "closed", Meeting.kind != "coordinators")
        .where(sa.exists().where(AgendaVersion.meeting_id == Meeting.id))
        .group_by(AgendaItem.meeting_id)
        .order_by(sa.func.count().desc(), AgendaItem.meeting_id)
        .limit(1)
    )
    initiative_id = db.session.scalar(
        sa.select(ProgressReport.initiative_id)
        .group_by(ProgressReport.initiative_id)
        .order_by(sa.func.count().desc(), ProgressReport.initiative_id)
        .limit(1)
    )
    record_id = db.session.scalar(
        sa.select(sa.func.min(Record.id)).where(
            Record.confidentiality == "restricted",
            Record.current_version == 2,
            Record.withdrawn_at.is_(None),
            Record.embargo_until.is_(None),
        )
    )
    return {
        "dashboard": "/",
        "meetings": "/meetings/",
        "meeting": f"/meetings/{meeting_id}",
        "compare": f"/meetings/{meeting_id}/compare?from=v1&to=v5",
        "initiatives": "/programme/",
        "initiative": f"/programme/initiatives/{initiative_id}",
        # the archive's front page: every record the user may open, newest first, counted by facet
        "archive": "/archive/",
        "search": "/archive/?q=water",
        "search-filtered": "/archive/?q=trade+year:2005..2015",
        "record": f"/archive/records/{record_id}",
    }


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(self.engine, "after_cursor_execute", self._done)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)
        event.remove(self.engine, "after_cursor_execute", self._done)

    def _count(self, _conn, _cursor, statement, *_args, **_kwargs):
        self.count += 1
        self.started = time.perf_counter()
        self.statements.append(" ".join(statement.split())[:200])

    def _done(self, *_args, **_kwargs):
        self.statements[-1] = f"{(time.perf_counter() - self.started) * 1000:7.2f} ms  {self.statements[-1]}"


def warm(client, url: str, engine) -> int:
    """Five warm-up GETs (each must answer 200), then the number of SQL queries of one more."""
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with QueryCounter(engine) as counter:
        client.get(url)
    return counter.count


def time_requests(client, url: str, requests: int, wall: list, cpu: list, before=None) -> None:
    """Append the wall and CPU times (ms) of ``requests`` GETs to ``wall`` and ``cpu``.

    The CPU time of this thread (the app and SQLite run in it) hardly moves when other processes
    load the machine, so it compares runs better than the wall time does. ``before`` runs before
    each request, off the clock.
    """
    for _ in range(requests):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)


def measure_all(client, pages: list[tuple[str, str, object]], requests: int, rounds: int, engine) -> dict:
    """name -> (wall times, CPU times, SQL queries) for every page, the pages taken in turns.

    Each page's requests are spread over ``rounds`` turns through all the pages, so a noisy minute
    of the machine falls on every page alike instead of on the one being timed then (a single
    block per page once gave the archive's front page a p95 of 6.3 ms, and 3.3-4.2 ms in four
    runs of it alone).
    """
    results = {name: ([], [], warm(client, url, engine)) for name, url, _ in pages}
    per_round = [requests // rounds + (1 if r < requests % rounds else 0) for r in range(rounds)]
    for count in per_round:
        for name, url, before in pages:
            wall, cpu, _ = results[name]
            if before is None:
                client.get(url)  # off the clock: the turn starts warm
            time_requests(client, url, count, wall, cpu, before)
    return results


def signed_in_client(app, role: str):
    from tests.factories import Client

    app.test_client_class = Client
    client = app.test_client()
    with app.app_context():  # the login helper reads the TOTP secret when a code is asked for
        response = client.login(f"bench-{role}@example.org", BENCH_PASSWORD)
    assert response.status_code == 302 and not response.headers["Location"].startswith("/login"), response.headers
    return client


def profile(client, url: str, requests: int) -> None:
    profiler = cProfile.Profile(time.thread_time)  # CPU time: what other processes do hardly shows
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)
    # What the view itself calls, by cumulative time: which step of the page costs what.
    stats.print_callees(r"views.py:\d+\((?!_)")
    print(out.getvalue())


def check_search_index() -> None:
    """Refuse to time the search pages on an index that is not the archive's.

    An index written with an older schema is set aside when it is opened and starts empty (see
    archive/search/engine.py); only the next change to the archive rebuilds it. Searching an empty
    index is fast and finds nothing: timing it once gave the search page 3 ms instead of about 10.
    """
    import sqlalchemy as sa

    from secretariat.archive.models import Record
    from secretariat.archive.search import engine as search_engine
    from secretariat.extensions import db

    records = db.session.scalar(sa.select(sa.func.count()).select_from(Record))
    indexed = search_engine.document_count(search_engine.get_index())
    if indexed < records:
        sys.exit(
            f"The search index holds {indexed:,} documents for {records:,} records. "
            "Rebuild it first: flask --app wsgi archive reindex (with this instance's settings)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default=DEFAULT_INSTANCE)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4, help="turns through all the pages (see measure_all)")
    parser.add_argument("--roles", default="official,coordinator")
    parser.add_argument("--pages", default="", help="comma-separated page names or URLs (default: all pages)")
    parser.add_argument("--profile", metavar="PAGE", help="profile this page instead of timing")
    parser.add_argument("--sql", metavar="PAGE", help="print the SQL statements of one request to this page")
    args = parser.parse_args()
    configure(args.instance)

    from secretariat import create_app
    from secretariat.extensions import db

    app = create_app()
    add_reference_page(app)
    gc.collect()  # as wsgi.py does for gunicorn: start-up objects out of the collector's full passes
    gc.freeze()
    with app.app_context():
        urls = targets()
        engine = db.engine
        dialect = engine.dialect.name
        check_search_index()
    chosen = [p for p in args.pages.split(",") if p] or list(urls)
    print(f"database: {dialect}; {args.requests} requests per page, in-process; times in ms")
    for role in args.roles.split(","):
        client = signed_in_client(app, role)
        if args.profile:
            profile(client, urls.get(args.profile, args.profile), args.requests)
            continue
        if args.sql:
            url = urls.get(args.sql, args.sql)  # a name above, or any URL
            client.get(url)  # warm
            with QueryCounter(engine) as counter:
                start = time.perf_counter()
                client.get(url)
                total = (time.perf_counter() - start) * 1000
            print(f"\n{role}: {counter.count} statements for {url} in {total:.1f} ms")
            print("\n".join(counter.statements))
            continue
        pages = [("bare", "/healthz", None), ("reference", REFERENCE_PATH, None)]
        for name in chosen:
            # every search is computed afresh (no results are kept between requests): each row is a first-time search
            pages.append((name, urls.get(name, name), None))
        results = measure_all(client, pages, args.requests, args.rounds, engine)
        bare_p95 = percentile(results["bare"][0], 95)
        reference_p95 = percentile(results["reference"][0], 95)
        print(f"\nsigned in as {role}")
        print("| page | p50 | p95 | CPU p50 | CPU p95 | SQL queries | p95 ÷ bare p95 | p95 ÷ reference p95 | URL |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for name, url, _ in pages:
            wall, cpu, queries = results[name]
            print(
                f"| {name} | {statistics.median(wall):.2f} | {percentile(wall, 95):.2f} | {statistics.median(cpu):.2f} "
                f"| {percentile(cpu, 95):.2f} | {queries} | {percentile(wall, 95) / bare_p95:.1f} "
                f"| {percentile(wall, 95) / reference_p95:.2f} | {url} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
