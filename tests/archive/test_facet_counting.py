"""Facet counts (search/engine.py): exact, with partners counted in slots and the rest.

What a user could see go wrong: another user's counts on their page when two searches run at
once, no counts in a gunicorn worker forked from a process that had already searched, and markup
from a record's text in a snippet.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

from secretariat.archive.search import engine
from secretariat.archive.search.query import parse
from tests.archive.helpers import snippet_html

EVERYONE = engine.Access(cleared=True)
PARTNERS = engine.Access(cleared=False)
WORDS = ["water", "trade", "culture", "energy"]
#: a record's partners: none, one, several in any order (each counted in one of the engine's slots),
#: more than the slots hold (the rest counted apart, see engine.PARTNER_SLOTS), one named twice
#: (counted once), and a document with no partner at all (an initiative without sponsors: its empty
#: slots are counted nowhere)
PARTNER_SETS = [
    ["none"],
    ["FR"],
    ["FR", "VN"],
    ["VN", "TH", "FR"],
    ["TH"],
    ["DE", "DE"],
    ["JP", "CN", "KR", "SG", "MY", "FR", "DE"],
    [],
]


def _index(path):
    index = engine.get_index(path)
    documents = []
    for i in range(1, 121):
        word = WORDS[i % len(WORDS)]
        documents.append(
            {
                "doc_key": f"record:{i}",
                "record_id": i,
                "title": f"Report {i} on {word}",
                "body": f"Senior officials discussed {word} <b>cooperation</b> & {WORDS[i % 3]}.",
                "type": ["report", "minutes", "declaration"][i % 3],
                "partners": PARTNER_SETS[i % len(PARTNER_SETS)],
                "language": "en",
                "meeting_kind": "som",
                "confidentiality": "coordinators" if i % 5 == 0 else "restricted",
                "year": 2000 + i % 7,
                "withdrawn": 0,
                "date": datetime(2000 + i % 7, 1, 1, tzinfo=UTC),
                "embargo_until": engine.EPOCH,
            }
        )
    engine.replace_documents(index, [], documents)
    return index


def _expected(word: str, access: engine.Access) -> dict[str, dict[str, int]]:
    """The counts computed by hand from the documents above."""
    counts: dict[str, dict[str, int]] = {"type": {}, "year": {}, "partners": {}}
    for i in range(1, 121):
        text = {WORDS[i % len(WORDS)], WORDS[i % 3]}
        if word not in text or (not access.cleared and i % 5 == 0):
            continue
        for name, values in (
            ("type", [["report", "minutes", "declaration"][i % 3]]),
            ("year", [str(2000 + i % 7)]),
            ("partners", sorted(set(PARTNER_SETS[i % len(PARTNER_SETS)]))),
        ):
            for value in values:
                counts[name][value] = counts[name].get(value, 0) + 1
    return counts


def _counts(results: engine.Results) -> dict[str, dict[str, int]]:
    return {name: dict(results.facets[name]) for name in ("type", "year", "partners")}


def test_searches_at_the_same_time_each_get_their_own_counts(tmp_path):
    index = _index(tmp_path / "index")
    cases = [(word, access) for word in WORDS for access in (EVERYONE, PARTNERS)]
    failures: list[str] = []
    start = threading.Barrier(len(cases), timeout=30)

    def run(word, access):
        start.wait()
        for _ in range(25):
            results = engine.search(parse(word), access, {}, index=index)
            if _counts(results) != _expected(word, access) or results.total != sum(
                _expected(word, access)["type"].values()
            ):
                failures.append(f"{word} cleared={access.cleared}: {_counts(results)}")
                return

    threads = [threading.Thread(target=run, args=case) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a search never answered"
    assert failures == []


def test_a_forked_worker_counts_facets_too(tmp_path):
    index = _index(tmp_path / "index")
    assert _counts(engine.search(parse("water"), EVERYONE, {}, index=index)) == _expected("water", EVERYONE)
    pid = os.fork()  # as gunicorn forks its workers from a master that may have searched already
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            code = int(
                _counts(engine.search(parse("trade"), PARTNERS, {}, index=index)) != _expected("trade", PARTNERS)
            )
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (finished := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if finished[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("the forked process's search never answered")
    assert os.waitstatus_to_exitcode(finished[1]) == 0


def test_markup_in_a_record_text_is_shown_as_text_around_the_highlight(tmp_path):
    index = _index(tmp_path / "index")
    results = engine.search(parse("cooperation"), EVERYONE, {}, index=index, facets=False)
    snippet = snippet_html(results.hits[0].snippet)
    assert "&lt;b&gt;<mark>cooperation</mark>&lt;/b&gt; &amp;" in snippet
    assert "<b>" not in snippet
