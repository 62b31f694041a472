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


def test_an_expert_giving_81_7_five_times_has_zero_spread_and_keeps_raw_totals():
    # Expert K gives 81.7 to five cases, S is the strict expert (58 66 70 74 82).
    # Exactly, K's mean is 81.7 and every deviation is 0: zero spread, so K keeps raw totals
    # (the docstring's rule for a zero-spread expert), however the floats fall.
    # The one-pass formula √(E[x²] − mean²) over bincount sums gives 9.5e-7 here (above the
    # old absolute cut-off of 1e-9), which standardised K and sent all five to the pooled mean.
    experts = np.array([0] * 5 + [1] * 5)
    totals = np.array([81.7] * 5 + STRICT)
    squares = np.bincount(experts, weights=totals**2)[0] / 5
    assert math.sqrt(squares - (np.bincount(experts, weights=totals)[0] / 5) ** 2) > 1e-9
    normalised, standardised = normalise_by_expert(experts, totals, 2)
    assert standardised.tolist() == [False, True]
    assert normalised[:5].tolist() == [81.7] * 5  # exactly as given
    # S is still standardised, to the pooled mean of all ten totals:
    # (5 × 81.7 + 350) / 10 = 758.5 / 10 = 75.85; S's 70 is S's mean (z = 0) → 75.85.
    assert normalised[7] == pytest.approx(75.85)


def test_an_expert_giving_33_3_six_times_keeps_raw_totals_too():
    # Six times 33.3: Σ = 199.8, mean 33.3 (33.300000000000004 in floats), deviations 0.
    experts = np.array([0] * 6 + [1] * 5)
    totals = np.array([33.3] * 6 + STRICT)
    normalised, standardised = normalise_by_expert(experts, totals, 2)
    assert standardised.tolist() == [False, True]
    assert normalised[:6].tolist() == [33.3] * 6


def test_the_zero_spread_tolerance_is_relative_and_does_not_swallow_a_real_spread():
    # 70, 70, 70, 70, 70.01: mean 70.002, deviations −0.002 (×4) and +0.008,
    # squares 4 × 0.000004 + 0.000064 = 0.00008; population spread √(0.00008 / 5) = 0.004,
    # far above 1e-9 × 70: standardised. Its 70.01 has z = 0.008 / 0.004 = 2.
    experts = np.array([0] * 5 + [1] * 5)
    totals = np.array([70, 70, 70, 70, 70.01, *STRICT])
    normalised, standardised = normalise_by_expert(experts, totals, 2)
    assert standardised.tolist() == [True, True]
    assert normalised[4] == pytest.approx(totals.mean() + 2 * totals.std())


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


def test_cases_without_a_value_get_no_rank_and_no_tier():
    # NaN is "no reviews": no rank (0), no tier; the others are ranked 1, 2 among themselves.
    result = rank_into_tiers([float("nan"), 70, 90], [1, 1])
    assert result["tier"].tolist() == [NONE, EXCELLENT, BEST]
    assert result["rank"].tolist() == [0, 2, 1]


# Tie-break at two decimals. T is clear at the top; A and B tie on the basis (the mean) at
# 85.00 across the boundary (quotas 2 | 1), so the tie-break decides which is best.
T = [90, 90, 90]
B = [82, 85, 88]  # mean 85, median 85.00, spread √((9 + 0 + 9) / 2) = 3.00


def tiers_with_tie_break(reviews):
    case_idx = np.repeat(np.arange(len(reviews)), [len(r) for r in reviews])
    totals = np.array([t for r in reviews for t in r], dtype=float)
    agg = case_aggregates(case_idx, totals, len(reviews))
    # What compute_ranking passes: higher median first, then lower spread.
    tie_break = [np.nan_to_num(agg["median"], nan=-1e9), -agg["std"]]
    return agg, rank_into_tiers(agg["mean"], [2, 1], tie_break=tie_break)


def test_medians_of_85_0033_and_85_00_tie_at_two_decimals_so_the_lower_spread_wins():
    # A: 78.9967, 85.0033, 91 → Σ 255, mean 85.00; median 85.0033, shown 85.00 like B's.
    #    deviations −6.0033, +0.0033, +6 → squares 36.03961089 + 0.00001089 + 36 = 72.03962178;
    #    spread √(72.03962178 / 2) = √36.01981089 = 6.0017 (shown 6.00) against B's 3.00.
    # Medians tie at 85.00, so the lower spread decides: B is best, A excellent.
    # (Comparing raw medians, 85.0033 > 85, would have made A best.)
    a = [78.9967, 85.0033, 91]
    agg, result = tiers_with_tie_break([T, a, B])
    assert to_cents(agg["median"]).tolist() == [9000, 8500, 8500]
    assert agg["std"][1] == pytest.approx(math.sqrt(36.01981089))
    assert result["tier"].tolist() == [BEST, EXCELLENT, BEST]
    assert result["rank"].tolist() == [1, 3, 2]
    assert not result["boundary_tie"].any()


def test_medians_of_85_01_and_85_00_differ_at_two_decimals_so_the_median_wins():
    # A: 79, 85.01, 90.99 → Σ 255, mean 85.00; median 85.01 > B's 85.00, so A is best
    # although its spread is larger: deviations −6, +0.01, +5.99 → 36 + 0.0001 + 35.8801
    # = 71.8802; √(71.8802 / 2) = √35.9401 = 5.9950 against B's 3.00.
    a = [79, 85.01, 90.99]
    agg, result = tiers_with_tie_break([T, a, B])
    assert to_cents(agg["median"]).tolist() == [9000, 8501, 8500]
    assert agg["std"][1] == pytest.approx(math.sqrt(35.9401))
    assert result["tier"].tolist() == [BEST, BEST, EXCELLENT]
    assert result["rank"].tolist() == [1, 2, 3]


def test_spreads_of_2_125_and_2_13_are_both_shown_as_2_13_so_they_tie():
    # Half up: 2.125 → 2.13. The spread enters as −spread ("higher is better"), and −2.125
    # must round to −2.13 as the spread is shown, not to −2.12 (half up towards +∞).
    assert to_cents([2.125, -2.125, 85.625, -85.625]).tolist() == [213, -213, 8563, -8563]
    result = rank_into_tiers([85, 85], [1, 1], tie_break=[[86, 86], [-2.125, -2.13]])
    assert result["boundary_tie"].tolist() == [True, True]
    assert result["tier"].tolist() == [NONE, NONE]


def test_the_same_totals_in_another_order_give_the_same_mean_at_two_decimals():
    # 95.67 + 83.41 + 78.85 + 90.93 = 348.86; / 4 = 87.215 exactly → 87.22 (half up).
    # Summed in this order the float mean is 87.21499999999999, in the other 87.215:
    # both cases must be 87.22, tied for the single best place.
    first = [95.67, 83.41, 78.85, 90.93]
    second = [95.67, 83.41, 90.93, 78.85]
    mean = case_aggregates([0] * 4 + [1] * 4, first + second, 2)["mean"]
    assert mean[0] != mean[1]  # the premise: floating-point noise differs
    assert to_cents(mean).tolist() == [8722, 8722]
    result = rank_into_tiers(mean, [1, 1])
    assert result["boundary_tie"].tolist() == [True, True]
    assert result["rank"].tolist() == [1, 1]


def test_cases_without_reviews_are_never_a_boundary_tie():
    # 90 and 80 have reviews; the two NaNs have none. Quotas 1 | 2 put a boundary after the
    # third place, between the two cases without reviews: they are not "tied" (they have no
    # value), get no rank and no tier, and the 80 alone is excellent.
    values = [90, float("nan"), 80, float("nan")]
    for tie_break in (None, [[90, -1e9, 80, -1e9], [0, 0, 0, 0]]):  # as compute_ranking passes
        result = rank_into_tiers(values, [1, 2], tie_break=tie_break)
        assert result["boundary_tie"].tolist() == [False, False, False, False]
        assert result["tier"].tolist() == [BEST, NONE, EXCELLENT, NONE]
        assert result["rank"].tolist() == [1, 0, 2, 0]


def test_cases_without_reviews_take_no_place_in_a_tier_with_room_to_spare():
    # Quotas 1 | 5 leave room for six cases; only two have reviews. The NaNs stay without a
    # tier (they used to fill places 3 and 4 of the excellent tier).
    result = rank_into_tiers([float("nan"), 90, float("nan"), 80], [1, 5])
    assert result["tier"].tolist() == [NONE, BEST, NONE, EXCELLENT]
    assert not result["boundary_tie"].any()


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


# Tie-break in the bootstrap. A has totals 84 and 86, B one total of 85; quotas 1 | 1.
# A resample of A draws two totals, each 84 or 86 with probability 1/2:
#   86 86 (1/4): mean 86 > 85, A best.
#   84 84 (1/4): mean 84 < 85, B best.
#   84 86 (1/2): mean 85.00 = B's 85.00, medians 85.00 = 85.00, spreads √2 = 1.41 and 0:
#                with the tie-break B is best; without it the tie is broken at random.
# With the tie-break A is best in ≈ 1/4 of resamples, without it in ≈ 1/4 + 1/2 · 1/2 = 1/2.
TIE_CASES, TIE_TOTALS = [0, 0, 1], [84, 86, 85]


def test_bootstrap_applies_the_tie_break_in_each_resample():
    with_rule = bootstrap_tiers(TIE_CASES, TIE_TOTALS, 2, [1, 1], basis="mean", tie_break=True)
    without = bootstrap_tiers(TIE_CASES, TIE_TOTALS, 2, [1, 1], basis="mean")
    # 1000 resamples: a share of p has a standard error of at most √(0.25 / 1000) = 0.016.
    assert with_rule[0, BEST] == pytest.approx(0.25, abs=0.05)
    assert with_rule[1, BEST] == pytest.approx(0.75, abs=0.05)
    assert without[0, BEST] == pytest.approx(0.5, abs=0.05)
    for shares in (with_rule, without):
        assert shares[:, BEST].sum() == pytest.approx(1.0)


# The normalised basis is re-normalised within each resample. Expert L scored cases 0–3
# (50, 54, 56, 62) and case 4 (58); M scored case 4 (72); Q scored case 5 (68). Quota: 1.
# Only case 4 has two reviews, so a resample differs from the round only in case 4's draws:
#   L58 M72 (1/2), the round itself: L has 5 reviews, mean 56, deviations −6 −2 0 +6 +2,
#       Σ² = 80, spread √(80/5) = 4, so case 3's 62 has z = 1.5. Pooled: 50 54 56 62 58 72 68,
#       Σ 420, mean 60, deviations −10 −6 −4 +2 −2 +12 +8, Σ² = 368, spread √(368/7) = 7.2506.
#       Case 3 → 60 + 1.5 × 7.2506 = 70.88, above Q's 68 and case 4's
#       (60 + 0.5 × 7.2506 + 72) / 2 = 67.81: case 3 is best.
#   L58 L58 (1/4): L has 6 drawn reviews, mean 338/6 = 56.33, Σ² = 83.33, spread
#       √(83.33/6) = 3.727, case 3's z = 5.667 / 3.727 = 1.52. Pooled: 50 54 56 62 58 58 68,
#       mean 58, Σ² = 200, spread √(200/7) = 5.345. Case 3 → 58 + 1.52 × 5.345 = 66.13 < 68:
#       case 5 (Q's 68, raw) is best.
#   M72 M72 (1/4): L drew only 4 reviews (< 5) and keeps raw totals: case 3 is 62,
#       case 4 is 72 > 68: case 4 is best.
# Re-normalised in each resample: case 3 ≈ 1/2, case 4 ≈ 1/4, case 5 ≈ 1/4.
# Normalised once for the round and then resampled, case 5 (68) would never be best, as
# case 3 would always be 70.88.
L_EXPERT, M_EXPERT, Q_EXPERT = 0, 1, 2
NORM_CASES = [0, 1, 2, 3, 4, 4, 5]
NORM_EXPERTS = [L_EXPERT] * 5 + [M_EXPERT, Q_EXPERT]
NORM_TOTALS = [50, 54, 56, 62, 58, 72, 68]


def test_the_worked_normalised_scenarios_are_right():
    # Guards the comment above with normalise_by_expert on each resample's draws.
    def case_means(case4):  # case 4's two drawn (expert, total)
        experts = [L_EXPERT] * 4 + [e for e, _t in case4] + [Q_EXPERT]
        totals = np.array([50, 54, 56, 62] + [t for _e, t in case4] + [68], dtype=float)
        normalised, _ = normalise_by_expert(experts, totals, 3)
        return case_aggregates([0, 1, 2, 3, 4, 4, 5], normalised, 6)["mean"]

    round_itself = case_means([(L_EXPERT, 58), (M_EXPERT, 72)])
    assert round_itself[3] == pytest.approx(60 + 1.5 * math.sqrt(368 / 7))  # 70.88
    assert round_itself[4] == pytest.approx((60 + 0.5 * math.sqrt(368 / 7) + 72) / 2)  # 67.81
    assert np.argmax(round_itself) == 3
    both_l = case_means([(L_EXPERT, 58), (L_EXPERT, 58)])
    assert both_l[3] == pytest.approx(66.13, abs=0.005) and np.argmax(both_l) == 5
    both_m = case_means([(M_EXPERT, 72), (M_EXPERT, 72)])
    assert both_m.tolist() == [50, 54, 56, 62, 72, 68] and np.argmax(both_m) == 4


def test_bootstrap_renormalises_by_expert_within_each_resample():
    shares = bootstrap_tiers(
        NORM_CASES, NORM_TOTALS, 6, [1], basis="normalised", expert_idx=NORM_EXPERTS, n_experts=3
    )[:, BEST]
    assert shares[:3].tolist() == [0, 0, 0]
    assert shares[3] == pytest.approx(0.5, abs=0.05)
    assert shares[4] == pytest.approx(0.25, abs=0.05)
    assert shares[5] == pytest.approx(0.25, abs=0.05)  # 0 if normalised once, then resampled
    assert shares.sum() == pytest.approx(1.0)


def test_bootstrap_of_the_normalised_basis_needs_the_experts():
    with pytest.raises(ValueError):
        bootstrap_tiers(NORM_CASES, NORM_TOTALS, 6, [1], basis="normalised")


def test_bootstrap_of_cases_without_reviews_puts_them_in_no_tier():
    # Two reviewed cases, two without reviews, quotas 1 | 5: the unreviewed never land anywhere.
    shares = bootstrap_tiers([0, 0, 2, 2], [90, 90, 80, 80], 4, [1, 5], tie_break=True)
    assert shares.tolist() == [[1, 0], [0, 0], [0, 1], [0, 0]]
    assert bootstrap_tiers([], [], 3, [1, 1]).tolist() == [[0, 0]] * 3


def test_a_round_without_cases():
    # A later round before anything is shortlisted into it has no cases: empty results,
    # not an exception (compute_ranking calls all three).
    assert case_aggregates([], [], 0)["n"].size == 0
    assert rank_into_tiers([], [2, 3])["tier"].size == 0
    assert bootstrap_tiers([], [], 0, [2, 3]).shape == (0, 2)
