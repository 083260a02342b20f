"""The index is shared by every process: a commit by another gunicorn worker is seen by the next search."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import tantivy

from secretariat.archive.search import engine
from secretariat.archive.search.query import parse

OFFICIAL = engine.Access(cleared=False)


def _document(i: int, title: str) -> dict:
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
    }


def _titles(results: engine.Results) -> set[str]:
    return {hit.title for hit in results.hits}


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
    found = engine.search(parse("water"), OFFICIAL, {}, index=index)
    assert _titles(found) == {"Water diplomacy"} and found.facets["type"] == [("report", 1)]
