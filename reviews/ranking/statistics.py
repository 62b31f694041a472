"""Review arithmetic in one pure module: arrays in, arrays out.

A review's total is 100 · Σ wᵢ·(sᵢ / maxᵢ) / Σ wᵢ, shown to two decimals
(half up, as people round by hand).
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from reviews.ranking.defaults import DEFAULT_DISAGREEMENT_SD

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


SPREAD_TOLERANCE = 1e-9  # relative: a spread ≤ 1e-9 × max(1, |mean|) is zero (rounding noise)


def _standardise(group, pool, totals, n_groups: int, n_pools: int):
    """Totals as z-scores within their group, rescaled to their pool's mean and spread.

    `group[i]` is the group (an expert) of total i and `pool[i]` the pool whose mean and
    spread the z-scores are rescaled to (the round; one pool per resample in the
    bootstrap); a group lies in one pool. Spreads are population standard deviations,
    computed in two passes (the group's mean first, then the squared deviations from it),
    so that a group of equal totals has a spread of (almost exactly) zero: E[x²] − mean²
    gives 9.5e-7 for five totals of 81.7. A group is standardised when it has at least
    NORMALISE_FROM totals and a spread above SPREAD_TOLERANCE × max(1, |mean|); the others
    keep their totals exactly as given. Returns (totals, standardised per group).
    """
    counts = np.bincount(group, minlength=n_groups)
    mean = np.divide(
        np.bincount(group, weights=totals, minlength=n_groups),
        counts,
        out=np.zeros(n_groups),
        where=counts > 0,
    )
    deviation = totals - mean[group]
    std = np.sqrt(
        np.divide(
            np.bincount(group, weights=deviation**2, minlength=n_groups),
            counts,
            out=np.zeros(n_groups),
            where=counts > 0,
        )
    )
    standardised = (counts >= NORMALISE_FROM) & (
        std > SPREAD_TOLERANCE * np.maximum(1.0, np.abs(mean))
    )
    pool_counts = np.maximum(np.bincount(pool, minlength=n_pools), 1)
    pool_mean = np.bincount(pool, weights=totals, minlength=n_pools) / pool_counts
    pool_deviation = totals - pool_mean[pool]
    pool_std = np.sqrt(
        np.bincount(pool, weights=pool_deviation**2, minlength=n_pools) / pool_counts
    )
    z = deviation / np.where(standardised, std, 1.0)[group]
    rescaled = pool_mean[pool] + z * pool_std[pool]
    return np.where(standardised[group], rescaled, totals), standardised


def normalise_by_expert(expert_idx, totals, n_experts: int) -> tuple[np.ndarray, np.ndarray]:
    """Each expert's totals as z-scores rescaled to the round's pooled mean and spread.

    Experts with fewer than 5 reviews keep their raw totals (returned mask says
    which experts were standardised), so that one or two scores are not stretched.
    So does an expert whose totals are all equal (zero spread: a z-score is undefined):
    spreads are population standard deviations computed in two passes, and a spread of
    at most 1e-9 × max(1, |mean|) counts as zero, so 81.7 given five times is kept as
    81.7 whatever the floating-point noise.
    """
    expert_idx = np.asarray(expert_idx, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    if totals.size == 0:
        return totals.copy(), np.zeros(n_experts, dtype=bool)
    return _standardise(expert_idx, np.zeros_like(expert_idx), totals, n_experts, 1)


# --- ranking into tiers ---------------------------------------------------------------


def to_cents(values) -> np.ndarray:
    """Values compared at two decimals, as integers (NaN → very low).

    Half up, as people round by hand, and symmetric (−2.125 → −2.13, so a negated
    spread used as a "higher is better" key rounds as the spread itself is shown).
    Binary noise is dropped before rounding (x·100 to six decimals): the mean of
    95.67, 83.41, 78.85 and 90.93 is exactly 87.215, but summed in one order it comes
    out as 87.215 and in another as 87.21499999999999; both are 87.22 here.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=-1e9, posinf=1e9, neginf=-1e9)
    cents = np.floor(np.round(np.abs(values) * 100, 6) + 0.5)
    return np.copysign(cents, values).astype(np.int64)


def rank_into_tiers(values, quotas, *, tie_break=None) -> dict[str, np.ndarray]:
    """Rank by `values` (highest first) and fill tiers in order by quota.

    Returns `rank` (1-based, equal values share a rank), `tier` (index into
    quotas, −1 for none or undecided) and `boundary_tie` (the case's value is
    tied with a case on the other side of a tier boundary: left undecided,
    never broken silently). `tie_break` is an optional list of secondary keys
    (higher is better) applied before ties are judged. Every key, the value and
    the secondary ones alike, is compared at two decimals (`to_cents`), both to
    order the cases and to judge ties: a median of 85.0033 is a median of 85.00.

    A NaN value means the case has no reviews: it gets no rank (0), no tier (−1),
    is never a boundary tie and takes no place in a tier.
    """
    values = np.asarray(values, dtype=float)
    cents = to_cents(values)
    n = cents.size
    has = ~np.isnan(values)
    secondary = [to_cents(k) for k in tie_break] if tie_break is not None else []
    # Cases without a value go last; the index is a last resort only for a stable
    # order and never decides a tier (cases equal on every key are a tie).
    order = np.lexsort((np.arange(n), *[-k for k in reversed(secondary)], -cents, ~has))
    m = int(has.sum())
    ranked = order[:m]  # the cases with a value, best first
    ordered = np.stack([cents[ranked], *[k[ranked] for k in secondary]])
    # Rank: competition ranking on the full comparison key.
    same_as_previous = np.zeros(m, dtype=bool)
    if m:
        same_as_previous[1:] = np.all(ordered[:, 1:] == ordered[:, :-1], axis=0)
    position = np.arange(1, m + 1)
    rank_sorted = np.maximum.accumulate(np.where(same_as_previous, 0, position))
    # Tiers: position p (0-based) belongs to the first tier whose cumulative quota exceeds p.
    bounds = np.cumsum(np.asarray(quotas, dtype=np.int64))
    tier_sorted = np.searchsorted(bounds, np.arange(m), side="right")
    tier_sorted = np.where(tier_sorted < len(quotas), tier_sorted, -1)
    tie_sorted = np.zeros(m, dtype=bool)
    for boundary in bounds:
        if 0 < boundary < m and same_as_previous[boundary]:
            tie_sorted |= rank_sorted == rank_sorted[boundary]
    tier_sorted = np.where(tie_sorted, -1, tier_sorted)
    rank = np.zeros(n, dtype=np.int64)
    tier = np.full(n, -1, dtype=np.int64)
    boundary_tie = np.zeros(n, dtype=bool)
    rank[ranked], tier[ranked], boundary_tie[ranked] = rank_sorted, tier_sorted, tie_sorted
    return {"rank": rank, "tier": tier, "boundary_tie": boundary_tie}


# --- stability ------------------------------------------------------------------------------


BASES = ("trimmed", "mean", "median", "normalised")


def bootstrap_tiers(
    case_idx,
    totals,
    n_cases,
    quotas,
    *,
    basis="trimmed",
    resamples=1000,
    seed=2020,
    batch=100,
    tie_break=False,
    expert_idx=None,
    n_experts=None,
):
    """Share of resamples in which each case lands in each tier (cases × tiers).

    In each resample every case's reviews are drawn with replacement (as many as it
    has), the basis is recomputed from the drawn reviews, all cases are ranked and the
    tiers filled by quota:

    * `trimmed`, `mean`, `median`: of the case's drawn totals, as in `case_aggregates`.
    * `normalised`: the drawn reviews (each with its expert, `expert_idx`) are
      standardised by expert exactly as `normalise_by_expert` does for the round, but
      within the resample: an expert's count, mean and spread, and the pooled mean and
      spread, are those of the drawn reviews (an expert who drew fewer than 5 reviews
      keeps raw totals in that resample); then the case's mean is taken.

    Values are compared at two decimals (`to_cents`), as in `rank_into_tiers`. With
    `tie_break`, equal values go to the higher median of the case's drawn totals, then
    to the lower sample spread of them, both at two decimals (the documented tie-break,
    as `compute_ranking` applies it). Cases still equal are ordered at random in each
    resample (never by their order in the round): a resample always fills each tier to
    its quota. A case without reviews lands in no tier.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}")
    case_idx = np.asarray(case_idx, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    n_tiers = len(quotas)
    if totals.size == 0:  # no cases, or none reviewed yet: nobody lands in a tier
        return np.zeros((n_cases, n_tiers))
    if basis == "normalised":
        if expert_idx is None:
            raise ValueError("the normalised basis needs each review's expert (expert_idx)")
        expert_idx = np.asarray(expert_idx, dtype=np.int64)
        if n_experts is None:
            n_experts = int(expert_idx.max()) + 1 if expert_idx.size else 0
    order = np.lexsort((totals, case_idx))
    values = totals[order]
    counts = np.bincount(case_idx, minlength=n_cases)
    width = int(counts.max()) if counts.max() > 0 else 1
    # table[case, j] is the case's j-th review (position in `values`), −1 past its count.
    table = np.full((n_cases, width), -1, dtype=np.int64)
    filled = np.arange(width)[None, :] < counts[:, None]  # cases × width
    table[filled] = np.arange(values.size)
    has = counts > 0
    safe_counts = np.maximum(counts, 1)
    if basis == "normalised":
        experts = expert_idx[order]  # the expert of each review in `values`
        case_of = np.repeat(np.arange(n_cases), counts)  # the case of each review in `values`
    bounds = np.cumsum(np.asarray(quotas, dtype=np.int64))
    rng = np.random.default_rng(seed)
    hits = np.zeros((n_cases, n_tiers + 1), dtype=np.int64)
    rows = np.arange(n_cases)[None, :, None]
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        picks = (rng.random((size, n_cases, width)) * safe_counts[None, :, None]).astype(np.int64)
        # size × cases × width: positions in `values`, −1 past the case's count
        drawn = np.where(filled[None], table[rows, picks], -1)
        sample = np.where(drawn >= 0, values[drawn], np.nan)
        # Each case's drawn totals in increasing order, the missing ones (NaN) last.
        sample.sort(axis=2)
        zeroed = np.where(filled[None], sample, 0.0)
        total = zeroed.sum(axis=2)
        mean = total / safe_counts
        if basis == "normalised":
            reviews = drawn[:, filled]  # size × reviews, each resample's in case order
            resample = np.repeat(np.arange(size), reviews.shape[1])
            normalised, _standardised = _standardise(
                resample * n_experts + experts[reviews].ravel(),
                resample,
                values[reviews].ravel(),
                size * n_experts,
                size,
            )
            case_sums = np.bincount(
                resample * n_cases + np.tile(case_of, size),
                weights=normalised,
                minlength=size * n_cases,
            )
            stat = case_sums.reshape(size, n_cases) / safe_counts
        elif basis == "mean":
            stat = mean
        else:
            median = _middle(sample, counts)
            if basis == "median":
                stat = median
            else:
                low = sample[:, :, 0]
                high = np.take_along_axis(sample, np.maximum(counts - 1, 0)[None, :, None], 2)
                trimmed = (total - low - high[:, :, 0]) / np.maximum(counts - 2, 1)
                stat = np.where(counts >= TRIM_FROM, trimmed, mean)
        keys = [-to_cents(stat), np.broadcast_to(~has, stat.shape)]  # last key decides first
        if tie_break:
            if basis in ("mean", "normalised"):
                median = _middle(sample, counts)
            deviation = np.where(filled[None], sample - mean[:, :, None], 0.0)
            variance = np.divide(
                (deviation**2).sum(axis=2), counts - 1, out=np.zeros(stat.shape), where=counts >= 2
            )
            keys = [to_cents(np.sqrt(variance)), -to_cents(median), *keys]
        # Ties left are broken at random in each resample, never by the order of the cases.
        ranking = np.lexsort((rng.random(stat.shape), *keys), axis=1)
        position = np.empty_like(ranking)
        np.put_along_axis(position, ranking, np.arange(n_cases)[None, :].repeat(size, 0), axis=1)
        tier = np.searchsorted(bounds, position, side="right")  # n_tiers means "no tier"
        tier = np.where(has[None, :], tier, n_tiers)  # a case without reviews wins nothing
        np.add.at(hits, (np.broadcast_to(np.arange(n_cases), tier.shape).ravel(), tier.ravel()), 1)
    return hits[:, :n_tiers] / float(resamples)


def _middle(sorted_sample, counts):
    """Median of each case's drawn totals (sorted along the last axis, NaN past the count)."""
    lower = np.maximum((counts - 1) // 2, 0)[None, :, None]
    upper = (counts // 2)[None, :, None]
    return (
        np.take_along_axis(sorted_sample, lower, 2)[:, :, 0]
        + np.take_along_axis(sorted_sample, upper, 2)[:, :, 0]
    ) / 2
