"""Reads of the text core that other packages share (similar cases, expert matching).

Only vectors of one model version are ever returned together: vectors of different versions
live in different spaces and their cosine means nothing.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from case_text.core.vectors import SparseVector
from case_text.models import CaseVector, TextModel
from reform_cases.models import Case, CaseStatus

# The cases the model is fitted on and that have a vector: every case that was ever handed in
# (returned and ineligible ones too: a case resubmitted elsewhere must still be found), and the
# historical ones, which are imported as accepted. Drafts and withdrawn cases are not.
CORPUS_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.RETURNED,
    CaseStatus.ACCEPTED,
    CaseStatus.INELIGIBLE,
)


def corpus_cases() -> QuerySet[Case]:
    return Case.objects.filter(status__in=CORPUS_STATUSES)


def current_version() -> int | None:
    return TextModel.objects.filter(is_current=True).values_list("version", flat=True).first()


def case_vectors(case_ids: Iterable[int], version: int | None = None) -> dict[int, SparseVector]:
    """{case id: vector} for the given cases that have one, in one query.

    `version=None` reads the current model's vectors; a caller that already holds a model
    (core.vectors.current_model()) passes its version, so that a refit finishing in between
    cannot hand it vectors of another space.
    """
    qs = CaseVector.objects.filter(case_id__in=list(case_ids))
    qs = qs.filter(model__is_current=True) if version is None else qs.filter(model_id=version)
    return {
        case_id: SparseVector.from_bytes(bytes(indices), bytes(weights))
        for case_id, indices, weights in qs.values_list("case_id", "indices", "weights")
    }


def all_case_vectors(version: int) -> dict[int, SparseVector]:
    """Every case vector of one version (for a similarity scan over the whole archive)."""
    return {
        case_id: SparseVector.from_bytes(bytes(indices), bytes(weights))
        for case_id, indices, weights in CaseVector.objects.filter(model_id=version)
        .values_list("case_id", "indices", "weights")
        .iterator(chunk_size=2000)
    }
