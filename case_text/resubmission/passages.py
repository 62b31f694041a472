"""The passages two cases share: sentences of one that nearly equal a sentence of the other.

Pure: sections in, spans out. Sentences are compared normalised (text.normalise: no
punctuation, digits folded), so a sentence copied with its figures updated still matches.
"Nearly equal" is difflib's ratio 2·M/T ≥ `PASSAGE_RATIO` (M matched characters, T the two
lengths together): 0.8 keeps a sentence with a word or two changed and drops two sentences that
only share the topic's stock phrases.
"""

from collections import Counter, defaultdict
from difflib import SequenceMatcher

from case_text.resubmission.text import Sentence, sentences

PASSAGE_RATIO = 0.8
# Shorter sentences ("成效明显。") are everyone's: never a passage.
MIN_SENTENCE_CHARS = 8
# Only the sentences of the other case that share most shingles with a sentence are compared
# with it by difflib (each comparison is quadratic in the sentences' length).
_CANDIDATES_PER_SENTENCE = 3
_K = 3


def _grams(text: str) -> set[str]:
    return {text[i : i + _K] for i in range(len(text) - _K + 1)}


def shared_passages(sections: dict[str, str], other_sections: dict[str, str]) -> list[dict]:
    """Each sentence of `sections` that nearly equals one of `other_sections`.

    A list, in the order of the first text, of {"case": [section, start, end],
    "earlier": [section, start, end], "ratio": r} — spans are offsets into the section texts as
    given. A sentence of the other text may be matched by several sentences of the first.
    """
    other = [s for s in sentences(other_sections) if len(s.normalised) >= MIN_SENTENCE_CHARS]
    index = defaultdict(list)
    for j, sentence in enumerate(other):
        for gram in _grams(sentence.normalised):
            index[gram].append(j)
    found = []
    for sentence in sentences(sections):
        if len(sentence.normalised) < MIN_SENTENCE_CHARS:
            continue
        best = _best_match(sentence, other, index)
        if best is not None:
            match, ratio = best
            found.append(
                {
                    "case": [sentence.section, sentence.start, sentence.end],
                    "earlier": [match.section, match.start, match.end],
                    "ratio": round(ratio, 3),
                }
            )
    return found


def _best_match(sentence: Sentence, other: list[Sentence], index) -> tuple[Sentence, float] | None:
    counts = Counter(j for gram in _grams(sentence.normalised) for j in set(index.get(gram, ())))
    best, best_ratio = None, PASSAGE_RATIO
    for j, _shared in counts.most_common(_CANDIDATES_PER_SENTENCE):
        candidate = other[j]
        matcher = SequenceMatcher(None, sentence.normalised, candidate.normalised, autojunk=False)
        # quick_ratio is an upper bound of ratio: skip the exact computation when it cannot win.
        if matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio >= best_ratio:
            best, best_ratio = candidate, ratio
    return (best, best_ratio) if best is not None else None


def covered_share(passages: list[dict], sections: dict[str, str], side: str = "case") -> float:
    """The share of the characters of `sections` inside matched sentences of `side`."""
    total = sum(len(text) for text in sections.values())
    if not total:
        return 0.0
    spans = {tuple(p[side]) for p in passages}
    return min(1.0, sum(end - start for _section, start, end in spans) / total)
