"""Review arithmetic in one pure module: arrays in, arrays out.

A review's total is 100 · Σ wᵢ·(sᵢ / maxᵢ) / Σ wᵢ, shown to two decimals
(half up, as people round by hand).
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

TWO_PLACES = Decimal("0.01")


def review_total(values, maxima, weights) -> Decimal:
    """Exact total of one review, for storing and showing."""
    values = [Decimal(str(v)) for v in values]
    maxima = [Decimal(str(m)) for m in maxima]
    weights = [Decimal(str(w)) for w in weights]
    weighted = sum(w * (v / m) for v, m, w in zip(values, maxima, weights, strict=True))
    return (Decimal(100) * weighted / sum(weights)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def review_totals(values: np.ndarray, maxima: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Totals of many reviews at once: `values` is reviews × criteria."""
    values = np.asarray(values, dtype=float)
    maxima = np.asarray(maxima, dtype=float)
    weights = np.asarray(weights, dtype=float)
    return 100.0 * (values / maxima) @ weights / weights.sum()


def spread(totals) -> float:
    """Standard deviation of a case's totals (population), 0 for fewer than two."""
    totals = np.asarray(totals, dtype=float)
    return float(totals.std()) if totals.size >= 2 else 0.0
