"""Expertise by content: experts' and cases' text vectors as the solver's expertise cost (pure).

Arrays in, arrays out; the ORM layer around it (`proposal.py` for a round,
`reviews/panels/expert_vectors.py` for an expert) reads and writes the stored vectors. Vectors
are case_text's (`case_text/core/vectors.py`): L2-normalised TF-IDF, so cosine is a dot product.

An expert's vector, under one text model:

    k = vector of the declared expertise: the profile's keywords and the names of its fields,
        as one text (vectorized like a case's body)
    r = normalise(mean of the vectors of the cases the expert reviewed and submitted, the
        MAX_REVIEWED most recent)
    e = normalise(KEYWORDS_WEIGHT · k + (1 − KEYWORDS_WEIGHT) · r)

with e = k or e = r when only one of them exists, and no vector when neither does. Half and
half: the keywords are what the expert says they know, a few words chosen with care; the
reviewed cases are what the office has trusted them with, hundreds of words each, which the
mean turns into a broad profile. Neither drowns the other.

The solver's expertise cost of a pair (case c, expert e), an integer:

    cost = round((1 − c · e) · SCALE)        SCALE = 100: one point of 匹配度 is one unit

and 0 / SCALE for a field match / mismatch (today's rule) on a case without a vector, or in a
round where no expert has one (no model fitted yet): a round always has an expertise cost. An
expert without a vector next to a case with one counts as similarity 0 (cost SCALE).
"""

from typing import TYPE_CHECKING

import numpy as np

from case_text.core.vectors import SparseVector

if TYPE_CHECKING:
    from scipy import sparse

SCALE = 100
# The words shown beside a pair's 匹配度: those that weigh most in its cosine.
MATCH_TERMS = 5
KEYWORDS_WEIGHT = 0.5
MAX_REVIEWED = 200


def combine(keywords: SparseVector | None, reviewed: list[SparseVector]) -> SparseVector:
    """An expert's vector from the keywords' vector and the reviewed cases' vectors (above)."""
    reviewed = [v for v in reviewed if len(v)]
    parts = []
    if keywords is not None and len(keywords):
        parts.append((keywords.indices, keywords.weights.astype(np.float64)))
    if reviewed:
        indices = np.concatenate([v.indices for v in reviewed])
        weights = np.concatenate([v.weights for v in reviewed]).astype(np.float64)
        terms, inverse = np.unique(indices, return_inverse=True)
        mean = np.bincount(inverse, weights=weights) / len(reviewed)
        parts.append((terms, mean / np.linalg.norm(mean)))
    if not parts:
        return SparseVector.empty()
    if len(parts) == 2:
        (ki, kw), (ri, rw) = parts
        indices = np.concatenate([ki, ri])
        weights = np.concatenate([KEYWORDS_WEIGHT * kw, (1 - KEYWORDS_WEIGHT) * rw])
        terms, inverse = np.unique(indices, return_inverse=True)
        parts = [(terms, np.bincount(inverse, weights=weights))]
    indices, weights = parts[0]
    norm = np.linalg.norm(weights)
    if norm == 0:
        return SparseVector.empty()
    return SparseVector(indices.astype(np.int32), (weights / norm).astype(np.float32))


def stack(vectors: list[SparseVector | None], n_terms: int) -> "sparse.csr_matrix":
    """Rows of a CSR matrix (float32); a missing vector is an empty row."""
    rows = [v if v is not None else SparseVector.empty() for v in vectors]
    lengths = np.fromiter((len(v) for v in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if indptr[-1]:
        indices = np.concatenate([v.indices for v in rows]).astype(np.int32)
        data = np.concatenate([v.weights for v in rows]).astype(np.float32)
    else:
        indices, data = np.empty(0, np.int32), np.empty(0, np.float32)
    # Imported here: SciPy is ≈ 50 MB that a process which never matches should not carry.
    from scipy import sparse

    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(n_terms, 1)))


def similarity(cases: "sparse.csr_matrix", experts: "sparse.csr_matrix") -> np.ndarray:
    """cases × experts cosine similarities (rows are normalised), clipped to 0 … 1."""
    product = (cases @ experts.T).toarray()
    return np.clip(product, 0.0, 1.0, out=product)


def expertise_cost(
    sim: np.ndarray, case_has: np.ndarray, expert_has: np.ndarray, field_mismatch: np.ndarray
) -> np.ndarray:
    """The integer cost matrix (cases × experts) the solver takes, as the docstring says."""
    cost = np.where(field_mismatch, SCALE, 0).astype(np.int64)
    if not expert_has.any():
        return cost
    by_text = np.rint((1.0 - sim) * SCALE).astype(np.int64)
    return np.where(case_has[:, None], by_text, cost)


def match_percent(sim: float) -> int:
    """匹配度 as shown and stored: the cosine in whole percent."""
    return round(float(sim) * 100)
