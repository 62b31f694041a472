"""Reads of the resemblance panel (formal check) and of the side-by-side page."""

from datetime import datetime

from django.db.models import Q

from case_text.models import CaseSignature, ResemblancePair
from case_text.resubmission import signatures
from case_text.resubmission.text import content_hash, sections_of
from reform_cases.models import CASE_SECTIONS, Case

_CASE_RELATED = ("campaign", "organisation", "tier")


def resemblances_of(case: Case) -> list[dict]:
    """The pairs of `case` (on either side), most similar first: rows of pair, the other case
    and whether it came before. One query."""
    pairs = (
        ResemblancePair.objects.filter(Q(case=case) | Q(earlier_case=case))
        .select_related(
            *(f"case__{r}" for r in _CASE_RELATED), *(f"earlier_case__{r}" for r in _CASE_RELATED)
        )
        .order_by("-similarity", "pk")
    )
    rows = []
    for pair in pairs:
        earlier = pair.case_id == case.pk
        rows.append(
            {"pair": pair, "other": pair.earlier_case if earlier else pair.case, "earlier": earlier}
        )
    return rows


def detected_at(case: Case) -> datetime | None:
    """When the case's current text was compared with the others (None: not yet)."""
    return CaseSignature.objects.filter(case=case).values_list("detected_at", flat=True).first()


def pair_with_cases(pk: int) -> ResemblancePair:
    return ResemblancePair.objects.select_related(
        "decided_by",
        *(f"case__{r}" for r in _CASE_RELATED),
        *(f"earlier_case__{r}" for r in _CASE_RELATED),
    ).get(pk=pk)


def _segments(text: str, spans: list[tuple[int, int, int]]) -> list[tuple[str, int | None]]:
    """`text` cut into (piece, passage number or None) at the spans (start, end, number)."""
    pieces, at = [], 0
    for start, end, number in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], number))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def side_by_side(pair: ResemblancePair) -> dict:
    """Both texts by section, cut into pieces with the shared passages numbered.

    The spans were stored for the texts as they were when the pair was found: when a text has
    changed since (`current` False), no passage is marked rather than the wrong words.
    """
    later, earlier = sections_of(pair.case), sections_of(pair.earlier_case)
    current = (
        content_hash(later, signatures.METHOD) == pair.case_hash
        and content_hash(earlier, signatures.METHOD) == pair.earlier_hash
    )
    spans = {"case": {n: [] for n in CASE_SECTIONS}, "earlier": {n: [] for n in CASE_SECTIONS}}
    if current:
        numbered = {}
        for number, passage in enumerate(pair.passages, start=1):
            section, start, end = passage["case"]
            spans["case"][section].append((start, end, number))
            key = tuple(passage["earlier"])
            if key not in numbered:  # an earlier sentence matched twice keeps its first number
                numbered[key] = number
                spans["earlier"][key[0]].append((key[1], key[2], number))
    rows = []
    for name in CASE_SECTIONS:
        if not (later[name] or earlier[name]):
            continue
        rows.append(
            {
                "label": Case._meta.get_field(name).verbose_name,
                "case": _segments(later[name], spans["case"][name]),
                "earlier": _segments(earlier[name], spans["earlier"][name]),
            }
        )
    return {"rows": rows, "current": current, "passages": len(pair.passages) if current else 0}
