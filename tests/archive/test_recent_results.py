"""A search asked again is answered from the results kept for it (search/recent.py), never stale.

What a user could see go wrong: a record filed, withdrawn or changed (in this process or in
another gunicorn worker) missing from or lingering in results; an embargo that lifted while its
record stays hidden; a coordinator's results, which hold the coordinators' records, shown to a
partner's official who asks the same question.
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest
import tantivy

from secretariat.archive.search import engine, recent
from secretariat.archive.search.query import parse

CLEARED = engine.Access(cleared=True)
OFFICIAL = engine.Access(cleared=False)


def _document(i: int, title: str, **fields) -> dict:
    return {
        "doc_key": f"record:{i}",
        "record_id": i,
        "title": title,
        "body": f"Senior officials discussed {title.lower()}.",
        "type": "report",
        "partners": ["FR"],
        "language": "en",
        "meeting_kind": "som",
        "confidentiality": "restricted",
        "year": 2020,
        "withdrawn": 0,
        "date": datetime(2020, 1, 1, tzinfo=UTC),
        "embargo_until": engine.EPOCH,
        **fields,
    }


def _titles(results: engine.Results) -> set[str]:
    return {hit.title for hit in results.hits}


def test_the_same_search_is_kept_until_the_index_changes(tmp_path):
    index = engine.get_index(tmp_path / "index")
    engine.replace_documents(index, [], [_document(1, "Water security"), _document(2, "Water and energy")])
    first = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert engine.search(parse("water"), OFFICIAL, {}, index=index) is first  # kept
    assert first.facets["type"] == [("report", 2)]
    # Another question is not answered with these results: other words, filters, page, sort.
    assert engine.search(parse("energy"), OFFICIAL, {}, index=index) is not first
    assert engine.search(parse("water"), OFFICIAL, {"year": [2019]}, index=index).total == 0
    assert engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1).hits[0].title in _titles(first)
    # The next page, or the same words by date: the counts are the ones already taken.
    second_page = engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1)
    assert second_page.counting is first.counting and second_page.total == 2
    by_date = engine.search(parse("water"), OFFICIAL, {}, index=index, sort="date")
    assert by_date.counting is first.counting
    engine.replace_documents(index, ["record:2"], [_document(3, "Water in the Mekong")])
    again = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert _titles(again) == {"Water security", "Water in the Mekong"}
    assert again.facets["type"] == [("report", 2)]


def _commit_from_another_process(folder: str) -> None:
    # What another gunicorn worker does: its own Index object, its own writer, its own commit.
    index = tantivy.Index(engine.SCHEMA, path=folder, reuse=True)
    index.register_tokenizer(engine.STORED_ONLY, engine._NOTHING)
    writer = index.writer(heap_size=engine.WRITER_HEAP, num_threads=1)
    writer.delete_documents_by_term("doc_key", "record:1")
    writer.add_document(engine.make_document(_document(4, "Water diplomacy")))
    writer.commit()
    writer.wait_merging_threads()


def test_a_commit_by_another_process_is_seen_at_once(tmp_path):
    folder = tmp_path / "index"
    index = engine.get_index(folder)
    engine.replace_documents(index, [], [_document(1, "Water security")])
    assert _titles(engine.search(parse("water"), OFFICIAL, {}, index=index)) == {"Water security"}
    process = multiprocessing.get_context("spawn").Process(target=_commit_from_another_process, args=(str(folder),))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert _titles(engine.search(parse("water"), OFFICIAL, {}, index=index)) == {"Water diplomacy"}


def test_results_a_cleared_user_was_given_are_never_given_to_an_official(tmp_path):
    index = engine.get_index(tmp_path / "index")
    hidden = _document(1, "Water note for coordinators", confidentiality="coordinators")
    engine.replace_documents(index, [], [hidden, _document(2, "Water security")])
    assert engine.search(parse("water"), CLEARED, {}, index=index).total == 2
    official = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert _titles(official) == {"Water security"}
    assert official.facets["type"] == [("report", 1)]


def test_kept_results_end_when_an_embargo_lifts(tmp_path):
    index = engine.get_index(tmp_path / "index")
    lifts = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    later = datetime(2031, 1, 1, tzinfo=UTC)
    engine.replace_documents(
        index,
        [],
        [
            _document(1, "Water security"),
            _document(2, "Water embargoed until June", embargo_until=lifts),
            _document(3, "Water embargoed until next year", embargo_until=later),
        ],
    )
    before = engine.search(parse("water"), OFFICIAL, {}, index=index, now=lifts - timedelta(seconds=1))
    assert _titles(before) == {"Water security"}
    # A second before the date, the same results; at the date, the record is found.
    assert engine.search(parse("water"), OFFICIAL, {}, index=index, now=lifts - timedelta(microseconds=10)) is before
    at = engine.search(parse("water"), OFFICIAL, {}, index=index, now=lifts)
    assert _titles(at) == {"Water security", "Water embargoed until June"}
    assert at.facets["type"] == [("report", 2)]
    # And the next embargo ends the results kept after the first lifted.
    assert engine.search(parse("water"), OFFICIAL, {}, index=index, now=later - timedelta(seconds=1)) is at
    assert engine.search(parse("water"), OFFICIAL, {}, index=index, now=later).total == 3


def test_failed_facet_counts_are_not_kept(tmp_path, monkeypatch):
    index = engine.get_index(tmp_path / "index")
    engine.replace_documents(index, [], [_document(1, "Water security")])

    def failing(searcher, query):
        raise RuntimeError("counting failed")

    monkeypatch.setattr(engine, "_count_facets", failing)
    failed = engine.search(parse("water"), OFFICIAL, {}, index=index)
    failed.counting.exception()  # the counting has ended (no one has read the counts yet)
    monkeypatch.undo()
    with pytest.raises(RuntimeError):
        _ = failed.facets  # that page fails: no counts made up
    next_page = engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1)
    assert next_page.counting is not failed.counting and next_page.facets["type"] == [("report", 1)]
    counted = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert counted is not failed and counted.facets["type"] == [("report", 1)]


def test_at_most_size_results_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(recent, "SIZE", 3)
    index = engine.get_index(tmp_path / "index")
    engine.replace_documents(index, [], [_document(i, f"Water report {i}") for i in range(1, 6)])
    first = engine.search(parse("water"), OFFICIAL, {}, index=index)
    for offset in range(1, 4):
        engine.search(parse("water"), OFFICIAL, {}, index=index, offset=offset)
    assert engine.search(parse("water"), OFFICIAL, {}, index=index) is not first  # the oldest went first


def test_a_page_that_shared_a_counting_which_then_failed_counts_again(tmp_path, monkeypatch):
    index = engine.get_index(tmp_path / "index")
    engine.replace_documents(index, [], [_document(i, f"Water report {i}") for i in range(1, 4)])
    release = threading.Event()

    def failing_later(searcher, query):
        release.wait(10)
        raise RuntimeError("counting failed")

    monkeypatch.setattr(engine, "_count_facets", failing_later)
    first_page = engine.search(parse("water"), OFFICIAL, {}, index=index)
    second_page = engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1)
    assert second_page.counting is first_page.counting  # shared while it still ran
    release.set()
    first_page.counting.exception(10)
    monkeypatch.undo()
    again = engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1)
    assert again is not second_page and again.facets["type"] == [("report", 3)]


def test_results_kept_at_a_later_clock_are_not_given_at_an_earlier_one(tmp_path):
    index = engine.get_index(tmp_path / "index")
    lifts = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    engine.replace_documents(
        index, [], [_document(1, "Water security"), _document(2, "Water embargoed", embargo_until=lifts)]
    )
    after = engine.search(parse("water"), OFFICIAL, {}, index=index, now=lifts + timedelta(days=1))
    assert after.total == 2
    before = engine.search(parse("water"), OFFICIAL, {}, index=index, now=lifts - timedelta(days=1))
    assert _titles(before) == {"Water security"}


def test_counts_kept_for_one_version_are_not_given_with_hits_of_the_next(tmp_path, monkeypatch):
    folder = tmp_path / "index"
    index = engine.get_index(folder)
    engine.replace_documents(index, [], [_document(i, f"Water report {i}") for i in range(1, 4)])
    assert engine.search(parse("water"), OFFICIAL, {}, index=index).facets["type"] == [("report", 3)]
    real_version_of = recent.version_of
    commits = []

    def version_then_a_commit(path):
        # Another worker commits right after this search read the version, before its snapshot.
        version = real_version_of(path)
        if not commits:
            commits.append(1)
            engine.replace_documents(index, ["record:3"], [])
        return version

    monkeypatch.setattr(recent, "version_of", version_then_a_commit)
    second_page = engine.search(parse("water"), OFFICIAL, {}, index=index, offset=1)
    assert commits and second_page.total == 2
    assert second_page.facets["type"] == [("report", 2)]  # counted in the same snapshot as the hits


def test_a_search_whose_embargo_lookup_fails_still_answers_and_keeps_nothing(tmp_path, monkeypatch):
    index = engine.get_index(tmp_path / "index")
    engine.replace_documents(index, [], [_document(1, "Water security")])

    def failing(searcher, now):
        raise ValueError("aggregation failed")

    monkeypatch.setattr(engine, "_next_lift", failing)
    first = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert _titles(first) == {"Water security"} and first.facets["type"] == [("report", 1)]
    assert engine.search(parse("water"), OFFICIAL, {}, index=index) is not first
