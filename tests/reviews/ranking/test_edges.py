"""Edge cases of the ranking, through the database: cases without reviews, the tie-break
and the normalised basis in the stability bootstrap (compute_ranking → statistics).

Totals are whole numbers (tests/factories.py: scores_for), worked out by hand below; the
pure arithmetic behind each is in test_ranking_math.py.
"""

import pytest

from reform_cases.models import CampaignStatus
from reviews.models import RankingBasis, RankingConfig, RankingEntry, RankingFlag
from reviews.ranking import services as ranking
from tests.factories import (
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    experts_without_profile,
    make_closed_round,
    ranking_campaign,
)

TIE = RankingFlag.BOUNDARY_TIE.value


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方")


def entry_of(round, case):
    return RankingEntry.objects.select_related("proposed_tier", "final_tier").get(
        round=round, case=case
    )


def test_cases_without_reviews_are_no_boundary_tie_and_do_not_block_the_lock(admin):
    # Quotas best 1, excellent 2: places 1 | 2 3. A (90) is best, B (80) excellent; C and D
    # have no reviews. The boundary after place 3 falls between C and D, which have no value
    # to be tied on: no rank, no tier, no boundary-tie flag, and the ranking can be locked.
    campaign = ranking_campaign(best=1, excellent=2)
    a, b, c, d = (accepted_case_for_ranking(campaign, f"案例{x}") for x in "ABCD")
    round = make_closed_round(campaign, cases=[c, d])
    add_reviews(round, {a: [90, 90, 90], b: [80, 80, 80]})
    for tie_break in (False, True):
        ranking.set_tie_break(review_round=round, by=admin, apply=tie_break)
        assert entry_of(round, a).final_tier == campaign.best
        assert entry_of(round, b).final_tier == campaign.excellent
        for case in (c, d):
            entry = entry_of(round, case)
            assert entry.n_reviews == 0
            assert entry.rank is None and entry.proposed_tier is None
            assert entry.final_tier is None
            assert TIE not in entry.flags
            assert entry.stability == {"best": 0.0, "excellent": 0.0}
        assert ranking.unresolved(round) == []
    ranking.lock_ranking(review_round=round, by=admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED


def test_compute_ranking_passes_the_tie_break_to_the_bootstrap(admin):
    # Quotas 1 | 1. A has totals 84 and 86 (mean 85), B one total of 85: tied at 85.00.
    # Without the tie-break the tie is left undecided; with it (medians 85 and 85, spreads
    # √2 and 0) B is best. In a resample A draws 86 86 (1/4, A best), 84 84 (1/4, B best) or
    # 84 86 (1/2, a tie at 85.00 that the tie-break gives to B; without it, chance decides):
    # A is best in ≈ 1/2 of resamples without the tie-break, ≈ 1/4 with it.
    campaign = ranking_campaign(best=1, excellent=1)
    a, b = (accepted_case_for_ranking(campaign, f"案例{x}") for x in "AB")
    round = make_closed_round(campaign)
    add_reviews(round, {a: [84, 86], b: [85]})

    ranking.compute_ranking(review_round=round, by=admin)
    ea, eb = entry_of(round, a), entry_of(round, b)
    assert TIE in ea.flags and TIE in eb.flags
    assert ea.stability["best"] == pytest.approx(0.5, abs=0.05)

    ranking.set_tie_break(review_round=round, by=admin, apply=True)
    ea, eb = entry_of(round, a), entry_of(round, b)
    assert (ea.proposed_tier, eb.proposed_tier) == (campaign.excellent, campaign.best)
    assert ea.stability["best"] == pytest.approx(0.25, abs=0.05)
    assert eb.stability["best"] == pytest.approx(0.75, abs=0.05)


def test_the_normalised_basis_is_renormalised_in_each_resample(admin):
    # Expert L scored cases 0–3 (50 54 56 62) and case 4 (58), M case 4 (72), Q case 5 (68).
    # Normalised for the round: L's mean 56, spread 4; pooled mean 60, spread √(368/7) = 7.25;
    # case 3 → 60 + 1.5 × 7.25 = 70.88, best; case 5 stays 68 (Q has one review).
    # Only case 4 has two reviews. Resampled, it draws L58 M72 (1/2: the round, case 3 best),
    # L58 L58 (1/4: L re-normalised over six reviews, case 3 → 66.13 < 68, case 5 best) or
    # M72 M72 (1/4: L drew four reviews and keeps raw totals, case 4 → 72, best).
    # So case 5 is best in ≈ 1/4 of resamples (never, if normalised once and then resampled).
    campaign = ranking_campaign(best=1, excellent=1)
    lenient, middle, other = experts_without_profile(3)
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(6)]
    plan = {case: [(lenient, total)] for case, total in zip(cases, [50, 54, 56, 62], strict=False)}
    plan[cases[4]] = [(lenient, 58), (middle, 72)]
    plan[cases[5]] = [(other, 68)]
    round = make_closed_round(campaign)
    add_reviews(round, plan)
    RankingConfig.objects.create(campaign=campaign, basis=RankingBasis.NORMALISED)

    ranking.compute_ranking(review_round=round, by=admin)
    entries = [entry_of(round, case) for case in cases]
    assert entries[3].basis_value == pytest.approx(60 + 1.5 * (368 / 7) ** 0.5)  # 70.88
    assert entries[3].proposed_tier == campaign.best
    best = [e.stability["best"] for e in entries]
    assert best[:3] == [0, 0, 0]
    assert best[3] == pytest.approx(0.5, abs=0.05)
    assert best[4] == pytest.approx(0.25, abs=0.05)
    assert best[5] == pytest.approx(0.25, abs=0.05)


def test_published_scores_are_rounded_exactly_as_the_ranking_compares_them():
    """The mean of 95.67, 83.41, 78.85 and 90.93 is 87.215; summed in one order it is
    87.21499999999999. The ranking compares it as 87.22 (to_cents), so the published
    score and the export say 87.22 too, never 87.21."""
    from decimal import Decimal

    from reviews.ranking.services import two_place_decimal

    assert two_place_decimal(87.21499999999999) == Decimal("87.22")
    assert two_place_decimal(87.215) == Decimal("87.22")
    assert two_place_decimal(-2.125) == Decimal("-2.13")


def test_rewriting_many_changed_rows_gives_the_same_ranking_and_keeps_overrides(db, monkeypatch):
    """Past REWRITE_FROM changed rows, compute_ranking rewrites them as new rows instead of
    updating them: the entries must come out as a computation from scratch would give
    them, and an overridden entry (its override refers to it) stays the same row."""
    from reviews.models import RankingEntry
    from reviews.ranking import services as ranking
    from tests.factories import (
        UserFactory,
        accepted_case_for_ranking,
        add_reviews,
        make_closed_round,
        ranking_campaign,
    )

    admin = UserFactory(administrator=True)
    campaign = ranking_campaign(best=1, excellent=2)
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(5)]
    final = make_closed_round(campaign)
    add_reviews(
        final,
        {cases[0]: [90, 60, 88], cases[1]: [80, 82, 81], cases[2]: [70, 95, 70],
         cases[3]: [60, 61, 63], cases[4]: [50, 52, 96]},
    )  # fmt: skip
    ranking.compute_ranking(review_round=final, by=admin)
    kept = RankingEntry.objects.get(round=final, case=cases[3])
    ranking.override_tier(entry=kept, by=admin, tier=campaign.excellent, reason="委员会意见")
    monkeypatch.setattr(ranking, "REWRITE_FROM", 1)

    ranking.compute_ranking(review_round=final, by=admin, basis="median")

    def table():
        return sorted(
            RankingEntry.objects.filter(round=final).values_list(
                "case_id", "rank", "basis_value", "proposed_tier_id", "final_tier_id", "overridden"
            )
        )

    rewritten = table()
    assert RankingEntry.objects.get(round=final, case=cases[3]).pk == kept.pk
    # From scratch: the same ranking once the entries (but not the override) are rebuilt.
    RankingEntry.objects.filter(round=final, overridden=False).delete()
    monkeypatch.setattr(ranking, "REWRITE_FROM", 10**9)
    ranking.compute_ranking(review_round=final, by=admin)
    assert table() == rewritten
