"""The ranking arithmetic (reviews/ranking/statistics.py) against worked examples checked by hand.

Pure numpy, no database. Each expected figure is worked out in a comment, so
a wrong formula (population instead of sample deviation, trimming from the
wrong count, a median of the unsorted values, ties judged on raw floats, a
tie broken silently) fails here with the number a committee member would
have computed.
"""

import math

import numpy as np
import pytest

from reviews.ranking.statistics import (
    NORMALISE_FROM,
    TRIM_FROM,
    bootstrap_tiers,
    case_aggregates,
    normalise_by_expert,
    rank_into_tiers,
    to_cents,
)

BEST, EXCELLENT, NONE = 0, 1, -1


def test_thresholds_are_the_documented_five():
    # The issue: trim "when there are at least 5 reviews"; standardise experts "with ≥ 5 reviews".
    assert TRIM_FROM == 5
    assert NORMALISE_FROM == 5


# --- case_aggregates -------------------------------------------------------------------

# Reviews of several cases, deliberately interleaved and unsorted: the module must
# group by case and sort within a case itself.
#
# Case 0, seven reviews: 96, 58, 70, 78, 68, 76, 72
#   sorted   58 68 70 72 76 78 96          Σ = 518
#   mean     518 / 7 = 74
#   median   the 4th of 7 = 72
#   trimmed  drop 58 and 96: (68 + 70 + 72 + 76 + 78) / 5 = 364 / 5 = 72.8
#   std      deviations from 74: −16 −6 −4 −2 +2 +4 +22
#            squares 256 36 16 4 4 16 484 = 816; sample variance 816 / 6 = 136
#            std = √136 = 11.6619…   (the population one, √(816/7) = 10.797…, is wrong)
#
# Case 1, three reviews: 95, 50, 65 (fewer than 5: nothing is trimmed)
#   mean 210 / 3 = 70; median 65; trimmed = mean = 70 (trimming would give 65)
#   std: deviations −20 −5 +25 → 400 + 25 + 625 = 1050; 1050 / 2 = 525; √525 = 22.9128…
#
# Case 2, four reviews (even count): 84, 60, 90, 70
#   sorted 60 70 84 90; median (70 + 84) / 2 = 77; mean 304 / 4 = 76; trimmed = mean = 76
#   std: deviations −16 −6 +8 +14 → 256 + 36 + 64 + 196 = 552; 552 / 3 = 184; √184 = 13.5646…
#
# Case 3, six reviews (even count, trimmed): 100, 50, 74, 60, 80, 70
#   sorted 50 60 70 74 80 100; median (70 + 74) / 2 = 72; mean 434 / 6 = 72.333…
#   trimmed drop 50 and 100: (60 + 70 + 74 + 80) / 4 = 284 / 4 = 71
#
# Case 4, exactly five reviews (the first count that is trimmed): 62, 40, 100, 80, 70
#   mean 352 / 5 = 70.4; median 70; trimmed (62 + 70 + 80) / 3 = 212 / 3 = 70.666…
#
# Case 5, one review of 81: mean = median = trimmed = 81, std 0 (not NaN).
# Case 6, no review: NaN everywhere, count 0, std 0.
REVIEWS = [
    (0, 96), (1, 95), (2, 84), (0, 58), (3, 100), (4, 62), (0, 70), (1, 50), (2, 60),
    (3, 50), (0, 78), (4, 40), (5, 81), (0, 68), (3, 74), (2, 90), (4, 100), (0, 76),
    (3, 60), (1, 65), (4, 80), (3, 80), (2, 70), (0, 72), (4, 70), (3, 70),
]  # fmt: skip
N_CASES = 7


@pytest.fixture(scope="module")
def aggregates():
    case_idx = np.array([c for c, _t in REVIEWS])
    totals = np.array([t for _c, t in REVIEWS], dtype=float)
    return case_aggregates(case_idx, totals, N_CASES)


def test_review_counts(aggregates):
    assert aggregates["n"].tolist() == [7, 3, 4, 6, 5, 1, 0]


def test_seven_reviews_trimmed_mean_drops_one_highest_and_one_lowest(aggregates):
    assert aggregates["mean"][0] == pytest.approx(74)
    assert aggregates["median"][0] == pytest.approx(72)
    assert aggregates["trimmed"][0] == pytest.approx(72.8)
    assert aggregates["std"][0] == pytest.approx(math.sqrt(136))  # 11.66, sample deviation


def test_three_reviews_trimmed_mean_is_the_mean(aggregates):
    assert aggregates["mean"][1] == pytest.approx(70)
    assert aggregates["trimmed"][1] == pytest.approx(70)  # not 65 (that would be trimmed)
    assert aggregates["median"][1] == pytest.approx(65)
    assert aggregates["std"][1] == pytest.approx(math.sqrt(525))  # 22.91


def test_median_of_an_even_count_is_the_middle_pair_average(aggregates):
    assert aggregates["median"][2] == pytest.approx(77)
    assert aggregates["median"][3] == pytest.approx(72)
    assert aggregates["trimmed"][2] == pytest.approx(76)  # four reviews: not trimmed
    assert aggregates["std"][2] == pytest.approx(math.sqrt(184))  # 13.56


def test_six_and_five_reviews_are_trimmed(aggregates):
    assert aggregates["mean"][3] == pytest.approx(434 / 6)
    assert aggregates["trimmed"][3] == pytest.approx(71)
    assert aggregates["mean"][4] == pytest.approx(70.4)
    assert aggregates["median"][4] == pytest.approx(70)
    assert aggregates["trimmed"][4] == pytest.approx(212 / 3)


def test_one_review_and_no_review(aggregates):
    assert aggregates["mean"][5] == aggregates["median"][5] == aggregates["trimmed"][5] == 81
    assert aggregates["std"][5] == 0
    assert math.isnan(aggregates["mean"][6])
    assert math.isnan(aggregates["median"][6])
    assert math.isnan(aggregates["trimmed"][6])
    assert aggregates["std"][6] == 0


def test_sample_standard_deviation_not_population():
    # Two reviews 70 and 80: mean 75, deviations ±5, squares 50; sample variance 50 / 1 = 50,
    # std √50 = 7.0710… (the population one would be 5).
    agg = case_aggregates([0, 0], [70.0, 80.0], 1)
    assert agg["std"][0] == pytest.approx(math.sqrt(50))


# --- normalise_by_expert ----------------------------------------------------------------

# A lenient expert L and a strict expert S, five reviews each (one review per case).
#   L: 84 88 90 92 96   mean 90, deviations −6 −2 0 +2 +6, Σ² = 80, population std √(80/5) = 4
#   S: 58 66 70 74 82   mean 70, deviations −12 −4 0 +4 +12, Σ² = 320, std √(320/5) = 8
# Case A got L's 84, case B got S's 82. Raw: A (84) is above B (82).
# But 84 is the lowest score the lenient L gave (z = −6/4 = −1.5), while 82 is the
# highest the strict S gave (z = +12/8 = +1.5).
# Rescaled to the round's pooled mean and spread (all ten totals):
#   pooled mean (450 + 350) / 10 = 80
#   pooled variance = within (5·16 + 5·64) / 10 = 40 + between (±10)² = 100 → 140
#   A → 80 − 1.5·√140 = 62.25…,  B → 80 + 1.5·√140 = 97.75…: now B is above A.
# And L's 90 and S's 70 (each expert's typical score) both become 80.
LENIENT = [84, 88, 90, 92, 96]
STRICT = [58, 66, 70, 74, 82]


def test_normalisation_reverses_a_lenient_and_a_strict_experts_cases():
    experts = np.array([0] * 5 + [1] * 5)
    totals = np.array(LENIENT + STRICT, dtype=float)
    normalised, standardised = normalise_by_expert(experts, totals, 2)

    assert standardised.tolist() == [True, True]
    a, b = normalised[0], normalised[9]  # L's 84 and S's 82
    assert totals[0] > totals[9]  # raw: A above B
    assert a == pytest.approx(80 - 1.5 * math.sqrt(140))  # 62.25
    assert b == pytest.approx(80 + 1.5 * math.sqrt(140))  # 97.75
    assert b > a  # normalised: B above A
    assert normalised[2] == pytest.approx(80)  # L's 90
    assert normalised[7] == pytest.approx(80)  # S's 70
    # The pooled mean and spread are kept.
    assert normalised.mean() == pytest.approx(80)
    assert normalised.std() == pytest.approx(math.sqrt(140))

    # Through the per-case means (one review per case), the order of A and B flips.
    cases = np.arange(10)
    raw_mean = case_aggregates(cases, totals, 10)["mean"]
    norm_mean = case_aggregates(cases, normalised, 10)["mean"]
    assert raw_mean[0] > raw_mean[9] and norm_mean[9] > norm_mean[0]


def test_experts_with_fewer_than_five_reviews_stay_unstandardised():
    # L as above (five reviews) and C with four: 50 55 99 70. C's scores stay exactly as given.
    experts = np.array([0] * 5 + [1] * 4)
    raw = [*LENIENT, 50, 55, 99, 70]
    normalised, standardised = normalise_by_expert(experts, np.array(raw, dtype=float), 2)
    assert standardised.tolist() == [True, False]
    assert normalised[5:].tolist() == [50, 55, 99, 70]
    assert normalised[:5].tolist() != LENIENT  # L's five were standardised


def test_an_expert_with_identical_scores_is_left_as_is():
    # Zero spread: a z-score is undefined, so the raw totals stay (no division by zero, no NaN).
    experts = np.array([0] * 5 + [1] * 5)
    totals = np.array([80.0] * 5 + STRICT)
    normalised, standardised = normalise_by_expert(experts, totals, 2)
    assert standardised.tolist() == [False, True]
    assert normalised[:5].tolist() == [80.0] * 5
    assert not np.isnan(normalised).any()


# --- rank_into_tiers -----------------------------------------------------------------------


def test_tie_across_the_best_excellent_boundary_is_flagged_and_left_undecided():
    # Quotas best 2, excellent 3. Sorted: 90 | 85 85 | 80 70 | 60
    # Best holds positions 1–2; the two 85s occupy positions 2 and 3, straddling the boundary:
    # neither is placed, both are flagged. 80 and 70 are excellent (positions 4, 5); 60 (6th)
    # is beyond both quotas. Ranks are competition ranks: 1, 2, 2, 4, 5, 6.
    result = rank_into_tiers([85, 60, 90, 80, 85, 70], [2, 3])
    assert result["tier"].tolist() == [NONE, NONE, BEST, EXCELLENT, NONE, EXCELLENT]
    assert result["boundary_tie"].tolist() == [True, False, False, False, True, False]
    assert result["rank"].tolist() == [2, 6, 1, 4, 2, 5]


def test_tie_across_the_last_boundary_is_flagged_too():
    # Quotas 1, 2: 90 | 80 70 | 70 — the last excellent place is contested by two 70s.
    result = rank_into_tiers([90, 80, 70, 70], [1, 2])
    assert result["tier"].tolist() == [BEST, EXCELLENT, NONE, NONE]
    assert result["boundary_tie"].tolist() == [False, False, True, True]


def test_ties_inside_a_tier_are_not_flagged():
    # Quotas 3, 3: 90 85 85 | 80 80 70 — both ties sit inside one tier.
    result = rank_into_tiers([90, 85, 85, 80, 80, 70], [3, 3])
    assert result["tier"].tolist() == [BEST, BEST, BEST, EXCELLENT, EXCELLENT, EXCELLENT]
    assert not result["boundary_tie"].any()
    assert result["rank"].tolist() == [1, 2, 2, 4, 4, 6]


def test_values_are_compared_at_two_decimals():
    # 80.004 and 80.001 are both 80.00: a tie for the single best place.
    tied = rank_into_tiers([80.004, 80.001], [1, 1])
    assert tied["boundary_tie"].tolist() == [True, True]
    assert tied["tier"].tolist() == [NONE, NONE]
    assert tied["rank"].tolist() == [1, 1]
    # 80.006 is 80.01, above 80.00: no tie.
    apart = rank_into_tiers([80.001, 80.006], [1, 1])
    assert apart["boundary_tie"].tolist() == [False, False]
    assert apart["tier"].tolist() == [EXCELLENT, BEST]
    assert apart["rank"].tolist() == [2, 1]
    assert to_cents([80.004, 80.001, 80.006]).tolist() == [8000, 8000, 8001]


def test_tie_break_prefers_the_higher_median():
    # 90 | 85 85 | 80 with quotas 2, 2; medians 90, 86, 88, 80. With the documented
    # tie-break (higher median first) the 85 with median 88 takes the best place.
    values, medians, stds = [90, 85, 85, 80], [90, 86, 88, 80], [1, 5, 5, 1]
    without = rank_into_tiers(values, [2, 2])
    assert without["boundary_tie"].tolist() == [False, True, True, False]
    result = rank_into_tiers(values, [2, 2], tie_break=[medians, [-s for s in stds]])
    assert result["tier"].tolist() == [BEST, EXCELLENT, BEST, EXCELLENT]
    assert not result["boundary_tie"].any()
    assert result["rank"].tolist() == [1, 3, 2, 4]


def test_tie_break_then_prefers_the_lower_disagreement():
    # Same medians (86); standard deviations 7 and 3: the one the experts agree on wins.
    values, medians, stds = [90, 85, 85, 80], [90, 86, 86, 80], [1, 7, 3, 1]
    result = rank_into_tiers(values, [2, 2], tie_break=[medians, [-s for s in stds]])
    assert result["tier"].tolist() == [BEST, EXCELLENT, BEST, EXCELLENT]
    assert not result["boundary_tie"].any()


def test_tie_break_that_cannot_separate_still_flags():
    # Same value, median and spread: still a tie at the boundary, still left undecided.
    values, medians, stds = [90, 85, 85, 80], [90, 86, 86, 80], [1, 4, 4, 1]
    result = rank_into_tiers(values, [2, 2], tie_break=[medians, [-s for s in stds]])
    assert result["boundary_tie"].tolist() == [False, True, True, False]
    assert result["tier"].tolist() == [BEST, NONE, NONE, EXCELLENT]


def test_cases_without_a_value_rank_last():
    result = rank_into_tiers([float("nan"), 70, 90], [1, 1])
    assert result["tier"].tolist() == [NONE, EXCELLENT, BEST]
    assert result["rank"].tolist() == [3, 2, 1]


# --- bootstrap_tiers ------------------------------------------------------------------------

# Quotas best 1, excellent 1; five reviews per case, trimmed mean.
#   W  95 96 97 95 96   → every resample of W is ≥ 95, every resample of the others ≤ 90:
#                          W is best in 100% of resamples.
#   P  80 82 84 86 88   → trimmed 84
#   Q  70 78 85 88 90   → trimmed (78 + 85 + 88) / 3 = 83.67
#   L  60 62 64 66 68   → always last
# P is proposed for excellent, but Q overtakes it in a large share of resamples
# (Q's resampled trimmed mean ranges from 70 to 90): P is borderline (< 80%).
BOOT_CASES = [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
BOOT_TOTALS = [95, 96, 97, 95, 96, 80, 82, 84, 86, 88, 70, 78, 85, 88, 90, 60, 62, 64, 66, 68]


def test_bootstrap_clear_winner_and_borderline_case():
    shares = bootstrap_tiers(BOOT_CASES, BOOT_TOTALS, 4, [1, 1], resamples=1000, seed=2020)
    assert shares.shape == (4, 2)
    proposed = rank_into_tiers(case_aggregates(BOOT_CASES, BOOT_TOTALS, 4)["trimmed"], [1, 1])
    assert proposed["tier"].tolist() == [BEST, EXCELLENT, NONE, NONE]

    assert shares[0, BEST] == pytest.approx(1.0)  # the clear winner, every resample
    assert 0.2 < shares[1, EXCELLENT] < 0.8  # P: borderline in its proposed tier
    assert shares[2, EXCELLENT] > 0.2  # Q often takes P's place
    assert shares[3].sum() == 0  # L never reaches a tier
    # Each resample puts exactly one case in each tier.
    assert shares[:, BEST].sum() == pytest.approx(1.0)
    assert shares[:, EXCELLENT].sum() == pytest.approx(1.0)
    # Shares are counts out of 1000 resamples.
    assert np.allclose(shares * 1000, np.round(shares * 1000))


def test_bootstrap_same_seed_same_result():
    first = bootstrap_tiers(BOOT_CASES, BOOT_TOTALS, 4, [1, 1], seed=7)
    again = bootstrap_tiers(BOOT_CASES, BOOT_TOTALS, 4, [1, 1], seed=7)
    other = bootstrap_tiers(BOOT_CASES, BOOT_TOTALS, 4, [1, 1], seed=8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)  # the seed is actually used


def test_bootstrap_batches_do_not_change_the_count_of_resamples():
    # 1000 resamples in batches of 300 (the last batch is short): shares still out of 1000.
    shares = bootstrap_tiers(BOOT_CASES, BOOT_TOTALS, 4, [1, 1], resamples=1000, batch=300)
    assert shares[0, BEST] == pytest.approx(1.0)
    assert shares[:, EXCELLENT].sum() == pytest.approx(1.0)


def test_bootstrap_of_a_case_with_identical_scores_is_certain():
    # One case whose reviews agree exactly cannot move: its share is 100% wherever it is.
    shares = bootstrap_tiers([0, 0, 0, 1, 1, 1], [70, 70, 70, 90, 90, 90], 2, [1, 1])
    assert shares.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_a_round_without_cases():
    # A later round before anything is shortlisted into it has no cases: empty results,
    # not an exception (compute_ranking calls all three).
    assert case_aggregates([], [], 0)["n"].size == 0
    assert rank_into_tiers([], [2, 3])["tier"].size == 0
    assert bootstrap_tiers([], [], 0, [2, 3]).shape == (0, 2)
