"""Review arithmetic in one pure module: arrays in, arrays out.

A review's total is 100 · Σ wᵢ·(sᵢ / maxᵢ) / Σ wᵢ, shown to two decimals
(half up, as people round by hand).
"""

import warnings
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

TWO_PLACES = Decimal("0.01")


def plain(value) -> str:
    """25, 22.5 or 0.8 as people write them (Decimal.normalize() would give 2.5E+1)."""
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


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
    """Sample standard deviation of a case's totals, 0 for fewer than two."""
    totals = np.asarray(totals, dtype=float)
    return float(totals.std(ddof=1)) if totals.size >= 2 else 0.0


DEFAULT_DISAGREEMENT_SD = 15.0  # a campaign may set its own (RankingConfig)


def is_disagreement(sd: float, threshold: float = DEFAULT_DISAGREEMENT_SD) -> bool:
    """The experts disagree when the spread, compared at two decimals as shown, exceeds
    the threshold: a spread of 15.004 shows as 15.00 and is not "above 15"."""
    return round(float(sd), 2) > threshold


# --- aggregates per case ----------------------------------------------------------

TRIM_FROM = 5  # drop the highest and lowest total from this many reviews on
NORMALISE_FROM = 5  # standardise an expert's totals from this many reviews on


def _groups(keys: np.ndarray, values: np.ndarray, n_groups: int):
    """Values sorted by (group, value), with each group's start and size."""
    order = np.lexsort((values, keys))
    sorted_keys, sorted_values = keys[order], values[order]
    counts = np.bincount(sorted_keys, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    return sorted_values, starts, counts


def case_aggregates(case_idx, totals, n_cases: int) -> dict[str, np.ndarray]:
    """Per case: count, mean, median, trimmed mean and standard deviation of its totals.

    `case_idx[i]` is the case (0..n_cases-1) of review i. Cases without a
    review get NaN. The trimmed mean drops one highest and one lowest total
    when there are at least 5 reviews, otherwise it is the mean. The standard
    deviation is the sample one (n − 1), 0 with fewer than two reviews.
    """
    case_idx = np.asarray(case_idx, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    values, starts, counts = _groups(case_idx, totals, n_cases)
    n = counts.astype(float)
    has = counts > 0
    safe_starts = np.where(has, starts, 0)
    sums = np.bincount(case_idx, weights=totals, minlength=n_cases)
    mean = np.divide(sums, n, out=np.full(n_cases, np.nan), where=has)
    low = values[safe_starts] if values.size else np.zeros(n_cases)
    high = values[np.where(has, starts + counts - 1, 0)] if values.size else np.zeros(n_cases)
    lower_mid = (
        values[np.where(has, starts + (counts - 1) // 2, 0)] if values.size else np.zeros(n_cases)
    )
    upper_mid = values[np.where(has, starts + counts // 2, 0)] if values.size else np.zeros(n_cases)
    median = np.where(has, (lower_mid + upper_mid) / 2, np.nan)
    trim = counts >= TRIM_FROM
    trimmed = np.where(trim, (sums - low - high) / np.maximum(n - 2, 1), mean)
    deviations = totals - np.nan_to_num(mean)[case_idx]
    squares = np.bincount(case_idx, weights=deviations**2, minlength=n_cases)
    variance = np.divide(squares, n - 1, out=np.zeros(n_cases), where=counts >= 2)
    std = np.sqrt(np.clip(variance, 0, None))
    return {"n": counts, "mean": mean, "median": median, "trimmed": trimmed, "std": std}


def normalise_by_expert(expert_idx, totals, n_experts: int) -> tuple[np.ndarray, np.ndarray]:
    """Each expert's totals as z-scores rescaled to the round's pooled mean and spread.

    Experts with fewer than 5 reviews keep their raw totals (returned mask says
    which experts were standardised), so that one or two scores are not stretched.
    """
    expert_idx = np.asarray(expert_idx, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    if totals.size == 0:
        return totals.copy(), np.zeros(n_experts, dtype=bool)
    counts = np.bincount(expert_idx, minlength=n_experts)
    sums = np.bincount(expert_idx, weights=totals, minlength=n_experts)
    squares = np.bincount(expert_idx, weights=totals**2, minlength=n_experts)
    mean = np.divide(sums, counts, out=np.zeros(n_experts), where=counts > 0)
    std = np.sqrt(
        np.clip(
            np.divide(squares, counts, out=np.zeros(n_experts), where=counts > 0) - mean**2, 0, None
        )
    )
    pooled_mean, pooled_std = totals.mean(), totals.std()
    standardised = (counts >= NORMALISE_FROM) & (std > 1e-9)
    z = np.divide(
        totals - mean[expert_idx],
        std[expert_idx],
        out=np.zeros_like(totals),
        where=std[expert_idx] > 1e-9,
    )
    rescaled = pooled_mean + z * pooled_std
    return np.where(standardised[expert_idx], rescaled, totals), standardised


# --- ranking into tiers ---------------------------------------------------------------


def to_cents(values) -> np.ndarray:
    """Values compared at two decimals, as integers (NaN → very low)."""
    values = np.asarray(values, dtype=float)
    cents = np.floor(np.nan_to_num(values, nan=-1e9) * 100 + 0.5)
    return cents.astype(np.int64)


def rank_into_tiers(values, quotas, *, tie_break=None) -> dict[str, np.ndarray]:
    """Rank by `values` (highest first) and fill tiers in order by quota.

    Returns `rank` (1-based, equal values share a rank), `tier` (index into
    quotas, −1 for none or undecided) and `boundary_tie` (the case's value is
    tied with a case on the other side of a tier boundary: left undecided,
    never broken silently). `tie_break` is an optional list of secondary keys
    (higher is better) applied before ties are judged.
    """
    cents = to_cents(values)
    n = cents.size
    keys = [np.arange(n)]  # last resort only for a stable order; never decides a tier
    if tie_break is not None:
        keys = [np.arange(n)] + [-np.asarray(k, dtype=float) for k in reversed(tie_break)]
    order = np.lexsort((*keys, -cents))
    ordered = np.stack(
        [cents[order], *([to_cents(k)[order] for k in tie_break] if tie_break else [])]
    )
    # Rank: competition ranking on the full comparison key.
    same_as_previous = np.zeros(n, dtype=bool)
    if n:
        same_as_previous[1:] = np.all(ordered[:, 1:] == ordered[:, :-1], axis=0)
    position = np.arange(1, n + 1)
    rank_sorted = np.maximum.accumulate(np.where(same_as_previous, 0, position))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    # Tiers: position p (0-based) belongs to the first tier whose cumulative quota exceeds p.
    bounds = np.cumsum(np.asarray(quotas, dtype=np.int64))
    tier_sorted = np.searchsorted(bounds, np.arange(n), side="right")
    tier_sorted = np.where(tier_sorted < len(quotas), tier_sorted, -1)
    tie_sorted = np.zeros(n, dtype=bool)
    for boundary in bounds:
        if 0 < boundary < n and same_as_previous[boundary]:
            tied_rank = rank_sorted[boundary]
            tie_sorted |= rank_sorted == tied_rank
    tier_sorted = np.where(tie_sorted, -1, tier_sorted)
    tier = np.empty(n, dtype=np.int64)
    tier[order] = tier_sorted
    boundary_tie = np.empty(n, dtype=bool)
    boundary_tie[order] = tie_sorted
    return {"rank": rank, "tier": tier, "boundary_tie": boundary_tie}


# --- stability ------------------------------------------------------------------------------


def bootstrap_tiers(
    case_idx, totals, n_cases, quotas, *, basis="trimmed", resamples=1000, seed=2020, batch=100
):
    """Share of resamples in which each case lands in each tier (cases × tiers).

    Each case's reviews are resampled with replacement, the basis is
    recomputed, all cases are ranked and the tiers filled by quota.
    """
    case_idx = np.asarray(case_idx, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    values, starts, counts = _groups(case_idx, totals, n_cases)
    width = int(counts.max()) if counts.size and counts.max() > 0 else 1
    table = np.full((n_cases, width), np.nan)
    column = np.arange(values.size) - np.repeat(starts, counts)
    table[np.repeat(np.arange(n_cases), counts), column] = values
    rng = np.random.default_rng(seed)
    n_tiers = len(quotas)
    if n_cases == 0:
        return np.zeros((0, n_tiers))
    bounds = np.cumsum(np.asarray(quotas, dtype=np.int64))
    hits = np.zeros((n_cases, n_tiers + 1), dtype=np.int64)
    safe_counts = np.maximum(counts, 1)
    rows = np.arange(n_cases)[None, :, None]
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        picks = (rng.random((size, n_cases, width)) * safe_counts[None, :, None]).astype(np.int64)
        sample = table[rows, picks]  # size × cases × width
        sample = np.where(np.arange(width)[None, None, :] < counts[None, :, None], sample, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: cases without reviews
            if basis == "median":
                stat = np.nanmedian(sample, axis=2)
            else:
                total = np.nansum(sample, axis=2)
                stat = total / safe_counts
                if basis == "trimmed":
                    trim = counts >= TRIM_FROM
                    extremes = np.nanmax(sample, axis=2) + np.nanmin(sample, axis=2)
                    trimmed = (total - extremes) / np.maximum(counts - 2, 1)
                    stat = np.where(trim[None, :], trimmed, stat)
        stat = np.where(counts[None, :] > 0, stat, -np.inf)
        # Exact ties are broken at random in each resample, never by the order of the cases.
        order = np.lexsort((rng.random(stat.shape), -stat), axis=1)
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(n_cases)[None, :].repeat(size, axis=0), axis=1)
        tier = np.searchsorted(bounds, position, side="right")  # n_tiers means "no tier"
        tier = np.where(counts[None, :] > 0, tier, n_tiers)  # a case without reviews wins nothing
        np.add.at(hits, (np.broadcast_to(np.arange(n_cases), tier.shape).ravel(), tier.ravel()), 1)
    return hits[:, :n_tiers] / float(resamples)
