"""Which text of a case is searched, by whom: the title, the public sections, the rest.

The public case page (templates/public/case_body.html) shows every section but the
background (背景); the public search must not find a case by a word only there, nor show it
in a snippet. The office searches all three parts.
"""

import enum
import hashlib
from functools import cache
from typing import NamedTuple

from case_text.core import segmentation
from reform_cases.models import CASE_SECTIONS

PRIVATE_SECTIONS = ("background",)
PUBLIC_SECTIONS = tuple(s for s in CASE_SECTIONS if s not in PRIVATE_SECTIONS)
TEXT_FIELDS = ("title", *PUBLIC_SECTIONS, *PRIVATE_SECTIONS)
# Changing how words are made (terms.py) changes this, and every entry is segmented again.
INDEX_SCHEME = "1"


class Scope(enum.Enum):
    PUBLIC = "public"  # title and public sections
    ALL = "all"  # the office: the background too


class SearchText(NamedTuple):
    title: str
    public: str
    private: str

    def body(self, scope: Scope) -> str:
        return self.public if scope == Scope.PUBLIC else f"{self.public}\n{self.private}"


def search_text(case) -> SearchText:
    def joined(names):
        return "\n".join(v for v in (getattr(case, n) or "" for n in names) if v)

    return SearchText(case.title or "", joined(PUBLIC_SECTIONS), joined(PRIVATE_SECTIONS))


@cache
def _dictionary_fingerprint() -> str:
    digest = hashlib.sha256(INDEX_SCHEME.encode())
    for path in (segmentation.USER_DICTIONARY, segmentation.STOP_WORDS_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_hash(text: SearchText) -> str:
    """SHA-256 of the text and of the dictionaries: equal hashes give equal words."""
    payload = "\x1f".join((_dictionary_fingerprint(), *text))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
