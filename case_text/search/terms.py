"""Words for the index and for a query, and the highlighted snippet of a result (pure).

Both sides go through `core.segmentation.tokenize`, so a query word and an indexed word are
the same string. The index also holds the dictionary words inside a long token (as jieba's
search mode does): 数字化改革 is one token, and is indexed as 数字化改革, 数字, 数字化, 改革 —
so a search for 改革 finds it. A query is not expanded: its words must each occur.

Each word is split at anything that is not a letter or digit (互联网+政务服务 → 互联网,
政务服务), so that the database's own word splitter (PostgreSQL's parser, FTS5's unicode61)
never cuts an indexed word differently from the same word in a query.
"""

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from case_text.core import segmentation

# Longer queries are cut to their first words: each word is one more condition to match.
MAX_QUERY_TERMS = 8
# The snippet: this many characters of the text, starting a little before the first match.
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40
# The lengths of the dictionary words looked for inside a longer token (jieba's search mode
# looks for 2 and 3; 4 finds 共同富裕 in the user dictionary's 共同富裕示范区).
SUB_WORD_LENGTHS = (2, 3, 4)

_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACES = re.compile(r"\s+")


def _pieces(token: str) -> list[str]:
    return [piece for piece in _NOT_WORD.split(token) if piece]


def _is_dictionary_word(word: str) -> bool:
    # jieba's FREQ also holds every prefix of a word with frequency 0: those are not words.
    return segmentation._get_tokenizer().FREQ.get(word, 0) > 0


def _sub_words(token: str) -> list[str]:
    """Dictionary words of two or three characters inside a CJK token of three or more."""
    if len(token) < 3 or not _CJK.search(token):
        return []
    found = []
    for n in SUB_WORD_LENGTHS:
        for start in range(len(token) - n + 1):
            word = token[start : start + n]
            if word != token and _is_dictionary_word(word) and segmentation.keep(word):
                found.append(word)
    return found


def index_terms(text: str) -> str:
    """The words of `text` for the index, space-joined, in order (repeats kept: they rank)."""
    terms = []
    for token in segmentation.tokenize(text):
        terms.extend(_pieces(token))
        terms.extend(_sub_words(token))
    return " ".join(terms)


def query_terms(query: str) -> list[str]:
    """The distinct words of a query, at most MAX_QUERY_TERMS; [] when none is searchable
    (only punctuation, single characters, numbers or stop words)."""
    seen: dict[str, None] = {}
    for token in segmentation.tokenize(query):
        for piece in _pieces(token):
            seen.setdefault(piece, None)
    return list(seen)[:MAX_QUERY_TERMS]


def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    words = sorted({t for t in terms if t}, key=len, reverse=True)  # longest first
    if not words:
        return None
    # Adjacent terms are one mark: 垃圾分类, not 垃圾 and 分类.
    return re.compile("(?:" + "|".join(re.escape(w) for w in words) + ")+", re.IGNORECASE)


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """`text` escaped, each occurrence of a term wrapped in <mark>."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # every piece of text above is escaped


def snippet(text: str, terms: Iterable[str]) -> SafeString:
    """SNIPPET_CHARS characters of `text` around its first match (its beginning when no term
    occurs), on one line, highlighted; … where it is cut."""
    terms = list(terms)
    text = _SPACES.sub(" ", text or "").strip()
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - SNIPPET_LEAD) if match else 0
    end = start + SNIPPET_CHARS
    piece = highlight(text[start:end], terms)
    before = "…" if start > 0 else ""
    after = "…" if end < len(text) else ""
    return mark_safe(f"{before}{piece}{after}")  # piece is escaped; the ellipses are plain
