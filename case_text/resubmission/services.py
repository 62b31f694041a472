"""Finding the cases a case resembles (重复申报), and the office's verdict on a pair.

`detect_resubmission` runs after each submission (receivers.py → tasks.py, on commit). In one
transaction, under the lock of the case's row (two runs for one case wait for each other):

1. the case's signature and band keys are (re)computed if its text or the method changed;
2. the candidates — every other case sharing a band key, of any year and organisation (demo
   cases only with demo cases) — are read with their signatures in one query; their estimated
   similarity is the share of equal minima;
3. those within `ESTIMATE_MARGIN` of the threshold are read with their texts (one query) and
   their exact similarity computed: the Jaccard similarity of the two shingle sets. Jaccard
   rather than containment: it is what the signatures estimate, so the LSH's recall holds for
   the final decision, and it does not flag a short case that a long one quotes;
4. a pair at or above `THRESHOLD` is written with its shared passages; pairs of this case that
   are no longer found are deleted. A pair found again keeps the office's verdict.

Running it twice changes nothing: an unchanged text that has been compared is not compared again
(unless `force`). A returned case submitted again after revision is the same row: it is never
its own candidate, and its earlier text is replaced, not compared.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from case_text.models import CaseSignature, ResemblancePair, ResemblanceVerdict, SignatureBand
from case_text.resubmission import signatures
from case_text.resubmission.passages import shared_passages
from case_text.resubmission.text import (
    MIN_SHINGLES,
    content_hash,
    jaccard,
    sections_of,
    shingles,
)
from reform_cases.models import CASE_SECTIONS, Case, CaseStatus

# The exact Jaccard similarity of 4-character shingle sets at or above which two cases are
# shown to the office. Chosen on the planted set (bench/resubmission.py, BENCHMARKS.md).
THRESHOLD = 0.5
# Candidates whose estimated similarity is at least THRESHOLD − ESTIMATE_MARGIN get the exact
# check: the estimate's standard error is about 0.044 at 0.5, so this is over three of them.
ESTIMATE_MARGIN = 0.15

# Drafts are the locality's own business: never indexed, never a candidate. Demo campaigns'
# cases (synthetic text) are compared among themselves only, never with real ones.
NOT_COMPARED = (CaseStatus.DRAFT,)

_TEXT_FIELDS = ("pk", "status", "submitted_at", "campaign__year", *CASE_SECTIONS)


@dataclass(frozen=True)
class Detection:
    case_id: int
    compared: bool  # False: the text had been compared already, nothing was done
    candidates: int  # sharing a band
    checked: int  # exact similarity computed
    pairs: int  # pairs of the case after the run


def _order_key(case: Case):
    """Which of two cases came first: the year, then the submission, then the row."""
    submitted = case.submitted_at.timestamp() if case.submitted_at else float("inf")
    return (case.campaign.year, submitted, case.pk)


def _index(case: Case, digest: str, shingle_set: set) -> CaseSignature:
    now = timezone.now()
    sig = signatures.signature(shingle_set)
    row, _created = CaseSignature.objects.update_or_create(
        case=case,
        defaults={
            "content_hash": digest,
            "signature": signatures.to_bytes(sig),
            "computed_at": now,
            "detected_at": None,
        },
    )
    SignatureBand.objects.filter(signature=row).delete()
    SignatureBand.objects.bulk_create(
        [SignatureBand(signature=row, key=key) for key in signatures.band_keys(sig)]
    )
    return row


def index_cases(*, case_ids=None, chunk: int = 500) -> int:
    """Compute the signatures missing or out of date (text or method changed), in chunks, for
    the archive (`detect_resubmissions`) or planted data; compares nothing. Returns how many
    were written. Cases too short to judge get no signature."""
    written = 0
    cases = Case.objects.exclude(status__in=NOT_COMPARED).order_by("pk")
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    ids = list(cases.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            stored = dict(
                CaseSignature.objects.filter(pk__in=part).values_list("pk", "content_hash")
            )
            rows, bands = [], []
            now = timezone.now()
            for pk, *values in Case.objects.filter(pk__in=part).values_list("pk", *CASE_SECTIONS):
                sections = dict(
                    zip(
                        CASE_SECTIONS,
                        ((v or "").replace("\r\n", "\n") for v in values),
                        strict=True,
                    )
                )
                digest = content_hash(sections, signatures.METHOD)
                if stored.get(pk) == digest:
                    continue
                shingle_set = shingles(sections)
                if len(shingle_set) < MIN_SHINGLES:
                    continue
                sig = signatures.signature(shingle_set)
                rows.append(
                    CaseSignature(
                        case_id=pk,
                        content_hash=digest,
                        signature=signatures.to_bytes(sig),
                        computed_at=now,
                    )
                )
                bands.extend(
                    SignatureBand(signature_id=pk, key=k) for k in signatures.band_keys(sig)
                )
            changed = [row.case_id for row in rows]
            CaseSignature.objects.filter(pk__in=changed).delete()  # their bands go with them
            CaseSignature.objects.bulk_create(rows, batch_size=1000)
            SignatureBand.objects.bulk_create(bands, batch_size=5000)
            written += len(rows)
    return written


def _pairs_of(case_id: int):
    return ResemblancePair.objects.filter(Q(case_id=case_id) | Q(earlier_case_id=case_id))


@transaction.atomic
def detect_resubmission(*, case_id: int, force: bool = False) -> Detection:
    """Compare a case with every other case; store the pairs above the threshold."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status in NOT_COMPARED:
        return Detection(case_id, False, 0, 0, 0)
    sections = sections_of(case)
    digest = content_hash(sections, signatures.METHOD)
    row = CaseSignature.objects.filter(case=case).first()
    if row is not None and row.content_hash == digest and row.detected_at and not force:
        return Detection(case_id, False, 0, 0, _pairs_of(case_id).count())
    shingle_set = shingles(sections)
    if len(shingle_set) < MIN_SHINGLES:
        # Too little text to call it a copy of anything: forget what an earlier text found.
        _pairs_of(case_id).delete()
        CaseSignature.objects.filter(case=case).delete()
        return Detection(case_id, True, 0, 0, 0)
    if row is None or row.content_hash != digest:
        row = _index(case, digest, shingle_set)
    sig = signatures.from_bytes(row.signature)

    # 2. Candidates and their signatures, one query over the band index.
    keys = signatures.band_keys(sig)
    candidates = list(
        CaseSignature.objects.filter(
            pk__in=SignatureBand.objects.filter(key__in=keys).values("signature_id")
        )
        .exclude(pk=case.pk)
        .values_list("case_id", "signature")
    )
    estimates = signatures.estimated_jaccard(sig, signatures.stack([s for _c, s in candidates]))
    likely = [
        c
        for (c, _s), e in zip(candidates, estimates, strict=True)
        if e >= THRESHOLD - ESTIMATE_MARGIN
    ]

    # 3. The exact check on the few that may reach the threshold.
    found = {}
    others = (
        Case.objects.filter(pk__in=likely, campaign__is_demo=case.campaign.is_demo)
        .exclude(status__in=NOT_COMPARED)
        .select_related("campaign")
        .only(*_TEXT_FIELDS)
    )
    for other in others:
        other_sections = sections_of(other)
        similarity = jaccard(shingle_set, shingles(other_sections))
        if similarity >= THRESHOLD:
            found[other.pk] = (other, other_sections, similarity)

    # 4. Write the pairs; keep the office's verdict on a pair found again.
    now = timezone.now()
    kept = []
    for other, other_sections, similarity in found.values():
        if _order_key(other) < _order_key(case):
            later, earlier, later_sections, earlier_sections = case, other, sections, other_sections
        else:
            later, earlier, later_sections, earlier_sections = other, case, other_sections, sections
        pair, _created = ResemblancePair.objects.update_or_create(
            case=later,
            earlier_case=earlier,
            defaults={
                "similarity": round(similarity, 4),
                "passages": shared_passages(later_sections, earlier_sections),
                "case_hash": content_hash(later_sections, signatures.METHOD),
                "earlier_hash": content_hash(earlier_sections, signatures.METHOD),
                "detected_at": now,
            },
        )
        kept.append(pair.pk)
    _pairs_of(case_id).exclude(pk__in=kept).delete()
    CaseSignature.objects.filter(pk=row.pk).update(detected_at=now)
    return Detection(case_id, True, len(candidates), len(likely), len(kept))


@transaction.atomic
def record_verdict(*, pair: ResemblancePair, by, verdict: str, note: str = "") -> ResemblancePair:
    """The office says whether a pair is a repeated submission; the latest word is kept with
    who said it and when."""
    if not getattr(by, "is_administrator", False):
        raise PermissionDenied
    pair = ResemblancePair.objects.select_for_update().get(pk=pair.pk)
    if verdict not in ResemblanceVerdict.values:
        raise ValidationError({"verdict": _("请选择核实结果。")})
    if verdict == ResemblanceVerdict.NOT_REPEAT and not note.strip():
        raise ValidationError({"note": _("请说明为什么不是重复申报。")})
    pair.verdict = verdict
    pair.note = note.strip()
    pair.decided_by = by
    pair.decided_at = timezone.now()
    pair.save(update_fields=["verdict", "note", "decided_by", "decided_at"])
    return pair
