"""The index holds English stems computed in Python (search/stems.py) and the snippets are marked in
Python too: a word finds its inflections, in the title as in the text, phrases keep their order,
and what is marked is what matched, however the text writes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from secretariat.archive.search import engine, snippets, stems
from secretariat.archive.search.query import parse
from tests.archive.helpers import snippet_html

EVERYONE = engine.Access(cleared=True)
TEXTS = {
    1: ("Connectivity report", "Partners connected their ports. Policies on water were adopted."),
    2: ("Note", "A note on the McDonald & Partners study of SOLAR power, and on solar-powered ferries."),
    3: ("Minutes", "Water policy: the ministers agreed. Later, policy on water was discussed again."),
    4: ("Letter", "The river_basin authority wrote to the chair."),
    5: ("Statement", "Economies and economic cooperation."),
}


def _index(path):
    index = engine.get_index(path)
    documents = [
        {
            "doc_key": f"record:{i}",
            "record_id": i,
            "title": title,
            "body": body,
            "type": "report",
            "confidentiality": "restricted",
            "year": 2020,
            "withdrawn": 0,
            "date": datetime(2020, 1, 1, tzinfo=UTC),
            "embargo_until": engine.EPOCH,
        }
        for i, (title, body) in TEXTS.items()
    ]
    engine.replace_documents(index, [], documents)
    return index


def _search(index, query: str):
    return engine.search(parse(query), EVERYONE, {}, limit=20, facets=False, index=index)


def _snippets(index, query: str) -> dict[int, str]:
    return {hit.record_id: snippet_html(hit.snippet) for hit in _search(index, query).hits}


def test_a_word_finds_its_inflections_through_the_same_stems(tmp_path):
    index = _index(tmp_path)
    assert stems.stems_of("connectivity") == stems.stems_of("connected") == ["connect"]
    assert {hit.record_id for hit in _search(index, "connectivity").hits} == {1}
    assert {hit.record_id for hit in _search(index, "policy").hits} == {1, 3}
    assert {hit.record_id for hit in _search(index, "POLICIES").hits} == {1, 3}
    # the title counts double: the record with the word in its title ranks first
    assert _search(index, "connect").hits[0].record_id == 1


def test_phrases_keep_their_order_and_underscores_split_as_the_index_splits_them(tmp_path):
    index = _index(tmp_path)
    assert {hit.record_id for hit in _search(index, '"water policy"').hits} == {3}
    assert {hit.record_id for hit in _search(index, '"policy water"').hits} == set()
    assert {hit.record_id for hit in _search(index, "river_basin").hits} == {4}
    assert {hit.record_id for hit in _search(index, '"river basin"').hits} == {4}


def test_what_matched_is_marked_whatever_its_case_or_form(tmp_path):
    index = _index(tmp_path)
    snippets = _snippets(index, "policy water")
    assert "<mark>Policies</mark> on <mark>water</mark>" in snippets[1]
    assert "<mark>Water</mark> <mark>policy</mark>" in snippets[3]
    assert "<mark>McDonald</mark>" in _snippets(index, "mcdonald")[2]
    # a prefix marks the words it began; a word merely beginning like a stem is not marked
    assert "<mark>SOLAR</mark>" in _snippets(index, "sol*")[2]
    snippet = _snippets(index, "economic")[5]
    assert "<mark>economic</mark>" in snippet
    assert re.findall(r"<mark>(.*?)</mark>", snippet) == ["economic"]  # "Economies" stems to "economi"


def test_a_snippet_is_escaped_text_with_only_our_marks(tmp_path):
    index = _index(tmp_path)
    snippet = _snippets(index, "partners")[2]
    assert "McDonald &amp; <mark>Partners</mark>" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_the_snippet_shows_where_the_words_of_the_query_meet_in_a_long_text(tmp_path):
    filler = "The senior officials reviewed the work programme and took note of the reports. " * 40
    body = "Water first. " + filler + "Solar power alone. " + filler + "Solar water pumps were funded. " + filler
    terms = stems.stems_of("solar") + stems.stems_of("water")
    snippet = snippet_html(snippets.snippet(body, terms, []))
    assert "<mark>Solar</mark> <mark>water</mark> pumps" in snippet
    assert len(re.sub(r"</?mark>", "", snippet)) <= snippets.SNIPPET_CHARS
    # no word of the query in the text: its beginning, unmarked
    assert snippet_html(snippets.snippet(body, stems.stems_of("mekong"), [])) == body[:240]
