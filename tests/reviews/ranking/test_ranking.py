"""Ranking a round into tiers, through the database: compute, flags, overrides, lock, shortlist,
export, who may see it, and the ranking page's queries.

Rounds are built with the ORM (tests/factories.py): raw per-criterion scores whose
weighted totals are whole numbers, so every aggregate below can be checked by hand.
"""

import io
import math
import re
from urllib.parse import quote

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common.exceptions import InvalidTransition
from reform_cases.models import CampaignStatus, CampaignStatusChange
from reviews.models import (
    RankingBasis,
    RankingConfig,
    RankingEntry,
    RankingFlag,
    Review,
    ReviewStatus,
    RoundEvent,
    RoundEventKind,
    Score,
    TierOverride,
)
from reviews.ranking import services as ranking
from tests.factories import (
    CountyFactory,
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    bulk_cases,
    experts_without_profile,
    make_closed_round,
    ranking_campaign,
    scores_for,
)

DISAGREEMENT = RankingFlag.DISAGREEMENT.value
FEW = RankingFlag.FEW_REVIEWS.value
TIE = RankingFlag.BOUNDARY_TIE.value
BORDERLINE = RankingFlag.BORDERLINE.value
SHORTLIST_TIE = RankingFlag.SHORTLIST_TIE.value


def ranking_url(round, suffix=""):
    return f"/manage/rounds/{round.pk}/ranking/{suffix}"


def entry_of(round, case):
    return RankingEntry.objects.select_related("proposed_tier", "final_tier").get(
        round=round, case=case
    )


def row_html(html: str, entry) -> str:
    """The <tr> of one entry on the ranking page."""
    match = re.search(rf'<tr id="entry-{entry.pk}".*?</tr>', html, re.S)
    assert match, f"entry {entry.pk} not on the page"
    return match.group(0)


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方张三")


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


# --- a worked example: aggregates ------------------------------------------------------


@pytest.fixture
def worked_round(admin):
    """Four cases of one round with the aggregates worked out below, plus noise to ignore.

    七份 (7 reviews): 96 58 70 78 68 76 72 → mean 74, median 72,
        trimmed (68+70+72+76+78)/5 = 72.8, sample std √(816/6) = √136 = 11.66
    三份 (3 reviews): 95 50 65 → mean = trimmed = 70, median 65, std √(1050/2) = √525 = 22.91
    两份 (2 reviews): 80 84 → mean = trimmed = median = 82, std √8 = 2.83
    无评审 (none): no figures.
    A draft review of 12 on 三份 and a case outside the round must change nothing.
    """
    campaign = ranking_campaign(best=1, excellent=1)
    cases = {
        title: accepted_case_for_ranking(campaign, title)
        for title in ("七份", "三份", "两份", "无评审")
    }
    outside = accepted_case_for_ranking(campaign, "不在本轮")
    round = make_closed_round(campaign, cases=cases.values())
    pool = add_reviews(
        round,
        {
            cases["七份"]: [96, 58, 70, 78, 68, 76, 72],
            cases["三份"]: [95, 50, 65],
            cases["两份"]: [80, 84],
        },
    )
    add_reviews(
        round, {cases["三份"]: [(experts_without_profile(1)[0], 12)]}, status=ReviewStatus.DRAFT
    )
    other_round = make_closed_round(campaign, order=2, name="复评")
    add_reviews(other_round, {outside: [20, 20, 20]}, pool=pool)
    return round, cases, outside


def test_compute_writes_one_entry_per_case_with_the_worked_aggregates(worked_round, admin):
    round, cases, outside = worked_round

    entries = ranking.compute_ranking(review_round=round, by=admin)

    assert len(entries) == 4
    assert RankingEntry.objects.filter(round=round).count() == 4
    assert not RankingEntry.objects.filter(round=round, case=outside).exists()

    seven = entry_of(round, cases["七份"])
    assert seven.n_reviews == 7
    assert seven.mean == pytest.approx(74)
    assert seven.median == pytest.approx(72)
    assert seven.trimmed_mean == pytest.approx(72.8)
    assert seven.std == pytest.approx(math.sqrt(136))
    assert seven.basis_value == pytest.approx(72.8)  # default basis: trimmed mean
    assert seven.rank == 2  # 两份 (82) > 七份 (72.8) > 三份 (70)
    assert seven.proposed_tier == seven.final_tier == round.campaign.excellent

    three = entry_of(round, cases["三份"])
    assert three.n_reviews == 3  # the draft review is not counted
    assert three.mean == pytest.approx(70)
    assert three.trimmed_mean == pytest.approx(70)  # fewer than 5: not trimmed
    assert three.median == pytest.approx(65)
    assert three.std == pytest.approx(math.sqrt(525))
    assert three.rank == 3
    assert three.final_tier is None  # quotas 1 + 1, third place

    two = entry_of(round, cases["两份"])
    assert (two.n_reviews, two.mean, two.median) == (2, pytest.approx(82), pytest.approx(82))
    assert two.std == pytest.approx(math.sqrt(8))
    assert two.rank == 1
    assert two.final_tier == round.campaign.best

    none = entry_of(round, cases["无评审"])
    assert none.n_reviews == 0
    assert none.mean is none.median is none.trimmed_mean is none.basis_value is None
    assert none.rank is None and none.final_tier is None


def test_compute_twice_keeps_one_entry_per_case(worked_round, admin):
    round, _cases, _outside = worked_round
    ranking.compute_ranking(review_round=round, by=admin)
    ranking.compute_ranking(review_round=round, by=admin)
    assert RankingEntry.objects.filter(round=round).count() == 4


def test_ranking_page_shows_the_worked_figures(worked_round, admin, admin_client):
    round, cases, _outside = worked_round
    ranking.compute_ranking(review_round=round, by=admin)

    html = admin_client.get(ranking_url(round)).content.decode()

    row = row_html(html, entry_of(round, cases["七份"]))
    for figure in ("74.00", "72.00", "72.80", "11.66"):
        assert f"<td>{figure}</td>" in row or f">{figure}</td>" in row, figure
    assert "优秀实践案例" in row
    row = row_html(html, entry_of(round, cases["三份"]))
    assert "22.91" in row and "分歧较大" in row
    row = row_html(html, entry_of(round, cases["两份"]))
    assert "评审份数不足" in row
    # The page explains the rules it applies.
    assert "少于 5 份的专家保持原始分" in html
    assert "去掉一个最高分和一个最低分" in html


# --- lenient and strict experts ----------------------------------------------------------


def test_normalised_basis_reverses_a_lenient_and_a_strict_experts_cases(admin):
    """L (lenient) scored 84 88 90 92 96, S (strict) 58 66 70 74 82, one case each.

    Case A got L's 84 (L's lowest: z = −1.5), case B got S's 82 (S's highest: z = +1.5).
    Pooled mean 80, pooled std √140: A → 80 − 1.5·√140 = 62.25, B → 80 + 1.5·√140 = 97.75.
    By the mean A is above B; by the normalised mean B is above A.
    """
    campaign = ranking_campaign(best=2, excellent=3)
    lenient, strict = experts_without_profile(2)
    a = accepted_case_for_ranking(campaign, "A案例")
    b = accepted_case_for_ranking(campaign, "B案例")
    plan = {a: [(lenient, 84)], b: [(strict, 82)]}
    for i, total in enumerate([88, 90, 92, 96]):
        plan[accepted_case_for_ranking(campaign, f"宽松专家评的案例{i}")] = [(lenient, total)]
    for i, total in enumerate([58, 66, 70, 74]):
        plan[accepted_case_for_ranking(campaign, f"严格专家评的案例{i}")] = [(strict, total)]
    round = make_closed_round(campaign)
    add_reviews(round, plan)
    RankingConfig.objects.create(campaign=campaign, basis=RankingBasis.MEAN)

    ranking.compute_ranking(review_round=round, by=admin)
    ea, eb = entry_of(round, a), entry_of(round, b)
    assert ea.mean == pytest.approx(84) and eb.mean == pytest.approx(82)
    assert ea.rank < eb.rank

    RankingConfig.objects.filter(campaign=campaign).update(basis=RankingBasis.NORMALISED)
    ranking.compute_ranking(review_round=round, by=admin)
    ea, eb = entry_of(round, a), entry_of(round, b)
    assert ea.normalised_mean == pytest.approx(80 - 1.5 * math.sqrt(140))
    assert eb.normalised_mean == pytest.approx(80 + 1.5 * math.sqrt(140))
    assert eb.basis_value == pytest.approx(eb.normalised_mean)
    assert eb.rank < ea.rank
    assert eb.final_tier == campaign.best


def test_compute_view_sets_the_basis(admin_client, admin):
    campaign = ranking_campaign(best=1, excellent=1)
    c = accepted_case_for_ranking(campaign, "某案例")
    round = make_closed_round(campaign)
    add_reviews(round, {c: [40, 50, 60, 70, 96]})

    r = admin_client.post(ranking_url(round, "compute/"), {"basis": "median"}, follow=True)

    assert "排名已计算:1 个案例" in r.content.decode()
    assert ranking.config_for(campaign).basis == RankingBasis.MEDIAN
    assert entry_of(round, c).basis_value == pytest.approx(60)  # the median, not 63.33


# --- flags, ties at a boundary, stability -------------------------------------------------


# Quotas best 2, excellent 3; five reviews each unless said otherwise.
#   W  92 93 94 95 96  trimmed 94                 → best, stable
#   X  80 84 85 86 90  trimmed 85, median 85      ┐ tied at 85.00 for the 2nd place:
#   Y  70 84 84 87 95  trimmed 85, median 84      ┘ straddle best/excellent → undecided
#   C1 76 78 80 82 84  trimmed 80                 → excellent
#   C2 60 70 75 80 90  trimmed 75                 → excellent (last place), C3 is close
#   C3 55 68 74 81 95  trimmed (68+74+81)/3 = 74.33 → no tier
#   D  30 60 90        mean 60, std √(1800/2) = 30 → wide disagreement
#   G  50 65 80        std √(450/2) = 15 exactly  → not above the threshold
#   E  50 52           two reviews                → too few
#   F  —               no review                  → too few
TIED = {
    "W": [92, 93, 94, 95, 96],
    "X": [80, 84, 85, 86, 90],
    "Y": [70, 84, 84, 87, 95],
    "C1": [76, 78, 80, 82, 84],
    "C2": [60, 70, 75, 80, 90],
    "C3": [55, 68, 74, 81, 95],
    "D": [30, 60, 90],
    "G": [50, 65, 80],
    "E": [50, 52],
    "F": [],
}


@pytest.fixture
def tied(admin):
    campaign = ranking_campaign(best=2, excellent=3)
    cases = {key: accepted_case_for_ranking(campaign, f"案例{key}") for key in TIED}
    round = make_closed_round(campaign, cases=cases.values())
    add_reviews(round, {cases[k]: totals for k, totals in TIED.items() if totals})
    ranking.compute_ranking(review_round=round, by=admin)
    entries = {k: entry_of(round, c) for k, c in cases.items()}
    return round, cases, entries


def test_flags(tied):
    _round, _cases, e = tied
    assert e["W"].flags == []
    assert e["W"].stability == {"best": 1.0, "excellent": 0.0}
    assert DISAGREEMENT in e["D"].flags and e["D"].std == pytest.approx(30)
    assert FEW in e["E"].flags and FEW in e["F"].flags
    assert FEW not in e["D"].flags  # three reviews is the default minimum
    for key in ("X", "Y"):
        assert TIE in e[key].flags and BORDERLINE in e[key].flags
    for key in ("W", "C1", "C2", "C3", "D", "G"):
        assert TIE not in e[key].flags


def test_a_spread_of_exactly_the_threshold_is_not_wide_disagreement(tied, admin_client):
    # G: 50 65 80 → deviations −15 0 +15, sample variance 450 / 2 = 225, std 15.00.
    # The rule is "above 15"; the page shows 15.00 for it, so it must not be flagged.
    round, _cases, e = tied
    assert e["G"].std == pytest.approx(15)
    assert "<td>15.00</td>" in row_html(
        admin_client.get(ranking_url(round)).content.decode(), e["G"]
    )
    assert DISAGREEMENT not in e["G"].flags


def test_boundary_tie_is_left_undecided(tied):
    round, _cases, e = tied
    assert e["W"].rank == 1 and e["W"].final_tier == round.campaign.best
    assert e["X"].rank == e["Y"].rank == 2
    assert e["X"].basis_value == pytest.approx(85) and e["Y"].basis_value == pytest.approx(85)
    assert e["X"].proposed_tier is None and e["Y"].proposed_tier is None
    assert e["X"].final_tier is None and e["Y"].final_tier is None
    assert e["C1"].final_tier == e["C2"].final_tier == round.campaign.excellent
    assert e["C3"].final_tier is None
    assert e["C3"].basis_value == pytest.approx(223 / 3)


def test_borderline_case_below_80_percent_in_its_tier(tied):
    _round, _cases, e = tied
    # C2 holds the last excellent place by 0.67 points over C3: resampling often swaps them.
    assert e["C2"].stability["excellent"] < 0.8
    assert BORDERLINE in e["C2"].flags
    # Stability shares are stored per tier code and add up to at most 1.
    for entry in e.values():
        assert set(entry.stability) == {"best", "excellent"}
        assert sum(entry.stability.values()) <= 1.0 + 1e-9


def test_ranking_page_marks_the_undecided_cases(tied, admin_client):
    round, _cases, e = tied
    html = admin_client.get(ranking_url(round)).content.decode()
    for key in ("X", "Y"):
        row = row_html(html, e[key])
        assert "待定" in row and "等次边界并列" in row and "等次不稳定" in row
    assert "最佳实践案例 100%" in row_html(html, e["W"])


def test_tie_break_resolves_the_tie_by_the_higher_median(tied, admin, admin_client):
    round, cases, _e = tied
    r = admin_client.post(ranking_url(round, "tie-break/"), {"apply": "1"})
    assert r.status_code == 302
    assert ranking.config_for(round.campaign).tie_break is True
    x, y = entry_of(round, cases["X"]), entry_of(round, cases["Y"])
    assert x.final_tier == round.campaign.best  # median 85 beats median 84
    assert y.final_tier == round.campaign.excellent
    assert TIE not in x.flags and TIE not in y.flags
    assert (x.rank, y.rank) == (2, 3)

    admin_client.post(ranking_url(round, "tie-break/"), {"apply": "0"})
    assert entry_of(round, cases["X"]).final_tier is None  # withdrawn: undecided again


# --- overrides ----------------------------------------------------------------------------


def test_override_requires_a_reason(tied, admin):
    round, _cases, e = tied
    with pytest.raises(ValidationError) as exc:
        ranking.override_tier(entry=e["C1"], by=admin, tier=round.campaign.best, reason="  ")
    assert "理由" in " ".join(exc.value.messages)
    assert not TierOverride.objects.exists()
    assert entry_of(round, e["C1"].case).final_tier == round.campaign.excellent


def test_override_is_recorded_and_shown_beside_the_case(tied, admin, admin_client):
    round, cases, e = tied
    reason = "评审组复核后认为该案例推广价值突出"

    r = admin_client.post(
        ranking_url(round, f"{e['C1'].pk}/override/"),
        {"tier": round.campaign.best.pk, "reason": reason},
        follow=True,
    )

    assert "等次已调整并记录" in r.content.decode()
    record = TierOverride.objects.get()
    assert record.entry == e["C1"]
    assert record.actor == admin
    assert record.old_tier == round.campaign.excellent
    assert record.new_tier == round.campaign.best
    assert record.reason == reason
    assert record.at is not None
    entry = entry_of(round, cases["C1"])
    assert entry.final_tier == round.campaign.best and entry.overridden
    assert entry.proposed_tier == round.campaign.excellent  # the proposal is kept

    row = row_html(admin_client.get(ranking_url(round)).content.decode(), entry)
    assert "组织方张三" in row
    assert "优秀实践案例 → 最佳实践案例" in row
    assert reason in row
    assert "建议:优秀实践案例" in row


def test_override_view_without_a_reason_changes_nothing(tied, admin_client):
    round, cases, e = tied
    r = admin_client.post(
        ranking_url(round, f"{e['C1'].pk}/override/"),
        {"tier": round.campaign.best.pk, "reason": ""},
        follow=True,
    )
    assert "调整等次必须填写理由" in r.content.decode()
    assert not TierOverride.objects.exists()
    assert entry_of(round, cases["C1"]).final_tier == round.campaign.excellent


def test_override_to_no_award_and_of_an_undecided_case(tied, admin):
    round, cases, e = tied
    ranking.override_tier(entry=e["C2"], by=admin, tier=None, reason="材料不实")
    ranking.override_tier(entry=e["X"], by=admin, tier=round.campaign.best, reason="委员会决定")
    assert entry_of(round, cases["C2"]).final_tier is None
    records = {r.entry.case.title: r for r in TierOverride.objects.select_related("entry__case")}
    assert records["案例C2"].old_tier == round.campaign.excellent
    assert records["案例C2"].new_tier is None
    assert records["案例X"].old_tier is None  # undecided → best


def test_recompute_keeps_overrides(tied, admin):
    round, cases, e = tied
    ranking.override_tier(entry=e["C1"], by=admin, tier=round.campaign.best, reason="复核")

    ranking.compute_ranking(review_round=round, by=admin)

    entry = entry_of(round, cases["C1"])
    assert entry.overridden
    assert entry.final_tier == round.campaign.best
    assert entry.proposed_tier == round.campaign.excellent
    assert TierOverride.objects.filter(entry=entry).count() == 1


# --- a recompute writes only what changed -----------------------------------------------------


def entry_rows(round):
    """Every stored figure of the round's ranking, by case."""
    return sorted(
        RankingEntry.objects.filter(round=round).values_list(
            "case_id", "n_reviews", "mean", "median", "trimmed_mean", "std", "normalised_mean",
            "basis_value", "rank", "proposed_tier_id", "final_tier_id", "overridden", "flags",
            "stability",
        )
    )  # fmt: skip


@pytest.fixture
def entry_updates(monkeypatch):
    """[(case ids, field names)] of every bulk_update of ranking entries."""
    calls, original = [], QuerySet.bulk_update

    def spy(self, objs, fields, batch_size=None):
        objs = list(objs)
        if self.model is RankingEntry:
            calls.append(({e.case_id for e in objs}, set(fields)))
        return original(self, objs, fields, batch_size=batch_size)

    monkeypatch.setattr(QuerySet, "bulk_update", spy)
    return calls


def test_recompute_with_nothing_new_writes_no_entry(tied, admin, entry_updates):
    round, _cases, _e = tied
    before = entry_rows(round)

    with CaptureQueriesContext(connection) as captured:
        entries = ranking.compute_ranking(review_round=round, by=admin)

    writes = [
        q["sql"]
        for q in captured.captured_queries
        if re.match(r'(UPDATE|INSERT INTO|DELETE FROM) "reviews_rankingentry"', q["sql"])
    ]
    assert writes == [] and entry_updates == []
    assert len(entries) == len(TIED)
    assert entry_rows(round) == before
    # The computation is recorded all the same.
    computed = RoundEvent.objects.filter(round=round, kind=RoundEventKind.RANKING_COMPUTED)
    assert computed.count() == 2


def test_recompute_after_a_changed_score_writes_the_changed_rows_only(tied, admin, entry_updates):
    round, cases, _e = tied
    # E's first review (50) becomes 96: E's figures and its rank change; W's do not.
    review = Review.objects.filter(assignment__round=round, assignment__case=cases["E"]).earliest(
        "pk"
    )
    for score, value in zip(
        review.scores.order_by("criterion__order"), scores_for(96), strict=True
    ):
        Score.objects.filter(pk=score.pk).update(value=value)

    ranking.compute_ranking(review_round=round, by=admin)

    def fields_of(key):
        return set().union(*(f for case_ids, f in entry_updates if cases[key].pk in case_ids))

    assert {"mean", "median", "trimmed_mean", "std", "rank", "flags"} <= fields_of("E")
    assert not fields_of("F")  # no reviews: nothing of it can change, it is not written
    assert not {"mean", "median", "rank", "final_tier"} & fields_of("W")  # only what changed
    e_row = entry_of(round, cases["E"])
    assert (e_row.mean, e_row.n_reviews) == (pytest.approx(74), 2)
    # What was written equals a computation from scratch.
    incremental = entry_rows(round)
    RankingEntry.objects.filter(round=round).delete()
    ranking.compute_ranking(review_round=round, by=admin)
    assert entry_rows(round) == incremental


def test_override_refused_outside_the_ranking_status(tied, admin):
    round, _cases, e = tied
    type(round.campaign).objects.filter(pk=round.campaign.pk).update(
        status=CampaignStatus.REVIEWING
    )
    with pytest.raises(InvalidTransition):
        ranking.override_tier(entry=e["C1"], by=admin, tier=round.campaign.best, reason="复核")
    assert not TierOverride.objects.exists()


# --- lock ---------------------------------------------------------------------------------


def test_lock_refused_with_an_unresolved_boundary_tie_naming_the_cases(tied, admin):
    round, _cases, e = tied

    with pytest.raises(InvalidTransition) as exc:
        ranking.lock_ranking(review_round=round, by=admin)

    message = " ".join(exc.value.messages)
    assert "案例X" in message and "案例Y" in message
    round.campaign.refresh_from_db()
    assert round.campaign.status == CampaignStatus.RANKING

    # Deciding one of the two is not enough; the message now names only the other.
    ranking.override_tier(entry=e["X"], by=admin, tier=round.campaign.best, reason="委员会表决")
    with pytest.raises(InvalidTransition) as exc:
        ranking.lock_ranking(review_round=round, by=admin)
    message = " ".join(exc.value.messages)
    assert "案例Y" in message and "案例X" not in message


def test_lock_allowed_after_the_tie_is_decided(tied, admin, admin_client):
    round, _cases, e = tied
    ranking.override_tier(entry=e["X"], by=admin, tier=round.campaign.best, reason="委员会表决")
    ranking.override_tier(
        entry=e["Y"], by=admin, tier=round.campaign.excellent, reason="委员会表决"
    )

    r = admin_client.post(ranking_url(round, "lock/"), {"note": "评审委员会会议确认"}, follow=True)

    assert "排名已锁定" in r.content.decode()
    round.campaign.refresh_from_db()
    assert round.campaign.status == CampaignStatus.LOCKED
    change = CampaignStatusChange.objects.get(campaign=round.campaign)
    assert (change.from_status, change.to_status, change.actor) == ("ranking", "locked", admin)
    # Once locked, tiers can no longer be changed by hand.
    with pytest.raises(InvalidTransition):
        ranking.override_tier(entry=e["C1"], by=admin, tier=None, reason="再调")


def test_lock_view_shows_the_refusal(tied, admin_client):
    round, _cases, _e = tied
    r = admin_client.post(ranking_url(round, "lock/"), follow=True)
    html = r.content.decode()
    assert "等次边界并列" in html and "案例X" in html
    round.campaign.refresh_from_db()
    assert round.campaign.status == CampaignStatus.RANKING


@pytest.mark.parametrize(
    "status", [CampaignStatus.REVIEWING, CampaignStatus.LOCKED, CampaignStatus.NOTICE]
)
def test_lock_refused_unless_the_campaign_is_ranking(admin, status):
    campaign = ranking_campaign(best=1, excellent=1)
    case = accepted_case_for_ranking(campaign, "唯一案例")
    round = make_closed_round(campaign)
    add_reviews(round, {case: [70, 80, 90]})
    ranking.compute_ranking(review_round=round, by=admin)
    type(campaign).objects.filter(pk=campaign.pk).update(status=status)

    with pytest.raises(InvalidTransition) as exc:
        ranking.lock_ranking(review_round=round, by=admin)

    expected = {
        CampaignStatus.REVIEWING: "进入“排名”阶段后才能调整和锁定排名",
        CampaignStatus.LOCKED: "排名已锁定",
        CampaignStatus.NOTICE: "评选结果公示中",
    }[status]
    assert expected in " ".join(exc.value.messages)
    campaign.refresh_from_db()
    assert campaign.status == status
    assert not CampaignStatusChange.objects.filter(campaign=campaign).exists()


def test_lock_refused_before_the_ranking_is_computed(admin):
    campaign = ranking_campaign()
    round = make_closed_round(campaign, cases=[accepted_case_for_ranking(campaign, "案例")])
    with pytest.raises(InvalidTransition) as exc:
        ranking.lock_ranking(review_round=round, by=admin)
    assert "请先计算排名" in " ".join(exc.value.messages)


# --- shortlist into a later round ------------------------------------------------------------


@pytest.fixture
def two_rounds(admin):
    """Round 1 ranks 90 | 85 85 | 80 | 70 (ranks 1, 2, 2, 4, 5); round 2 is empty."""
    campaign = ranking_campaign(best=1, excellent=2)
    totals = {"甲": 90, "乙": 85, "丙": 85, "丁": 80, "戊": 70}
    cases = {k: accepted_case_for_ranking(campaign, f"入围{k}") for k in totals}
    first = make_closed_round(campaign)
    add_reviews(first, {cases[k]: [t, t, t] for k, t in totals.items()})
    second = make_closed_round(campaign, order=2, name="终评")
    ranking.compute_ranking(review_round=first, by=admin)
    return first, second, cases


def test_shortlist_with_a_tie_at_the_cut_is_refused_unless_ties_included(two_rounds, admin):
    first, second, cases = two_rounds

    with pytest.raises(InvalidTransition) as exc:
        ranking.shortlist(review_round=first, target=second, by=admin, top=2)
    assert "第 2 名处有 2 个案例并列" in " ".join(exc.value.messages)
    assert second.cases.count() == 0

    n = ranking.shortlist(review_round=first, target=second, by=admin, top=2, include_ties=True)

    assert n == 3
    assert set(second.cases.values_list("title", flat=True)) == {"入围甲", "入围乙", "入围丙"}
    assert SHORTLIST_TIE in entry_of(first, cases["乙"]).flags
    assert SHORTLIST_TIE in entry_of(first, cases["丙"]).flags
    assert SHORTLIST_TIE not in entry_of(first, cases["甲"]).flags


def test_refused_shortlist_leaves_the_tie_flagged_on_the_ranking_page(two_rounds, admin_client):
    # The service flags the tied cases, then refuses; the flag is meant to stay for the
    # committee to see beside the cases ("ties at the cut flagged").
    first, second, cases = two_rounds
    r = admin_client.post(
        ranking_url(first, "shortlist/"), {"target": second.pk, "top": 2}, follow=True
    )
    html = r.content.decode()
    assert "第 2 名处有 2 个案例并列" in html
    assert second.cases.count() == 0
    assert SHORTLIST_TIE in entry_of(first, cases["乙"]).flags
    assert "入围线并列" in row_html(html, entry_of(first, cases["丙"]))


def test_shortlist_without_a_tie_at_the_cut(two_rounds, admin_client):
    first, second, _cases = two_rounds
    r = admin_client.post(
        ranking_url(first, "shortlist/"), {"target": second.pk, "top": 3}, follow=True
    )
    assert "3 个案例入围“终评”" in r.content.decode()
    assert set(second.cases.values_list("title", flat=True)) == {"入围甲", "入围乙", "入围丙"}
    assert not any(SHORTLIST_TIE in e.flags for e in RankingEntry.objects.filter(round=first))


def test_shortlist_view_with_include_ties(two_rounds, admin_client):
    first, second, _cases = two_rounds
    admin_client.post(
        ranking_url(first, "shortlist/"), {"target": second.pk, "top": 2, "include_ties": "on"}
    )
    assert second.cases.count() == 3


def test_shortlist_only_into_a_later_round(two_rounds, admin):
    first, second, _cases = two_rounds
    with pytest.raises(ValidationError):
        ranking.shortlist(review_round=second, target=first, by=admin, top=1)
    with pytest.raises(ValidationError):
        ranking.shortlist(review_round=first, target=second, by=admin, top=0)


def test_computing_a_round_without_cases_yet(two_rounds, admin_client):
    # The final round before anything is shortlisted into it: computing shows an empty table.
    _first, second, _cases = two_rounds
    r = admin_client.post(ranking_url(second, "compute/"), follow=True)
    assert r.status_code == 200
    assert "排名已计算:0 个案例" in r.content.decode()
    assert not RankingEntry.objects.filter(round=second).exists()


def test_tiers_come_from_the_last_round(two_rounds, admin):
    first, second, _cases = two_rounds
    with pytest.raises(InvalidTransition) as exc:
        ranking.lock_ranking(review_round=first, by=admin)
    assert f"“{second.name}”" in " ".join(exc.value.messages)
    first.campaign.refresh_from_db()
    assert first.campaign.status == CampaignStatus.RANKING


# --- export ----------------------------------------------------------------------------------


def test_xlsx_export_reads_back(tied, admin_client):
    round, _cases, e = tied

    r = admin_client.get(ranking_url(round, "export.xlsx"))

    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    body = b"".join(r.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert header[:4] == ("名次", "案例名称", "申报单位", "评审份数")
    assert "去极值平均分" in header and "标准差" in header and "标准化平均分" in header
    assert header[-2:] == ("稳定性:最佳实践案例", "稳定性:优秀实践案例")
    assert len(data) == len(TIED)
    by_title = {row[1]: dict(zip(header, row, strict=True)) for row in data}

    w = by_title["案例W"]
    assert data[0][1] == "案例W" and w["名次"] == 1
    assert w["申报单位"] == e["W"].case.organisation.name
    assert w["评审份数"] == 5
    assert w["平均分"] == 94 and w["中位数"] == 94 and w["去极值平均分"] == 94
    assert w["标准差"] == pytest.approx(1.58)  # √2.5 to two decimals
    assert w["建议等次"] == w["最终等次"] == "最佳实践案例"
    assert w["稳定性:最佳实践案例"] == 1.0

    x = by_title["案例X"]
    assert x["名次"] == 2 and x["最终等次"] in ("", None)
    assert "等次边界并列" in x["标记"] and "等次不稳定" in x["标记"]
    c3 = by_title["案例C3"]
    assert c3["去极值平均分"] == pytest.approx(74.33)
    assert by_title["案例F"]["名次"] is None
    assert by_title["案例D"]["标记"] == "分歧较大"


# --- nothing of the ranking is visible outside the organising office ---------------------------

RANKING_GETS = ["", "export.xlsx"]
RANKING_POSTS = [
    "compute/",
    "tie-break/",
    "lock/",
    "reopen/",
    "shortlist/",
    "notice/",
    "{entry}/override/",
]
OUTSIDERS = ["anonymous", "locality", "other_locality", "expert", "deactivated"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_ranking_pages_refused_to_everyone_but_administrators(tied, client_for, role):
    round, _cases, e = tied
    client = client_for(role)
    for method, suffixes in (("get", RANKING_GETS), ("post", RANKING_POSTS)):
        for suffix in suffixes:
            url = ranking_url(round, suffix.format(entry=e["C1"].pk))
            data = {"tier": "", "reason": "x", "basis": "mean"} if method == "post" else None
            r = getattr(client, method)(url, data)
            if role in ("anonymous", "deactivated"):
                assert r.status_code == 302, url
                assert r["Location"].startswith("/accounts/login/?next=")
                assert r["Location"].endswith(quote(url))
            else:
                assert r.status_code == 403, url
            assert b"85.00" not in r.content
    round.campaign.refresh_from_db()
    assert round.campaign.status == CampaignStatus.RANKING
    assert not TierOverride.objects.exists()
    assert ranking.config_for(round.campaign).basis == RankingBasis.TRIMMED


def test_expert_of_the_round_cannot_see_the_ranking(tied):
    round, _cases, _e = tied
    reviewer = round.assignments.first().expert
    client = Client()
    client.force_login(reviewer)
    assert client.get(ranking_url(round)).status_code == 403
    assert client.get(ranking_url(round, "export.xlsx")).status_code == 403


def test_nothing_is_public_while_ranking(tied, client):
    round, cases, _e = tied
    year = round.campaign.year
    for url in (
        f"/results/{year}/",
        f"/results/{year}/stats/",
        f"/results/{year}/export.csv",
        f"/api/results/{year}.json",
        f"/cases/{cases['W'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert str(year) not in client.get("/results/").content.decode()


# --- the ranking page's queries do not grow with the round -------------------------------------


def _ranking_of(n, admin):
    """A round of n cases with entries written directly (bulk_create), a few overridden."""
    campaign = ranking_campaign(best=max(1, n // 10), excellent=max(1, n // 5))
    tiers = [campaign.best, campaign.excellent, None]
    unit = CountyFactory()
    cases = bulk_cases(campaign, n, organisation=unit, prefix=f"规模{n}案例")
    round = make_closed_round(campaign)
    round.cases.add(*cases)
    entries = RankingEntry.objects.bulk_create(
        [
            RankingEntry(
                round=round,
                case=case,
                n_reviews=5,
                mean=90 - i * 0.01,
                median=90 - i * 0.01,
                trimmed_mean=90 - i * 0.01,
                std=3.5,
                normalised_mean=90 - i * 0.01,
                basis_value=90 - i * 0.01,
                rank=i + 1,
                proposed_tier=tiers[min(2, i * 3 // n)],
                final_tier=tiers[min(2, i * 3 // n)],
                overridden=i % 25 == 0,
                flags=[BORDERLINE] if i % 7 == 0 else [],
                stability={"best": 0.5, "excellent": 0.25},
            )
            for i, case in enumerate(cases)
        ],
        batch_size=1000,
    )
    TierOverride.objects.bulk_create(
        [
            TierOverride(entry=e, actor=admin, old_tier=None, new_tier=e.final_tier, reason="复核")
            for e in entries
            if e.overridden
        ]
    )
    return round


def test_ranking_page_queries_do_not_grow_with_the_round(admin, admin_client):
    counts = {}
    for n in (50, 2000):
        round = _ranking_of(n, admin)
        for query in ("", "?sort=std&page=2", "?sort=tier"):
            cache.clear()  # every request counted cold (the unread count is cached per user)
            with CaptureQueriesContext(connection) as queries:
                r = admin_client.get(ranking_url(round) + query)
            assert r.status_code == 200
            counts[(n, query)] = len(queries)
        html = admin_client.get(ranking_url(round)).content.decode()
        assert html.count('<tr id="entry-') == min(n, 250)  # 250 rows a page
        if n == 2000:
            assert "第 1 / 8 页" in html
            assert "复核" in html  # overrides are shown (prefetched, not one query per row)
    print("ranking page queries:", counts)
    assert counts[(50, "")] == counts[(2000, "")]
    assert counts[(50, "?sort=tier")] == counts[(2000, "?sort=tier")]
    assert max(counts.values()) <= 15
