"""Snippets of long file texts: the words found deep inside a long report are shown, highlighted.

The highlighter reads windows of a long text around the query's words (search/engine.py), not
the whole text, which took 80 ms a hit for a 1 MB text; these tests check that what it shows did
not suffer for it.
"""

import re

from tests.archive.helpers import file_record
from tests.factories import make_user, page_text

FILLER = "The senior officials reviewed the work programme and took note of the reports. " * 8000  # 640 KB


def hit_snippets(client, query: str) -> list[str]:
    body = page_text(client.get("/archive/", query_string={"q": query}))
    return re.findall(r'<p class="hit__snippet">(.*?)</p>', body, re.S)


def test_a_word_deep_in_a_long_text_is_highlighted_in_its_context(client, login_as, app):
    coordinator = make_user("coordinator", partner_code="EU")
    text = FILLER + "The partners welcomed the Ulaanbaatar declaration on connectivity. " + FILLER
    file_record(coordinator, "Annual report", files=[("report.txt", text.encode())])
    login_as("official")
    snippets = hit_snippets(client, "ulaanbaatar")
    assert len(snippets) == 1
    assert "<mark>Ulaanbaatar</mark> declaration on connectivity" in snippets[0]


def test_every_word_of_the_query_is_looked_for_and_stems_still_match(client, login_as, app):
    coordinator = make_user("coordinator", partner_code="EU")
    text = FILLER + "Ministers discussed sustainable fisheries. " + FILLER + "They adopted water policies. " + FILLER
    file_record(coordinator, "Long minutes", files=[("minutes.txt", text.encode())])
    login_as("official")
    (snippet,) = hit_snippets(client, "policy")  # found through its stem "polici"
    assert "<mark>policies</mark>" in snippet
    (snippet,) = hit_snippets(client, "fisheries water")
    assert "<mark>fisheries</mark>" in snippet or "<mark>water</mark>" in snippet


def test_a_short_text_is_highlighted_where_the_word_is(client, login_as, app):
    coordinator = make_user("coordinator", partner_code="EU")
    file_record(coordinator, "Note", files=[("note.txt", b"A short note on the Mekong river commission and its work.")])
    login_as("official")
    (snippet,) = hit_snippets(client, "mekong")
    assert "<mark>Mekong</mark> river commission" in snippet


def test_the_place_where_all_the_words_meet_is_shown(client, login_as, app):
    # A 2 KB record: each word alone early on, both together near the end. The highlighter reads
    # windows of it, and must read the one where they meet, as it would over the whole text.
    coordinator = make_user("coordinator", partner_code="EU")
    filler = "The senior officials reviewed the work programme and took note of the reports. "
    text = (
        "Water was mentioned once. "
        + filler * 12
        + "Fisheries were mentioned once. "
        + filler * 12
        + "Partners agreed on a plan for fisheries and water management in the Mekong basin. "
        + filler * 4
    )
    assert len(text) > 2000
    file_record(coordinator, "Working paper", files=[("paper.txt", text.encode())])
    login_as("official")
    (snippet,) = hit_snippets(client, "fisheries water")
    assert "<mark>fisheries</mark> and <mark>water</mark> management" in snippet
