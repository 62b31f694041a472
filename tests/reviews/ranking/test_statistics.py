"""The review arithmetic (reviews/ranking/statistics.py) against totals worked out by hand.

A review's total is 100 · Σ wᵢ·(sᵢ / maxᵢ) / Σ wᵢ, stored to two decimals,
rounded half up (as people round by hand). `review_total` is the exact Decimal
version used for storing; `review_totals` is the numpy version for many
reviews at once. The worked examples below use unequal maxima and weights, so
a total that ignored either (or divided by the wrong sum) would not match.
"""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from reviews.ranking.statistics import review_total, review_totals, spread
from reviews.rounds.services import DEFAULT_RUBRIC

# The default rubric: 创新性 25 ×1.2, 实效性 25 ×1.2, 示范推广性 20 ×1, 系统集成性 15 ×0.8,
# 群众获得感 15 ×0.8 (Σw = 5).
DEFAULT_MAXIMA = [top for _name, _text, top, _weight in DEFAULT_RUBRIC]
DEFAULT_WEIGHTS = [weight for _name, _text, _top, weight in DEFAULT_RUBRIC]

# (values, maxima, weights, exact total as a fraction, stored total)
WORKED = [
    # Three criteria, maxima 25 / 20 / 15, weights 1.2 / 1 / 0.8 (Σw = 3):
    #   20/25 = 0.8  → 1.2 × 0.8  = 0.96
    #   15/20 = 0.75 → 1   × 0.75 = 0.75
    #   12/15 = 0.8  → 0.8 × 0.8  = 0.64
    #   Σ = 2.35; 100 × 2.35 / 3 = 78.333… → 78.33
    (
        ["20", "15", "12"],
        ["25", "20", "15"],
        ["1.2", "1", "0.8"],
        Fraction(235, 3),
        Decimal("78.33"),
    ),
    # The default rubric; 100 / Σw = 20, so the total is
    #   20 × (1.2/25·s₁ + 1.2/25·s₂ + 1/20·s₃ + 0.8/15·s₄ + 0.8/15·s₅)
    #   = 0.96·s₁ + 0.96·s₂ + s₃ + 16/15·(s₄ + s₅)
    # with s = 20, 22.5, 16, 12, 10.5:
    #   19.2 + 21.6 + 16 + 16/15 × 22.5 (= 24) = 80.8 → 80.80
    (
        ["20", "22.5", "16", "12", "10.5"],
        DEFAULT_MAXIMA,
        DEFAULT_WEIGHTS,
        Fraction(404, 5),
        Decimal("80.80"),
    ),
    # Same rubric, s = 25, 25, 20, 15, 14.5:
    #   24 + 24 + 20 + 16/15 × 29.5 (= 31.4666…) = 99.4666… → 99.47
    (
        ["25", "25", "20", "15", "14.5"],
        DEFAULT_MAXIMA,
        DEFAULT_WEIGHTS,
        Fraction(1492, 15),
        Decimal("99.47"),
    ),
    # Full marks are 100 whatever the weights: 0.96×25×2 + 20 + 16/15×30 = 48 + 20 + 32.
    (["25", "25", "20", "15", "15"], DEFAULT_MAXIMA, DEFAULT_WEIGHTS, Fraction(100), Decimal("100.00")),
    # Nothing scored is 0.
    (["0", "0", "0", "0", "0"], DEFAULT_MAXIMA, DEFAULT_WEIGHTS, Fraction(0), Decimal("0.00")),
    # Half up at the third decimal (1): maxima 40 / 10, weights 3 / 1 (Σw = 4):
    #   35/40 = 0.875 → 3 × 0.875 = 2.625
    #    8/10 = 0.8   → 1 × 0.8   = 0.8
    #   Σ = 3.425; 100 × 3.425 / 4 = 85.625 exactly → 85.63 (half up).
    #   Rounding half to even, or Python's round() on the float, gives 85.62.
    (["35", "8"], ["40", "10"], ["3", "1"], Fraction(685, 8), Decimal("85.63")),
    # Half up at the third decimal (2): maxima 40 / 10 / 10, weights 0.3 / 0.3 / 0.4 (Σw = 1):
    #   11.5/40 = 0.2875 → 0.3 × 0.2875 = 0.08625
    #      1/10 = 0.1    → 0.3 × 0.1    = 0.03
    #      1/10 = 0.1    → 0.4 × 0.1    = 0.04
    #   Σ = 0.15625; 100 × 0.15625 / 1 = 15.625 exactly → 15.63.
    #   In binary floating point this comes out as 15.624999999999998, which
    #   rounds to 15.62: the stored total must come from the Decimal version.
    (["11.5", "1", "1"], ["40", "10", "10"], ["0.3", "0.3", "0.4"], Fraction(125, 8), Decimal("15.63")),
]  # fmt: skip


def exact(values, maxima, weights) -> Fraction:
    """The total as an exact fraction, independent of the code under test."""
    v = [Fraction(str(x)) for x in values]
    m = [Fraction(str(x)) for x in maxima]
    w = [Fraction(str(x)) for x in weights]
    return 100 * sum(wi * vi / mi for vi, mi, wi in zip(v, m, w, strict=True)) / sum(w)


@pytest.mark.parametrize("values,maxima,weights,fraction,stored", WORKED)
def test_hand_computed_fraction_is_right(values, maxima, weights, fraction, stored):
    # Guards the worked examples themselves: the comment arithmetic matches the formula.
    assert exact(values, maxima, weights) == fraction


@pytest.mark.parametrize("values,maxima,weights,fraction,stored", WORKED)
def test_review_total_matches_hand_computed_example(values, maxima, weights, fraction, stored):
    total = review_total(values, maxima, weights)
    assert isinstance(total, Decimal)
    assert total == stored
    # Stored to exactly two decimals (the column is decimal_places=2).
    assert total.as_tuple().exponent == -2


@pytest.mark.parametrize("values,maxima,weights,fraction,stored", WORKED)
def test_review_total_accepts_decimals_and_floats_alike(values, maxima, weights, fraction, stored):
    # The service passes Decimals from the database; the same total either way.
    as_decimal = review_total(
        [Decimal(v) for v in values], [Decimal(m) for m in maxima], [Decimal(w) for w in weights]
    )
    as_float = review_total(
        [float(v) for v in values], [float(m) for m in maxima], [float(w) for w in weights]
    )
    assert as_decimal == as_float == stored


def test_rounding_is_half_up_not_half_even():
    # 85.625 and 15.625 end in 5 at the third decimal (see WORKED): half up gives .63.
    assert review_total(["35", "8"], ["40", "10"], ["3", "1"]) == Decimal("85.63")
    assert review_total(["11.5", "1", "1"], ["40", "10", "10"], ["0.3", "0.3", "0.4"]) == Decimal(
        "15.63"
    )
    # Half-even would round these down; so would round() on the float result.
    assert round(85.625, 2) == 85.62
    assert round(float(review_totals([[11.5, 1, 1]], [40, 10, 10], [0.3, 0.3, 0.4])[0]), 2) == 15.62


def test_rounding_below_half_goes_down():
    # Maxima 30 / 20, weights 2 / 1 (Σw = 3); s = 10, 7:
    #   2 × 10/30 = 0.6666…, 1 × 7/20 = 0.35; Σ = 1.01666…
    #   100 × 1.01666… / 3 = 33.888… → 33.89 (up, the third decimal is 8)
    assert review_total(["10", "7"], ["30", "20"], ["2", "1"]) == Decimal("33.89")
    # s = 10, 6: 0.6666… + 0.3 = 0.9666…; × 100 / 3 = 32.222… → 32.22 (down)
    assert review_total(["10", "6"], ["30", "20"], ["2", "1"]) == Decimal("32.22")


def test_weights_matter_not_just_fractions_of_maxima():
    # The same marks (full on the first criterion, nothing on the second) weigh
    # differently: weights 3 / 1 → 100 × 3/4 = 75; weights 1 / 3 → 100 × 1/4 = 25.
    assert review_total(["40", "0"], ["40", "10"], ["3", "1"]) == Decimal("75.00")
    assert review_total(["40", "0"], ["40", "10"], ["1", "3"]) == Decimal("25.00")
    # And the maximum matters: 10 out of 40 (weight 1) is 25 %, 10 out of 10 is 100 %.
    assert review_total(["10", "10"], ["40", "10"], ["1", "1"]) == Decimal("62.50")


def test_review_total_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        review_total(["10", "10"], ["40", "10", "10"], ["1", "1", "1"])


def test_review_totals_matches_each_worked_example():
    # Rows with the same number of criteria go through in one call.
    rows = [w for w in WORKED if len(w[0]) == 5]
    values = np.array([[float(v) for v in row[0]] for row in rows])
    totals = review_totals(
        values,
        np.array([float(m) for m in DEFAULT_MAXIMA]),
        np.array([float(w) for w in DEFAULT_WEIGHTS]),
    )
    assert totals.shape == (len(rows),)
    for total, row in zip(totals, rows, strict=True):
        assert total == pytest.approx(float(row[3]), abs=1e-9)


@pytest.mark.parametrize("values,maxima,weights,fraction,stored", WORKED)
def test_numpy_and_decimal_versions_agree(values, maxima, weights, fraction, stored):
    (total,) = review_totals(
        np.array([[float(v) for v in values]]),
        np.array([float(m) for m in maxima]),
        np.array([float(w) for w in weights]),
    )
    # The unrounded float is the exact value up to floating-point noise...
    assert total == pytest.approx(float(fraction), abs=1e-9)
    # ...and the stored Decimal is that value rounded to two places.
    assert abs(float(review_total(values, maxima, weights)) - total) <= 0.005 + 1e-9


def test_numpy_and_decimal_versions_agree_on_many_random_reviews():
    rng = np.random.default_rng(2020)
    maxima = np.array([25.0, 25.0, 20.0, 15.0, 15.0, 10.0])
    weights = np.array([1.2, 1.2, 1.0, 0.8, 0.8, 0.35])
    # Scores on the 0.5 grid, each within its maximum.
    values = np.floor(rng.random((500, maxima.size)) * (maxima * 2 + 1)) / 2
    assert (values <= maxima).all()
    totals = review_totals(values, maxima, weights)
    for row, total in zip(values, totals, strict=True):
        decimal = review_total(row.tolist(), maxima.tolist(), weights.tolist())
        assert total == pytest.approx(float(exact(row.tolist(), maxima, weights)), abs=1e-9)
        assert abs(float(decimal) - total) <= 0.005 + 1e-9


def test_spread_is_the_sample_standard_deviation():
    # Totals 40 and 90: mean 65, deviations ±25 → σ = √((625 + 625) / (2 − 1)) = 35.355…
    # (the progress page flags a spread above 15).
    assert spread([40, 90]) == pytest.approx(1250**0.5)
    # 70, 80, 90: mean 80, squared deviations 100, 0, 100 → σ = √(200 / 2) = 10.
    assert spread([70, 80, 90]) == pytest.approx(10.0)
    # One review or none has no spread.
    assert spread([55]) == 0.0
    assert spread([]) == 0.0
