"""Translations: one document in several languages is one record whose files are in different languages.

"Chair's Statement — EN, FR, ZH" is filed once, with a file per language, as a meeting system files
the materials of one contribution. Its page offers a download per language; a search finds it once,
by a word of any of its languages, and shows it in the reader's preferred language (the browser's
Accept-Language, else English) with the others listed.
"""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from secretariat.archive import searching
from secretariat.archive.models import RecordFile, RecordVersion
from secretariat.archive.search import hits
from secretariat.extensions import db
from tests.archive.helpers import file_record, snippet_html
from tests.factories import make_user, page_text

EN = "The leaders adopted the Chair's Statement on sustainable connectivity and maritime cooperation."
FR = "Les dirigeants ont adopté la déclaration de la présidence sur la connectivité durable et la coopération maritime."
ZH = "各国领导人通过了关于可持续互联互通和海洋合作的主席声明。"


@pytest.fixture
def coordinator(app):
    return make_user("coordinator", partner_code="EU")


def _statement(coordinator, title="Chair's Statement of ASEM14", **overrides):
    return file_record(
        coordinator,
        title,
        files=[("statement-en.txt", EN.encode()), ("statement-fr.txt", FR.encode()), ("statement-zh.txt", ZH.encode())],
        **overrides,
    )


def _file_ids(record_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(RecordFile.language, RecordFile.id)
        .join(RecordVersion, RecordVersion.id == RecordFile.version_id)
        .where(RecordVersion.record_id == record_id)
    )
    return dict(rows.all())


def search(query: str, reader, preferred=("en",)):
    return searching.run(MultiDict({"q": query}), reader, preferred)


@pytest.fixture
def statement(coordinator):
    return _statement(coordinator).id


def test_found_once_by_a_word_of_each_of_its_languages(statement):
    reader = make_user("official")
    for word in ("connectivity", "connectivité", "maritime", "coopération", "主席声明", "海洋"):
        result = search(word, reader)
        assert [obj.title for _, obj, *_ in result.hits] == ["Chair's Statement of ASEM14"], word
        assert result.total == 1, word


def test_the_hit_is_shown_in_the_readers_language_with_the_others_listed(statement):
    reader = make_user("official")
    ids = _file_ids(statement)
    for preferred, first in ((("fr", "en"), "fr"), (("zh", "en"), "zh"), (("de", "en"), "en"), (("ko",), "en")):
        hit = search("maritime", reader, preferred).hits[0][0]
        assert hit.language == first
        assert hit.translations[0] == (first, ids[first])
        assert sorted(hit.translations) == sorted(ids.items())
    # the snippet in the reader's language where the words are found in it
    hit = search("coopération", reader, ("fr",)).hits[0][0]
    assert "<mark>coopération</mark> maritime" in snippet_html(hit.snippet)
    assert hit.snippet_language == "fr"  # the page marks the snippet's language for screen readers
    # a word of another language: the snippet shows where it was found
    hit = search("cooperation", reader, ("fr",)).hits[0][0]
    assert "maritime <mark>cooperation</mark>" in snippet_html(hit.snippet)
    assert hit.language == "fr" and hit.snippet_language == ""
    # a word of an unspaced script is marked nowhere: the text in the reader's language
    hit = search("海洋", reader, ("zh",)).hits[0][0]
    assert snippet_html(hit.snippet).startswith("各国领导人") and hit.snippet_language == "zh"


def test_the_search_page_follows_the_browsers_languages(client, login_as, statement):
    login_as("official")
    ids = _file_ids(statement)

    def languages_line(accept: str | None) -> str:
        headers = {"Accept-Language": accept} if accept else {}
        page = page_text(client.get("/archive/", query_string={"q": "connectivité"}, headers=headers))
        assert page.count("Chair&#39;s Statement of ASEM14") == 1
        return re.search(r'<p class="hit__languages">(.*?)</p>', page, re.S).group(1)

    line = languages_line("fr-CH, fr;q=0.9, en;q=0.8")
    french = f"/archive/records/{statement}/versions/1/files/{ids['fr']}"
    assert line.startswith(f'In <a href="{french}" hreflang="fr">French</a>')
    assert '<p class="hit__snippet" lang="fr">' in client.get(
        "/archive/?q=connectivité", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "; also in " in line and 'hreflang="en">English</a>' in line and 'hreflang="zh">Chinese</a>' in line
    assert languages_line(None).startswith("In <a") and 'hreflang="en">English</a>; also in' in languages_line(None)
    assert 'hreflang="zh">Chinese</a>; also in' in languages_line("zh-CN,zh;q=0.9")
    # each link downloads that language's file
    assert client.get(f"/archive/records/{statement}/versions/1/files/{ids['zh']}").data.decode() == ZH


def test_the_record_page_names_its_languages_with_a_download_each(client, login_as, statement):
    login_as("official")
    ids = _file_ids(statement)
    page = page_text(client.get(f"/archive/records/{statement}"))
    assert "Chair&#39;s Statement of ASEM14 — EN, FR, ZH." in page
    for code, name in (("en", "English"), ("fr", "French"), ("zh", "Chinese")):
        link = f'<a href="/archive/records/{statement}/versions/1/files/{ids[code]}" hreflang="{code}">{name}</a>'
        assert link in page


def test_a_record_in_one_language_lists_no_translations(client, login_as, coordinator):
    record = file_record(coordinator, "Report on fisheries", files=[("a.txt", EN.encode()), ("b.txt", EN.encode())])
    login_as("official")
    assert search("maritime", make_user("official")).hits[0][0].translations == []
    page = page_text(client.get("/archive/", query_string={"q": "maritime"}))
    assert "hit__languages" not in page
    assert " — EN" not in page_text(client.get(f"/archive/records/{record.id}"))


def test_the_language_filter_finds_a_record_by_any_of_its_translations(statement):
    reader = make_user("official")
    for code in ("en", "fr", "zh"):
        result = search(f"lang:{code}", reader)
        assert [obj.title for _, obj, *_ in result.hits] == ["Chair's Statement of ASEM14"]
    assert search("lang:ja", reader).hits == []
    facets = dict(search("maritime", reader).facets["language"])
    assert facets == {"en": 1, "fr": 1, "zh": 1}


def test_a_coordinators_only_statement_leaks_no_title_nor_language(client, login_as, coordinator, statement):
    _statement(coordinator, "Secret Chair's Statement draft", confidentiality="coordinators")
    reader = make_user("official")
    for word in ("maritime", "coopération", "海洋", "lang:zh"):
        result = search(word, reader, ("zh", "fr"))
        assert [obj.title for _, obj, *_ in result.hits] == ["Chair's Statement of ASEM14"], word
        assert result.total == 1
        assert all(count == 1 for _, count in result.facets["language"])
    login_as("official")
    for accept in ("fr", "zh", "en"):
        page = page_text(client.get("/archive/", query_string={"q": "海洋"}, headers={"Accept-Language": accept}))
        assert "Secret Chair" not in page and "hit__languages" in page
    # coordinators find both, each once
    cleared = search("海洋", make_user("coordinator"))
    assert sorted(obj.title for _, obj, *_ in cleared.hits) == [
        "Chair's Statement of ASEM14",
        "Secret Chair's Statement draft",
    ]


def test_translations_add_no_query_to_the_search_page(client, login_as, coordinator, statement):
    login_as("official")

    def queries(url: str) -> int:
        count = [0]

        def on_execute(*_args, **_kwargs):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            assert client.get(url, headers={"Accept-Language": "fr"}).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", on_execute)
        return count[0]

    one = queries("/archive/?q=maritime")
    for n in range(4):
        _statement(coordinator, f"Chair's Statement {n}")
    assert queries("/archive/?q=maritime") == one


def test_the_stored_body_marks_and_reading_them():
    body = "Description\n" + hits.part_mark("en", 3) + "One\n" + hits.part_mark("fr", 4) + "Un"
    assert hits.in_language(body, ("fr",)) == ("Description\nOne\nUn", "Un", [("fr", 4), ("en", 3)])
    assert hits.in_language(body, ("de",)) == ("Description\nOne\nUn", "One\n", [("en", 3), ("fr", 4)])
    # one language only, or a document indexed before the marks: as it was
    assert hits.in_language(hits.part_mark("en", 3) + "One", ("en",)) == ("One", "", [])
    assert hits.in_language("Plain", ("en",)) == ("Plain", "", [])


def test_a_files_text_cannot_pass_for_a_mark(coordinator):
    """A file whose text holds a mark's separators lists no translation that is not one of its files."""
    forged = "Maritime note " + hits.part_mark("fr", 999_999) + " coopération"
    record = file_record(coordinator, "Forged", files=[("a.txt", forged.encode()), ("b.txt", EN.encode())])
    hit = search("maritime", make_user("official")).hits[0][0]
    assert hit.record_id == record.id and all(n != 999_999 for _, n in hit.translations)


def test_reader_languages_from_accept_language(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN,zh;q=0.9,fr;q=0.8,*;q=0.1"}):
        from flask import request

        assert searching.reader_languages(request.accept_languages) == ("zh", "fr", "en")
    with app.test_request_context():
        from flask import request

        assert searching.reader_languages(request.accept_languages) == ("en",)
