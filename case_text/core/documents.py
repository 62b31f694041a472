"""The text of a case as the text core sees it: title, summary and the other sections.

Works on a `Case` or on a row of `CASE_TEXT_FIELDS` values (`case_text_from_row`), so that a
refit reads thousands of cases with `values_list` instead of model instances.
"""

import hashlib
from typing import NamedTuple

from reform_cases.models import CASE_SECTIONS

# The sections after the summary, in the order the locality writes them.
BODY_SECTIONS = tuple(section for section in CASE_SECTIONS if section != "summary")
# What a refit reads of each case, in this order.
CASE_TEXT_FIELDS = ("title", "summary", *BODY_SECTIONS)

# How many times a word counts in each part when a vector is made (core/vectors.py): a word of
# the title says more about what the case is than the same word in its background. The title
# is short and chosen with care (×3); the summary is the locality's own one-paragraph statement
# of the case (×2); the sections are long and share much boilerplate (×1). Changing a weight
# changes every vector: the content hash below includes them, so each case is recomputed.
TITLE_WEIGHT = 3
SUMMARY_WEIGHT = 2
BODY_WEIGHT = 1


class CaseText(NamedTuple):
    title: str
    summary: str
    body: str  # the other sections, one paragraph each

    def full_text(self) -> str:
        """Title, summary and sections as one text, one part per paragraph."""
        return "\n".join(part for part in self if part)

    def content_hash(self) -> str:
        """SHA-256 of the parts and their weights: equal hashes give equal vectors."""
        weights = f"{TITLE_WEIGHT}:{SUMMARY_WEIGHT}:{BODY_WEIGHT}"
        payload = "\x1f".join((weights, *self))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def case_text_from_row(row) -> CaseText:
    """A CaseText from values in the order of CASE_TEXT_FIELDS."""
    title, summary, *sections = (value or "" for value in row)
    return CaseText(title, summary, "\n".join(s for s in sections if s))


def case_text(case) -> CaseText:
    return case_text_from_row([getattr(case, name) for name in CASE_TEXT_FIELDS])


def case_document(case) -> str:
    """The whole text of a case (title, summary, sections), for readers that do not weight
    the parts (resubmission shingles, full-text search)."""
    return case_text(case).full_text()
