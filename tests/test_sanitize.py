"""The one sanitizer: user rich text comes out as harmless HTML."""

from html.parser import HTMLParser

import pytest

from secretariat.sanitize import ALLOWED_TAGS, clean_html, plain_text, rich_text


class DangerFinder(HTMLParser):
    """Parses HTML as a browser would and lists anything that could run script."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "src", "srcdoc", "formaction"}:
                self.found.append(f"{tag}@{name}")
            if name == "href" and value and not value.lower().startswith(("http://", "https://", "mailto:")):
                self.found.append(f"href={value}")


def dangers(html: str) -> list[str]:
    finder = DangerFinder()
    finder.feed(str(html))
    return finder.found


PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<iframe src=//evil></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<object data=x></object>",
    '"><script>alert(1)</script>',
    "[click](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rich_text_neutralizes_payloads(payload):
    assert dangers(rich_text(payload)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_html_neutralizes_payloads(payload):
    assert dangers(clean_html(payload)) == []


def test_the_danger_finder_itself_finds_danger():
    assert dangers('<img src=x onerror="alert(1)"><a href="javascript:x">') != []


def test_markdown_formatting_survives():
    html = str(rich_text("**Decision**: the SOM *agreed*.\n\n1. first\n2. second\n\n[ASEF](https://asef.org)"))
    assert "<strong>Decision</strong>" in html and "<em>agreed</em>" in html
    assert "<ol>" in html and "<li>first</li>" in html
    assert '<a href="https://asef.org" rel="noopener noreferrer nofollow">ASEF</a>' in html


def test_typed_html_is_shown_as_text():
    assert "&lt;b&gt;bold&lt;/b&gt;" in str(rich_text("<b>bold</b>"))


def test_template_syntax_is_inert():
    assert "{{7*7}}" in str(rich_text("{{7*7}}"))


def test_plain_text_strips_tags():
    assert plain_text("<p>Chair's <b>statement</b></p>") == "Chair's statement"


def test_plain_text_is_text_with_entities_decoded_and_blocks_apart():
    html = rich_text("Trade & *investment* < 5%\n\n- one\n- two")
    text = plain_text(html)
    assert "Trade & investment < 5%" in text
    assert "<" not in text.replace("< 5%", "") and "&amp;" not in text
    assert text.split() == ["Trade", "&", "investment", "<", "5%", "one", "two"]
