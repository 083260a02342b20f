"""Search across the cluster: each server keeps its own index and catches up from the database's
change log (its ``flask worker`` at every poll, its requests after their own writes).

What a server finds is read from its result list (the records' links in the hits), never from
the page as a whole: the page repeats the query in the search box and the heading, so looking
for the words anywhere would find them on a page of no results.
"""

from __future__ import annotations

import html
import re
import subprocess  # nosec B404
import sys
import time
from urllib.parse import quote_plus

import sqlalchemy as sa

from secretariat.archive.search.changelog import ORDER_LOCK
from secretariat.archive.searching import PER_PAGE
from tests.cluster.conftest import (
    Cluster,
    ClusterServer,
    Filer,
    RoundRobin,
    Searcher,
    same_person,
    server_logs,
    signed_in,
)
from tests.reliability.conftest import ROOT, wait_until
from tests.reliability.web import file_record, replace, text_file

#: a record's hit in the result list: its link and title (snippets and the search box are not counted)
HIT = re.compile(r'<h3 class="hit__title"><a href="/archive/records/(\d+)">([^<]*)</a></h3>')


def hits(client: RoundRobin, server: ClusterServer, query: str) -> list[tuple[int, str]]:
    """The records found by ``query`` on ``server``, as (id, title), in the order listed.

    One page, read from one snapshot of the index: the queries here find fewer records than a page
    holds. (Across pages a record may move while the worker re-indexes it with its file's text.)
    """
    answer = same_person(client, [server]).get(f"/archive/?q={quote_plus(query)}")
    assert answer.status == 200, f"search on {server.name} answered {answer.status}"
    listed = [(int(record_id), html.unescape(title)) for record_id, title in HIT.findall(answer.text)]
    assert len(listed) < PER_PAGE, f"{query} finds a page or more: the test's groups are too large"
    return listed


def stored(cluster: Cluster, token: str) -> dict[int, str]:
    """The records whose title holds ``token``, as the database has them: id -> title."""
    rows = cluster.instance.rows("SELECT id, title FROM records WHERE title LIKE :t", t=f"%{token}%")
    return {record_id: title for record_id, title in rows}


def wait_for_all(cluster: Cluster, client: RoundRobin, token: str, deadline: float) -> None:
    """Every server lists every stored record with ``token``, each once (a record listed twice fails at once).

    The records are looked up by their group's word (Filer.title), ten a search.
    """
    expected = stored(cluster, token)
    groups = sorted({title.rsplit(" ", 1)[1] for title in expected.values()})
    for server in cluster.servers:

        def caught_up(server=server) -> bool:
            found = []
            for group in groups:
                listed = hits(client, server, group)
                ids = [record_id for record_id, _ in listed]
                doubled = sorted({record_id for record_id in ids if ids.count(record_id) > 1})
                assert not doubled, (
                    f"{server.name} lists records {doubled} more than once: "
                    f"{[(r, index_copies(server, r)) for r in doubled]} documents in its index; {listed}\n"
                    + server_logs(cluster, workers=True)
                )
                found += listed
            assert {r for r, _ in found} <= set(expected), f"{server.name} lists records the database lacks"
            return sorted(found) == sorted(expected.items())

        wait_until(caught_up, deadline, f"{server.name} did not list the {len(expected)} records of {token}")


def index_copies(server: ClusterServer, record_id: int) -> int:
    """How many documents ``server``'s index holds for the record (read from its folder)."""
    import os
    from pathlib import Path

    import tantivy

    from secretariat.archive.search import engine

    base = Path(server.env["ARCHIVE_INDEX"])
    index = engine.get_index(base / os.readlink(base / "current"))
    index.reload()
    query = tantivy.Query.term_query(engine.SCHEMA, "doc_key", f"record:{record_id}")
    return index.searcher().search(query, 10, count=True).count


def test_a_record_filed_on_a_is_found_on_b_and_c(cluster: Cluster):
    a, b, c = cluster.servers
    filer = signed_in(cluster, [a])
    token = "quasarcluster"
    answer = file_record(filer, f"Cluster note {token}", [("note.txt", text_file(2000, token))])
    assert answer.status == 302
    record_id = int(answer.location.rsplit("/", 1)[1])
    for server in (b, c):
        wait_until(
            lambda s=server: hits(filer, s, token) == [(record_id, f"Cluster note {token}")],
            2,
            f"not found on {server.name}",
        )
    assert not hits(filer, b, "nosuchwordanywhere")  # the helper reads hits, not the echoed query


def test_an_edit_and_a_withdrawal_on_a_reach_b_and_c(cluster: Cluster):
    a, b, c = cluster.servers
    filer = signed_in(cluster, [a])
    reader = cluster.client()  # an official: a withdrawn record is found by coordinators only
    person = cluster.instance.take("officials", 1)[0]
    reader.sign_in(person["email"], cluster.instance.data["password"])
    token = "zephyrcluster"
    answer = file_record(filer, f"Cluster draft {token}", [("note.txt", text_file(500, token))])
    assert answer.status == 302
    record_id = int(answer.location.rsplit("/", 1)[1])
    for server in (b, c):
        wait_until(
            lambda s=server: hits(reader, s, token) == [(record_id, f"Cluster draft {token}")],
            2,
            f"the new record not found on {server.name}",
        )

    action, fields = filer.form(f"/archive/records/{record_id}/revise")
    revised = filer.post_multipart(action, replace(fields, title=f"Cluster final {token}", change_note="Final"), [])
    assert revised.status == 302, revised.text[:2000]
    for server in (b, c):
        wait_until(
            lambda s=server: hits(reader, s, token) == [(record_id, f"Cluster final {token}")],
            2,
            f"the edit not seen on {server.name}",
        )

    action, fields = filer.form(f"/archive/records/{record_id}", "/withdraw")
    assert filer.post(action, replace(fields, reason="Filed in error")).status == 302
    for server in (b, c):
        wait_until(lambda s=server: hits(reader, s, token) == [], 2, f"the withdrawal not seen on {server.name}")
        # coordinators still find it, marked withdrawn, with its final title
        assert hits(filer, server, token) == [(record_id, f"Cluster final {token}")]


def test_a_server_killed_catches_up_without_losing_or_doubling(cluster: Cluster):
    """Server B (gunicorn and its worker) killed with SIGKILL while records are filed and searched
    through all three servers, then started again: every record acknowledged is stored once, and
    every server, B too, lists every stored record once."""
    a, b, c = cluster.servers
    token = "killtoken"
    writer = signed_in(cluster)
    filer = Filer(writer, token)
    searcher = Searcher(same_person(writer, cluster.servers), token)
    filer.start()
    searcher.start()
    try:
        filer.wait_for(4)
        b.crash()
        down = len(filer.filed)
        filer.wait_for(down + 4)  # filed on A and C while B is down
        b.start()
        restarted = len(writer.answered_by)
        up = len(filer.filed)
        filer.wait_for(up + 4)  # B takes its share again
    finally:
        filer.stop()
        searcher.stop()
    assert not filer.failures, filer.failures
    assert set(searcher.statuses) == {200}, (searcher.statuses, server_logs(cluster))
    records = stored(cluster, token)
    titles = list(records.values())
    # No write lost, none doubled: each acknowledged record once; one whose answer was lost at most once.
    assert all(records.get(record_id) == title for title, record_id in filer.filed.items())
    assert all(titles.count(title) == 1 for title in filer.filed)
    assert all(titles.count(title) <= 1 for title in filer.uncertain), filer.uncertain
    assert "b" in writer.answered_by[restarted:], "B took no request after its restart"
    wait_for_all(cluster, writer, token, 30)


def add_ballast(cluster: Cluster, template_id: int, count: int) -> None:
    """``count`` copies of record ``template_id`` (with its version and a long description), logged as
    changes the way a script's bulk insert is (under the order lock): an archive large enough that
    a rebuild takes seconds, so that records are filed while it runs."""
    engine = cluster.instance.engine
    inspector = sa.inspect(engine)

    def columns(table: str) -> list[str]:
        return [c["name"] for c in inspector.get_columns(table) if c["name"] != "id"]

    prose = " ".join(f"ballast paragraph word{n % 97} about dialogue and cooperation" for n in range(60))
    copied = {"title": "'Ballast record ' || g", "source_ref": "NULL", "description_html": ":prose"}
    record_columns = columns("records")
    with engine.begin() as conn:
        new_ids = list(
            conn.execute(
                sa.text(
                    f"INSERT INTO records ({', '.join(record_columns)}) "  # noqa: S608 (column names from the schema)
                    f"SELECT {', '.join(copied.get(c, f'r.{c}') for c in record_columns)} "
                    "FROM records r, generate_series(1, :count) AS g WHERE r.id = :template RETURNING id"
                ),
                {"count": count, "template": template_id, "prose": f"<p>{prose}</p>"},
            ).scalars()
        )
        version_columns = columns("record_versions")
        conn.execute(
            sa.text(
                f"INSERT INTO record_versions ({', '.join(version_columns)}) "  # noqa: S608
                f"SELECT {', '.join('n.id' if c == 'record_id' else f'v.{c}' for c in version_columns)} "
                "FROM record_versions v, unnest(CAST(:ids AS integer[])) AS n(id) WHERE v.record_id = :template"
            ),
            {"ids": new_ids, "template": template_id},
        )
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ORDER_LOCK)))
        conn.execute(
            sa.text(
                "INSERT INTO search_changes (kind, record_id, created_at) "
                "SELECT 'record', n.id, now() FROM unnest(CAST(:ids AS integer[])) AS n(id) ORDER BY n.id"
            ),
            {"ids": new_ids},
        )


def all_applied(cluster: Cluster) -> bool:
    latest = cluster.instance.scalar("SELECT max(id) FROM search_changes")
    applied = cluster.instance.rows("SELECT applied_id FROM search_indexes WHERE rebuild_from IS NULL")
    return len(applied) == len(cluster.servers) and all(row[0] == latest for row in applied)


def test_a_rebuild_on_a_while_b_and_c_write_loses_nothing(cluster: Cluster):
    """`flask archive reindex` on server A, as an operator runs it, while records are filed through B
    and C: records committed after the rebuild took its starting point are in the new index too."""
    a, b, c = cluster.servers
    token = "rebuildtoken"
    writer = signed_in(cluster, [b, c])
    template = file_record(writer, "Ballast template", [("t.txt", text_file(400, "ballast"))])
    assert template.status == 302
    add_ballast(cluster, int(template.location.rsplit("/", 1)[1]), 6000)
    wait_until(lambda: all_applied(cluster), 120, "the ballast was not applied by every index")
    filer = Filer(writer, token)
    filer.start()
    try:
        filer.wait_for(2)
        reindex = subprocess.Popen(  # noqa: S603  # nosec B603
            [sys.executable, "-m", "flask", "--app", "wsgi", "archive", "reindex"],
            cwd=ROOT,
            env=a.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started_at: list[int] = []  # the change the rebuild starts from, as A's registry row says while it runs
        while reindex.poll() is None:
            rows = cluster.instance.rows(
                "SELECT rebuild_from FROM search_indexes WHERE folder = :f AND rebuild_from IS NOT NULL",
                f=a.env["ARCHIVE_INDEX"],
            )
            started_at += [row[0] for row in rows]
            time.sleep(0.02)
        ended = time.monotonic()
        out, err = reindex.communicate()
        filer.wait_for(len(filer.filed) + 2)
    finally:
        filer.stop()
    assert reindex.returncode == 0, err[-3000:]
    assert "Index rebuilt" in out, out
    assert started_at, "the rebuild's starting point was never seen in the registry"
    assert not filer.failures and not filer.uncertain, (filer.failures, filer.uncertain)
    # Some records were committed after the rebuild's starting point and before it ended.
    during = [
        title
        for title, record_id in filer.filed.items()
        if filer.finished_at[title] < ended
        and cluster.instance.scalar("SELECT min(id) FROM search_changes WHERE record_id = :r", r=record_id)
        > min(started_at)
    ]
    assert during, f"no record was filed while the rebuild ran: {out}"
    assert len(stored(cluster, token)) == len(filer.filed)
    wait_for_all(cluster, writer, token, 30)
