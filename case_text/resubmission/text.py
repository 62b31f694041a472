"""The text a resubmission is recognised by: sections without the title, normalised, shingled.

Pure functions of strings.
"""

import hashlib
import re
import unicodedata
from typing import NamedTuple

from reform_cases.models import CASE_SECTIONS

# Shingles of this many characters of the normalised text. Two-character shingles are mostly
# common words (改革, 数据) that every case on a topic shares; five or more break at every
# edited word. bench/resubmission.py measured 2 to 5 on the planted set (BENCHMARKS.md).
SHINGLE_SIZE = 4

# A text with fewer shingles than this says too little to be called a copy of another.
MIN_SHINGLES = 30

_DIGITS = re.compile(r"\d+")
# After NFKC: what is neither a letter nor a digit of any script (punctuation, spaces, symbols).
_NOT_WORD = re.compile(r"[\W_]+")
# Sentence ends: full stops, exclamation and question marks, semicolons (full and half width),
# and line ends. The mark stays with its sentence.
_SENTENCE_END = re.compile(r"[。!?;!?;\n]+")


class Sentence(NamedTuple):
    section: str  # a name of CASE_SECTIONS
    start: int  # offsets in that section's text as stored
    end: int
    normalised: str


def normalise(text: str) -> str:
    """Width-folded, lower case, digits runs folded to "0", nothing but letters and digits.

    "2023年办件量增长35%,“一件事”" → "0年办件量增长0一件事"
    """
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _DIGITS.sub("0", text)
    return _NOT_WORD.sub("", text)


def sections_of(case) -> dict[str, str]:
    """The compared sections of a case (or of any object with those attributes), title
    excluded: a repeated submission changes its title first."""
    return {name: (getattr(case, name, "") or "").replace("\r\n", "\n") for name in CASE_SECTIONS}


def content_hash(sections: dict[str, str], method: str) -> str:
    """SHA-256 of the sections and of the method's parameters (signatures.METHOD): equal
    hashes give equal signatures, and a change of method recomputes every signature."""
    payload = "\x1f".join([method, *(sections[n] for n in CASE_SECTIONS)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def shingles(sections: dict[str, str], k: int = SHINGLE_SIZE) -> set[str]:
    """The set of k-character shingles of the normalised sections, read as one text."""
    text = normalise("".join(sections[n] for n in CASE_SECTIONS))
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b|; 0 for two empty sets."""
    if not a and not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def sentences(sections: dict[str, str]) -> list[Sentence]:
    """Every sentence of the sections with its span in its section's text."""
    found = []
    for name in CASE_SECTIONS:
        text = sections[name]
        start = 0
        for match in _SENTENCE_END.finditer(text):
            found.extend(_sentence(name, text, start, match.end()))
            start = match.end()
        found.extend(_sentence(name, text, start, len(text)))
    return found


def _sentence(name, text, start, end):
    # Leading and trailing spaces are no part of the highlighted span.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield Sentence(name, start, end, normalise(text[start:end]))
