"""Two-word phrases of common words are answered from pair terms: the same records as the positional
phrase query, the same exclusions, highlighted snippets, and a common-word list that a rebuild learns
and that only grows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from secretariat.archive import services
from secretariat.archive.search import engine, pairs
from secretariat.archive.search.query import parse
from secretariat.extensions import db
from tests.archive.helpers import snippet_html
from tests.archive.test_search_and_access import found
from tests.factories import make_user

EVERYONE = engine.Access(cleared=True)
TEXTS = {
    1: ("Chair's statement", "The Asia Europe Meeting welcomed the dialogue."),
    2: ("Note", "Europe and Asia discussed water; Europe, Asia: trade."),
    3: ("Report", "An asia-europe partnership on connectivity."),
    4: ("Minutes", "Asia spoke first. Much later, Europe replied."),
    5: ("Asia Europe foundation", "Culture and education."),
    6: ("Letter", "The European countries of Asia's neighbourhood."),
}
PHRASES = ['"asia europe"', '"europe asia"', '"the asia"', '"europe replied"', '"europe and"', '"and asia"']


def _index(path, common: set[str]):
    index = engine.get_index(path)
    if common:
        pairs.extend(path, common)
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


def _ids(index, query: str) -> set[int]:
    result = engine.search(parse(query), EVERYONE, {}, limit=20, facets=False, index=index)
    return {hit.record_id for hit in result.hits}


def test_pair_terms_find_exactly_what_the_positional_phrase_finds(tmp_path):
    with_pairs = _index(tmp_path / "pairs", {"asia", "europe", "the", "and"})
    positional = _index(tmp_path / "positional", set())
    assert engine.common_words(positional) == frozenset()
    for phrase in PHRASES:
        assert _ids(with_pairs, phrase) == _ids(positional, phrase), phrase
        assert _ids(with_pairs, f"-{phrase}") == _ids(positional, f"-{phrase}"), phrase
    assert _ids(with_pairs, '"asia europe"') == {1, 3, 5}
    assert _ids(with_pairs, '"europe asia"') == {2}
    # the phrase in the title ranks first, as with the positional query
    first = engine.search(parse('"asia europe"'), EVERYONE, {}, limit=3, facets=False, index=with_pairs)
    assert first.hits[0].record_id == 5


def test_pair_hits_are_highlighted_in_the_snippet(tmp_path):
    index = _index(tmp_path / "pairs", {"asia", "europe", "the"})
    result = engine.search(parse('"asia europe"'), EVERYONE, {}, limit=20, facets=False, index=index)
    snippet = next(snippet_html(hit.snippet) for hit in result.hits if hit.record_id == 1)
    assert "<mark>Asia</mark>" in snippet and "<mark>Europe</mark>" in snippet


def test_common_words_come_from_a_large_enough_sample_and_only_grow(tmp_path):
    texts = [f"asia europe meeting number {i}" + (" connectivity" if i % 50 == 0 else "") for i in range(1200)]
    chosen = pairs.choose(texts)
    assert {"asia", "europe", "meeting", "number"} <= chosen
    assert "connectivity" not in chosen  # in 2% of the sample
    assert pairs.choose(texts[: pairs.MIN_SAMPLE - 1]) == frozenset()  # a small archive keeps positional phrases
    pairs.extend(tmp_path, {"asia", "europe"})
    assert pairs.extend(tmp_path, {"water"}) == {"asia", "europe", "water"}
    assert pairs.load(tmp_path) == {"asia", "europe", "water"}


def test_rebuild_learns_the_common_words_and_later_records_carry_their_pairs(app, client, monkeypatch):
    coordinator = make_user("coordinator", partner_code="EU")
    monkeypatch.setattr(pairs, "MIN_SAMPLE", 5)  # five records stand for a large archive here
    for n in range(6):
        services.create_record(
            {
                "title": f"Chair's statement {n}",
                "record_type": "chairs_statement",
                "record_date": datetime(2021, 1, 1).date(),
                "meeting_id": None,
                "language": "en",
                "description_source": f"The Asia Europe dialogue, round {n}.",
                "tags": "",
                "confidentiality": "restricted",
                "embargo_until": None,
                "embargo_meeting_id": None,
                "partners": [],
            },
            [],
            actor=coordinator,
        )
    db.session.commit()
    services.rebuild()
    assert {"asia", "europe", "dialogue"} <= engine.common_words(engine.get_index())
    later = services.create_record(
        {
            "title": "Letter on Asia Europe connectivity",
            "record_type": "letter",
            "record_date": datetime(2022, 1, 1).date(),
            "meeting_id": None,
            "language": "en",
            "description_source": "Written after the rebuild.",
            "tags": "",
            "confidentiality": "restricted",
            "embargo_until": None,
            "embargo_meeting_id": None,
            "partners": [],
        },
        [],
        actor=coordinator,
    )
    db.session.commit()
    services.sync()
    client.login(make_user("official", partner_code="JP").email)
    total, body = found(client, '"asia europe"')
    assert total == 7
    assert later.title in body
    assert re.search(r"<mark>Asia</mark>\s*<mark>Europe</mark>", body)


def test_words_are_the_query_parsers_words_in_every_script():
    texts = [
        "Chair's statement, 2nd ASEM-13 (Phnom Penh)",
        "Kỳ họp thứ 13; Gipfel für Asien_Europa",
        "a\tb\nc",
        # typographic punctuation takes the fast way: the words must not change
        "The Partners\u2019 \u201cconnectivity\u201d agenda\u2014adopted 2018\u20132020",
        "\u2022 item\u2026 end\u00a0note",
        "\u2014leading\u2014 \u00abquoted\u00bb \u300cAsia\u300d\u3001Europe\u3002",
        "\u00bd share \u2014 caf\u00e9\u2014na\u00efve",  # a word character beside a dash: the general way
    ]
    for text in texts:
        assert pairs.words_of(text) == pairs.WORD.findall(text.lower())
    for mark in pairs._PUNCTUATION:  # each replaced character is one that \w never matches
        assert not pairs.WORD.search(mark.decode("utf-8"))
