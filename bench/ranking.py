"""Ranking arithmetic at provincial scale: aggregates, tiers and the bootstrap (issue 7).

Pure numpy, no database: 5,000 cases × 5 reviews × 5 criteria by default, the
same calls in the same order as `reviews.ranking.compute_ranking`. Best of 3.

    .venv/bin/python bench/ranking.py [--cases 5000 --reviews 5 --criteria 5 --resamples 1000 --seed 1]

Prints a table and replaces the `bench:ranking` section of BENCHMARKS.md.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.report import write_section  # noqa: E402
from reviews.ranking import statistics  # noqa: E402

SECTION = "ranking"
TARGET_AGGREGATES = 2.0
TARGET_BOOTSTRAP = 10.0


def synthetic_reviews(*, cases, reviews, criteria, experts, seed):
    """Scores of `reviews` distinct experts per case, lenient and strict experts included."""
    rng = np.random.default_rng(seed)
    n = cases * reviews
    case_idx = np.repeat(np.arange(cases), reviews)
    # Distinct experts per case: a random start and a stride within the pool.
    start = rng.integers(0, experts, cases)
    expert_idx = (start[:, None] + np.arange(reviews)[None, :] * 7) % experts
    expert_idx = expert_idx.ravel()
    maxima = np.full(criteria, 20.0)
    weights = np.linspace(1.0, 2.0, criteria)
    quality = rng.normal(0.75, 0.08, cases)[case_idx]
    leniency = rng.normal(0, 0.06, experts)[expert_idx]
    ratio = np.clip(
        quality[:, None] + leniency[:, None] + rng.normal(0, 0.05, (n, criteria)), 0.2, 1.0
    )
    values = np.round(ratio * maxima * 2) / 2  # steps of 0.5, as experts score
    return case_idx, expert_idx, values, maxima, weights


def aggregates_and_tiers(case_idx, expert_idx, values, maxima, weights, n_cases, n_experts, quotas):
    """What compute_ranking does before the bootstrap."""
    totals = statistics.review_totals(values, maxima, weights)
    agg = statistics.case_aggregates(case_idx, totals, n_cases)
    normalised_totals, _standardised = statistics.normalise_by_expert(expert_idx, totals, n_experts)
    normalised = statistics.case_aggregates(case_idx, normalised_totals, n_cases)["mean"]
    tie_break = [np.nan_to_num(agg["median"], nan=-1e9), -agg["std"]]
    ranked = statistics.rank_into_tiers(agg["trimmed"], quotas, tie_break=tie_break)
    plain = statistics.rank_into_tiers(agg["trimmed"], quotas)
    return totals, normalised, ranked, plain


def best_of(repeats, fn):
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--reviews", type=int, default=5, help="reviews per case")
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    n_cases = args.cases
    quotas = [max(1, n_cases // 100), max(1, n_cases // 25)]  # 1% best, 4% excellent
    case_idx, expert_idx, values, maxima, weights = synthetic_reviews(
        cases=n_cases,
        reviews=args.reviews,
        criteria=args.criteria,
        experts=args.experts,
        seed=args.seed,
    )
    n_reviews = case_idx.size

    t_agg, (totals, _normalised, ranked, plain) = best_of(
        args.repeats,
        lambda: aggregates_and_tiers(
            case_idx, expert_idx, values, maxima, weights, n_cases, args.experts, quotas
        ),
    )
    t_boot, shares = best_of(
        args.repeats,
        lambda: statistics.bootstrap_tiers(
            case_idx, totals, n_cases, quotas, basis="trimmed", resamples=args.resamples
        ),
    )
    # The slowest path compute_ranking can take: the normalised basis, re-normalised by
    # expert within each resample, with the tie-break applied in each resample.
    t_boot_norm, shares_norm = best_of(
        args.repeats,
        lambda: statistics.bootstrap_tiers(
            case_idx,
            totals,
            n_cases,
            quotas,
            basis="normalised",
            resamples=args.resamples,
            tie_break=True,
            expert_idx=expert_idx,
            n_experts=args.experts,
        ),
    )
    # Sanity: every case is counted once per resample, tiers filled to quota.
    assert (shares.sum(axis=1) <= 1.0 + 1e-9).all()
    assert (shares_norm.sum(axis=1) <= 1.0 + 1e-9).all()
    assert int((ranked["tier"] == 0).sum()) <= quotas[0]
    ties = int(plain["boundary_tie"].sum())

    rows = [
        (
            "aggregates + tiers (totals, case_aggregates ×2, normalise_by_expert, rank_into_tiers ×2)",
            t_agg,
            TARGET_AGGREGATES,
        ),
        (f"bootstrap_tiers, {args.resamples} resamples (trimmed mean)", t_boot, TARGET_BOOTSTRAP),
        (
            f"bootstrap_tiers, {args.resamples} resamples (normalised, re-normalised per resample, "
            "tie-break)",
            t_boot_norm,
            TARGET_BOOTSTRAP,
        ),
    ]
    scale = (
        f"{n_cases:,} cases × {args.reviews} reviews × {args.criteria} criteria "
        f"= {n_reviews:,} reviews, {args.experts} experts, quotas {quotas[0]}/{quotas[1]}"
    )
    lines = [
        "| step | best of 3 | target | met? |",
        "|---|---:|---:|---|",
    ]
    for label, seconds, target in rows:
        verdict = "yes" if seconds < target else f"**no** (+{seconds - target:.2f} s)"
        lines.append(f"| {label} | {seconds:.3f} s | < {target:g} s | {verdict} |")
    table = "\n".join(lines)
    print(scale)
    print(table)
    print(f"boundary ties without tie-break: {ties} cases")

    if not args.no_write:
        command = (
            f".venv/bin/python bench/ranking.py --cases {args.cases} --reviews {args.reviews} "
            f"--criteria {args.criteria} --resamples {args.resamples} --seed {args.seed}"
        )
        body = (
            "## Ranking arithmetic (issue 7)\n\n"
            f"`{command}`, run {time.strftime('%Y-%m-%d', time.gmtime())} — pure numpy (`reviews/ranking/statistics.py`), "
            "no database; "
            f"{scale}; best of {args.repeats}; numpy {np.__version__}.\n\n"
            f"{table}\n"
        )
        print(f"written to {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()
