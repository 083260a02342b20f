"""Text to index terms, per language: stems for European languages, words and bigrams for unspaced scripts.

Each text is analysed in its language, as stored at filing (``of_filed_text``: the record's unless
the filer chose it, each file's when its text is read; ``choose`` for files filed before languages
were stored) into two strings of space-separated terms, handed to tantivy's whitespace tokenizer:

- *terms* (the ``*_terms`` fields): a word's stem in the text's language when tantivy has a stemmer
  for it (English, French, German, Spanish, Russian ...), else the word as written (Polish,
  Vietnamese, Indonesian, Malay ...); for Chinese, Japanese and Thai runs, the words their segmenter
  finds (jieba, janome, PyThaiNLP); for Korean, Khmer, Lao and Burmese runs, the run as written;
- *grams* (the ``*_grams`` fields): the character bigrams of every run of those scripts.

A query is never segmented (the segmenters take seconds to load and would sit in every web
process): a run of those scripts is looked up as the phrase of its bigrams, which finds it inside
any longer run ("서울" in "서울에서", a Korean word with its particle), or as a whole word among the
terms, which ranks a hit where the segmenter found that very word. A word of the other scripts is
looked up by its stem in each language the index holds (``stemmed_languages``), either matching.

The segmenters and the detector are imported on first use: a process that indexes only English
never loads them, and no English word goes through them.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

import tantivy

from secretariat.archive.search import pairs, stems

#: ISO 639-1 code -> tantivy's stemmer
STEMMERS = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "da": "danish",
    "sv": "swedish",
    "no": "norwegian",
    "nb": "norwegian",
    "fi": "finnish",
    "hu": "hungarian",
    "ro": "romanian",
    "el": "greek",
    "ru": "russian",
    "tr": "turkish",
}
#: the filer's choices that mean "not given": English is the record form's default
UNSPECIFIED = {"", "en", "other"}
#: below this, the detector's answer is not taken over the record's language
MIN_CONFIDENCE = 0.9
MIN_LETTERS = 12
DETECT_CHARS = 3000
MAX_WORD_CHARS = stems.MAX_WORD_CHARS
#: sentences of Chinese, Japanese or Thai remembered with their words
MAX_SEGMENTED_RUNS = 20_000

#: the scripts written without spaces between words: Han, kana, Hangul, Thai, Lao, Khmer, Myanmar
_BLOCKS = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1100, 0x11FF),
    (0x1780, 0x17FF),
    (0x19E0, 0x19FF),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAA60, 0xAA7F),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
)


def _char_class(codes) -> str:
    return "".join(re.escape(chr(c)) for c in codes)


#: letters, digits and marks of those scripts (not their punctuation: "。" "ฯ" "។" end a run)
_UNSPACED_CHARS = _char_class(
    c for low, high in _BLOCKS for c in range(low, high + 1) if unicodedata.category(chr(c))[0] in "LMN"
)
#: combining marks (Thai vowels, Devanagari signs ...), which \w leaves out: a word keeps them
_MARKS = _char_class(c for c in range(0x0300, 0x10000) if unicodedata.category(chr(c)) in ("Mn", "Mc"))
UNSPACED_RUN = re.compile(f"[{_UNSPACED_CHARS}\U00020000-\U0002ffff]+")
#: a word, as the index and the query language read it: \w and the marks inside a word
WORD = re.compile(f"[\\w{_MARKS}]+")
#: a text that needs more than ``pairs.words_of`` (marks or unspaced scripts)
_SPECIAL = re.compile(f"[{_MARKS}{_UNSPACED_CHARS}\U00020000-\U0002ffff]")

_loaded: dict[str, object] = {}
#: the languages whose script alone names them (Chinese: Han without kana)
_SCRIPTS = {
    code: re.compile(f"[{chars}]")
    for code, chars in {
        "zh": "\u3400-\u4dbf\u4e00-\u9fff",
        "ja": "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff",
        "ko": "\uac00-\ud7af",
        "th": "\u0e00-\u0e7f",
        "lo": "\u0e80-\u0eff",
        "km": "\u1780-\u17ff",
        "my": "\u1000-\u109f",
    }.items()
}


@lru_cache(maxsize=len(STEMMERS))
def _analyzer(language: str) -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer(STEMMERS[language]))
        .build()
    )


@lru_cache(maxsize=stems.MAX_REMEMBERED)
def _term(word: str, language: str) -> str:
    """A word's term(s) in ``language``, space-separated: computed once per distinct word and language."""
    if language == "en":
        return stems._term(word)
    if language in STEMMERS:
        return " ".join(_analyzer(language).analyze(word[:MAX_WORD_CHARS]))
    return word[:MAX_WORD_CHARS]


def word_terms(word: str, language: str) -> list[str]:
    """The term(s) of one lower-cased word of a spaced script in ``language``."""
    return _term(word, language).split()


def term_sequences(words: list[str], analyses: list[str]) -> list[list[str]]:
    """The words' terms in each analysis the index holds (English first), without repeats: any may match."""
    sequences: list[list[str]] = []
    for analysis in analyses:
        terms = [term for word in words for term in word_terms(word, analysis)]
        if terms and terms not in sequences:
            sequences.append(terms)
    return sequences


def stemmed_languages(present) -> list[str]:
    """The analyses a query word is looked up in: English first, then each other one some document holds."""
    return ["en", *sorted(set(present) - {"en"})]


# --- detection -----------------------------------------------------------------------------------


def _identifier():
    identifier = _loaded.get("langid")
    if identifier is None:
        from py3langid import langid

        identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
        _loaded["langid"] = identifier
    return identifier


def detect(text: str) -> str | None:
    """The language ``text`` is clearly written in, or None (too short, unsure, or plain ASCII).

    ASCII text (with typographic punctuation) is taken for the record's language without asking the
    detector: nearly all of the archive is English, and this runs on every record and file indexed.
    """
    sample = text[:DETECT_CHARS]
    if sample.isascii() or _ascii_but_punctuation(sample) or sum(ch.isalpha() for ch in sample[:200]) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    if confidence >= MIN_CONFIDENCE:
        return language
    # The detector hesitates on short Chinese (it weighs Japanese against it): most letters in the
    # language's own script settle it.
    script = _SCRIPTS.get(language)
    head = sample[:400]
    if script and len(script.findall(head)) >= 0.6 * sum(ch.isalpha() for ch in head):
        return language
    return None


def _ascii_but_punctuation(text: str) -> bool:
    """Whether ``text`` is ASCII but for dashes, typographic quotes and the like (as pairs.words_of sees it)."""
    return pairs._PUNCTUATION_PATTERN.sub(b" ", text.encode("utf-8")).isascii()


def choose(given: str | None, text: str) -> str:
    """The language a text is analysed in: the filer's, unless none was given and the text is clearly another.

    For a file whose language was not stored (filed before it was, or the detector was unsure then).
    A filer who chose a language other than English chose it on purpose (English was the form's
    default): that choice stands, as the correction of the detector. Otherwise the detector decides
    where it is sure, and English stays where it is not.
    """
    given = (given or "").strip().lower()
    if given not in UNSPECIFIED:
        return given
    return detect(text) or (given if given not in ("", "other") else "en")


#: the record form's choice that asks for the detector's answer at filing (services.filed_language)
AUTO = "auto"


def of_filed_text(text: str) -> str | None:
    """The language of a text being filed, or None (too short or unsure): stored with the file or record.

    Unlike ``detect``, plain ASCII is put to the detector too: this runs once per file when the
    worker reads its text (never in a web request, where loading the model takes a second), and an
    ASCII text may be Malay or Indonesian as well as English.
    """
    sample = text[:DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    if confidence >= MIN_CONFIDENCE:
        return language
    return detect(sample)  # the script settles short Chinese (see detect); None where it does not


# --- analysis ------------------------------------------------------------------------------------


@lru_cache(maxsize=MAX_SEGMENTED_RUNS)
def _segmented(run: str, language: str) -> tuple[str, ...]:
    """The words a segmenter finds in a run of an unspaced script; the run itself where none applies.

    Cached: a record re-indexed for a change of its tags or level brings the same sentences back,
    and segmenting them again would cost milliseconds each (janome most).
    """
    return tuple(_segment(run, language))


def _segment(run: str, language: str) -> list[str]:
    if language == "ja" or (language != "zh" and re.search("[\u3040-\u30ff]", run)):
        tokenizer = _loaded.get("janome")
        if tokenizer is None:
            from janome.tokenizer import Tokenizer

            tokenizer = _loaded["janome"] = Tokenizer(wakati=True)
        return list(tokenizer.tokenize(run))
    if "\u0e00" <= run[0] <= "\u0e7f":
        if "thai" not in _loaded:
            from pythainlp.tokenize import word_tokenize

            _loaded["thai"] = word_tokenize
        return _loaded["thai"](run, engine="newmm", keep_whitespace=False)
    if "\u3400" <= run[0] <= "\u9fff" or run[0] >= "\U00020000":
        jieba = _loaded.get("jieba")
        if jieba is None:
            import jieba

            jieba.setLogLevel(60)
            _loaded["jieba"] = jieba
        return list(jieba.cut(run))
    return [run]  # Korean, Khmer, Lao, Burmese: bigrams find the words inside


def bigrams(run: str) -> list[str]:
    """The overlapping character pairs of a run (a run of one character is its own term)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def analyse(text: str, language: str) -> tuple[str, str, list[str]]:
    """(terms, grams, words) of ``text`` in ``language`` (see the module's docstring); words as ``pairs.words_of``."""
    if text.isascii() or not _SPECIAL.search(text):  # every English text, and most of the European ones
        words = pairs.words_of(text)
        return (stems.terms(words) if language == "en" else " ".join(_term(w, language) for w in words)), "", words
    terms: list[str] = []
    grams: list[str] = []
    for word in WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        for part in split_word(word):
            if UNSPACED_RUN.fullmatch(part):
                terms.extend(w.strip().lower() for w in _segmented(part, language) if w.strip())
                grams.extend(bigrams(part))
            else:
                terms.append(_term(part, language))
    return " ".join(terms), " ".join(grams), pairs.words_of(text)


def split_word(word: str) -> list[str]:
    """A word cut where an unspaced script starts or ends ("asem会议" -> "asem", "会议")."""
    if not UNSPACED_RUN.search(word):
        return [word]
    parts, last = [], 0
    for run in UNSPACED_RUN.finditer(word):
        if run.start() > last:
            parts.append(word[last : run.start()])
        parts.append(run.group())
        last = run.end()
    if last < len(word):
        parts.append(word[last:])
    return parts


def query_parts(tokens: list[str]) -> tuple[list[str], list[str]]:
    """A query clause's words of spaced scripts, and its runs of unspaced scripts."""
    spaced, runs = [], []
    for token in tokens:
        for part in split_word(token):
            (runs if UNSPACED_RUN.fullmatch(part) else spaced).append(part)
    return spaced, runs


def any_of(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def run_query(schema: tantivy.Schema, run: str, weights: dict[str, float]) -> tantivy.Query:
    """A run of an unspaced script: the phrase of its bigrams in the ``*_grams`` fields, or the whole
    run as a segmenter's word in the ``*_terms`` fields; each field with its weight."""
    queries = []
    for name, weight in weights.items():
        if name.endswith("_terms"):
            query = tantivy.Query.term_query(schema, name, run)
        elif len(run) == 1:  # inside any bigram, first or second
            char = re.escape(run)
            query = tantivy.Query.regex_query(schema, name, f"{char}.?|.{char}")
        elif len(run) == 2:
            query = tantivy.Query.term_query(schema, name, run)
        else:
            query = tantivy.Query.phrase_query(schema, name, bigrams(run))
        queries.append(query if weight == 1.0 else tantivy.Query.boost_query(query, weight))
    return any_of(queries)


def analyses_held(searcher: tantivy.Searcher) -> list[str]:
    """The analyses some document of the index went through (English first, always)."""
    return stemmed_languages(code for code in {*STEMMERS, "none"} if searcher.doc_freq("analysis", code))


def loaded() -> set[str]:
    """Which of the segmenters and the detector this process has loaded (for tests and benchmarks)."""
    return {name for name in _loaded} | ({"jieba"} if "jieba" in sys.modules else set())


def analysis_of(language: str) -> str:
    """The analysis a language's words go through: its stemmer's code, or "none" (words as written)."""
    return language if language in STEMMERS else "none"
