"""Search in the partners' languages: each text is analysed in its own language, at indexing and at query time.

The corpus (data/languages.json) was written for the project: one short record per language, and
words of that language that must find it. Every query is asked through the search a signed-in
reader uses, without a language, so it is looked up in every analysis the index holds: each must
find its own record and no record of another language.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from secretariat.archive import searching
from secretariat.archive.models import Record
from secretariat.archive.search import languages
from secretariat.extensions import db
from tests.archive.helpers import file_record
from tests.factories import make_user

CORPUS = json.loads((Path(__file__).parent / "data" / "languages.json").read_text(encoding="utf-8"))["records"]
PARTNER_LANGUAGES = {"zh", "ja", "ko", "th", "vi", "km", "ru", "fr", "de", "es", "pl"}


def found(query: str, reader) -> list[str]:
    """The titles a reader sees for ``query``, in order."""
    result = searching.run(MultiDict({"q": query}), reader)
    return [obj.title for _, obj, *_ in result.hits]


@pytest.fixture
def corpus(app):
    """Every sentence of the corpus filed as a record (the filer's language only where the entry names one)."""
    coordinator = make_user("coordinator")
    for entry in CORPUS:
        file_record(
            coordinator,
            title=entry["title"],
            description_source=entry["text"],
            language=entry.get("filed_as", "auto"),
            record_type="report",
        )
    return make_user("official")


def test_the_corpus_covers_the_partners_languages():
    covered = {entry["lang"] for entry in CORPUS}
    assert len(covered) >= 14
    assert covered >= PARTNER_LANGUAGES
    assert all(entry["queries"] for entry in CORPUS)


def test_each_record_is_found_by_words_of_its_language_and_only_it(corpus):
    misses = []
    for entry in CORPUS:
        for query in entry["queries"]:
            titles = found(query, corpus)
            if titles != [entry["title"]]:
                misses.append((entry["lang"], query, titles))
    assert not misses


def test_the_detected_language_is_indexed_and_filters(corpus):
    """Filed with the form's default (Detect automatically), a text clearly in another language is stored
    and indexed as that one."""
    for code, title in (("fr", "Note de séance"), ("ru", "Протокол заседания"), ("ko", "회의록"), ("zh", "会议纪要")):
        result = searching.run(MultiDict({"q": f"lang:{code}"}), corpus)
        assert [obj.title for _, obj, *_ in result.hits] == [title]
        assert (code, 1) in result.facets["language"]
    # detected at filing and kept on the record: what its page says, and what the filer may correct
    record = db.session.scalar(sa.select(Record).where(Record.title == "Note de séance"))
    assert record.language == "fr"


def test_the_filers_language_corrects_the_detector(app):
    """A language other than the default, chosen by the filer, stands: the detector does not overrule it."""
    coordinator = make_user("coordinator")
    text = "Les délégations ont adopté une déclaration commune sur la sécurité alimentaire et la pêche durable."
    file_record(coordinator, title="Déclaration", description_source=text, language="it", record_type="report")
    reader = make_user("official")
    assert found("lang:it", reader) == ["Déclaration"]
    assert found("lang:fr", reader) == []
    assert found("déclaration lang:it", reader) == ["Déclaration"]


def test_a_korean_word_is_found_with_its_particle_and_inside_a_longer_run(corpus):
    assert found("서울", corpus) == ["회의록"]  # the text says "서울에서", Seoul with "in"
    assert found("열린", corpus) == ["회의록"]
    assert found("서울 -대표단", corpus) == []


def test_a_chinese_phrase_of_bigrams_does_not_match_its_characters_apart(corpus):
    """Characters found apart in a text are not the word: the bigrams must follow each other."""
    assert found("北京", corpus) == ["会议纪要"]
    assert found("京北", corpus) == []
    assert found("声明", corpus) == ["会议纪要"]


def test_detection_and_analysis_in_isolation():
    assert languages.choose("en", "Die Verhandlungen über die Zusammenarbeit wurden fortgesetzt.") == "de"
    assert languages.choose("en", "The ministers met in Brussels.") == "en"  # ASCII: not asked
    assert languages.choose("de", "Les délégations ont adopté une déclaration commune.") == "de"
    terms, grams, _ = languages.analyse("서울에서 회의", "ko")
    assert terms.split() == ["서울에서", "회의"] and "서울" in grams.split()
    terms, grams, _ = languages.analyse("Connectivity across Asia", "en")
    assert (terms, grams) == ("connect across asia", "")


def test_english_text_loads_neither_the_detector_nor_a_segmenter():
    """Indexing English (a fresh process, as a worker starts) never imports jieba, janome, PyThaiNLP or py3langid."""
    script = (
        "import sys\n"
        "from secretariat.archive.search import engine, languages\n"
        "text = 'The ministers agreed on a roadmap \\u2014 \\u201crailway\\u201d connectivity.'\n"
        "engine.make_document({'doc_key': 'record:1', 'record_id': 1, 'title': 'Roadmap', 'body': text,"
        " 'type': 'report', 'language': languages.choose('en', text), 'confidentiality': 'public',"
        " 'withdrawn': 0, 'embargo_until': engine.EPOCH})\n"
        "print(sorted(languages.loaded() | {m for m in ('janome', 'pythainlp', 'py3langid') if m in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_each_file_of_a_record_is_analysed_in_its_own_language(app):
    """A statement filed in English with its French and Chinese translations: each file in its language."""
    coordinator = make_user("coordinator")
    file_record(
        coordinator,
        title="Chair's Statement",
        description_source="The statement was adopted by the delegations.",
        files=[
            ("statement-fr.txt", "La déclaration a été adoptée par les délégations des partenaires.".encode()),
            ("statement-zh.txt", "各国代表团在北京通过了主席声明，并讨论了可持续发展。".encode()),
        ],
    )
    reader = make_user("official")
    # French stemming: "adopté" finds "adoptée" (English stemming keeps both whole)
    assert found("adopté", reader) == ["Chair's Statement"]
    assert found("代表团", reader) == ["Chair's Statement"]
    assert found("adopted", reader) == ["Chair's Statement"]
    # the record's own language stays the filer's: its description is English
    assert found("lang:en", reader) == ["Chair's Statement"]


def test_the_search_page_finds_words_of_each_script_for_a_signed_in_reader(client, login_as, corpus):
    login_as("official")
    for query, title, absent in (
        ("서울", "회의록", "会议纪要"),
        ("可持续发展", "会议纪要", "議事録"),
        ("ท่องเที่ยว", "บันทึกการประชุม", "회의록"),
    ):
        response = client.get("/archive/", query_string={"q": query})
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert title in body and absent not in body
    body = client.get("/archive/", query_string={"q": "lang:th"}).get_data(as_text=True)
    assert "บันทึกการประชุม" in body and "회의록" not in body
    assert 'Thai <span class="muted">(1)</span>' in body  # the language facet, named
