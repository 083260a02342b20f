"""SQLite under two gunicorn workers and sixteen concurrent writers: nothing locked, nothing lost.

Eight officials propose agenda items and comment on an initiative, eight coordinators add agenda
items, edit them and file archive records with files, all at once. No answer may be a 500 or mention
a locked database, and every write the application acknowledged must be in the database afterwards.
SQLite has one write lock for the whole database (writers wait up to the busy timeout); PostgreSQL
locks rows, and its pass is covered by the lost-update and restart tests, so this runs on SQLite only.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability.threads import barrier, run_in_threads
from tests.reliability.web import Browser, file_record, replace, text_file

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only: the PostgreSQL pass covers its own faults"
)

THREADS = 16
WRITES = 6


def test_sixteen_writers_on_sqlite_lose_nothing(shared_instance, serve):
    instance = shared_instance
    server = serve(instance)
    data = instance.data
    meeting, initiative = data["meeting_id"], data["initiative_id"]
    people = [(p, True) for p in instance.take("coordinators", THREADS // 2)]
    people += [(p, False) for p in instance.take("officials", THREADS // 2)]
    start = barrier(THREADS)

    added: dict[int, str] = {}  # thread → the last agenda item it added, which it edits next

    def write(n: int, browser: Browser, coordinator: bool, k: int):
        """One write of thread n; returns (kind, key) for what must be stored, and the answer."""
        key = f"w{n}-{k}"
        if coordinator and k % 3 == 0:
            action, fields = browser.form(f"/meetings/{meeting}/items/new")
            answer = browser.post(action, replace(fields, title=key, duration_minutes="15"))
            added[n] = answer.location.rpartition("#item-")[2]
            return ("item", key), answer
        if coordinator and k % 3 == 1:
            action, fields = browser.form(f"/meetings/{meeting}/items/{added[n]}/edit")
            return ("edit", key), browser.post(action, replace(fields, description_source=key))
        if coordinator:
            return ("record", key), file_record(browser, key, [(f"{key}.txt", text_file(20_000, key))])
        if k % 2 == 0:
            action, fields = browser.form(f"/meetings/{meeting}/propose")
            return ("proposal", key), browser.post(action, replace(fields, title=key))
        action, fields = browser.form(f"/programme/initiatives/{initiative}", "/comments")
        return ("comment", key), browser.post(action, replace(fields, text=key))

    def writer(n: int) -> list:
        person, coordinator = people[n]
        browser = Browser(server.base)
        browser.sign_in(person["email"], data["password"], person.get("totp"))
        start.wait()
        return [write(n, browser, coordinator, k) for k in range(WRITES)]

    results = [r for rs in run_in_threads(writer, THREADS) for r in rs]

    bad = [(what, a.status, a.leaks()) for what, a in results if a.status >= 500 or a.leaks()]
    assert bad == []
    acknowledged = [what for what, a in results if a.status == 302]
    refused = [(what, a.status) for what, a in results if a.status != 302]
    print(f"\n{THREADS} writers x {WRITES} writes on SQLite: {len(acknowledged)} acknowledged, refused: {refused}")
    assert refused == []
    stored = {
        "item": {r[0] for r in instance.rows("SELECT title FROM agenda_items")},
        "edit": {r[0] for r in instance.rows("SELECT description_source FROM agenda_items")},
        "record": {r[0] for r in instance.rows("SELECT title FROM records")},
        "proposal": {r[0] for r in instance.rows("SELECT title FROM item_proposals")},
        "comment": {r[0] for r in instance.rows("SELECT text_source FROM programme_comments")},
    }
    lost = [(kind, key) for kind, key in acknowledged if key not in stored[kind]]
    assert lost == []
    files = instance.scalar(
        "SELECT count(*) FROM record_files f JOIN record_versions v ON v.id = f.version_id"
        " JOIN records r ON r.id = v.record_id WHERE r.title LIKE 'w%-%'"
    )
    assert files == sum(1 for kind, _ in acknowledged if kind == "record")
