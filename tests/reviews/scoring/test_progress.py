"""The progress page of a round (issue 5): numbers per expert, overdue reviews after close."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import RankingConfig, RankingEntry, RankingFlag, ReviewRound
from reviews.ranking import services as ranking_services
from reviews.scoring.selectors import progress
from tests.factories import (
    Desk,
    UserFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    review_of,
    reviewing_campaign,
)
from tests.helpers import expert_row

# --- progress ---------------------------------------------------------------------------------


@pytest.fixture
def progress_round(db):
    """Three experts, three cases; totals 40 and 90 on one case, 70 and 80 on another."""
    d = Desk()
    d.campaign = reviewing_campaign()
    # Two criteria of 50 points, equal weights: the total is the sum of the two scores.
    d.criteria = make_rubric(d.campaign, [("创新性", "50", "1"), ("实效性", "50", "1")])
    d.cases = [
        accepted_case_for_review(d.campaign, title="分歧较大的案例"),
        accepted_case_for_review(d.campaign, title="意见一致的案例"),
        accepted_case_for_review(d.campaign, title="尚未评完的案例"),
    ]
    e1, e2, e3 = (make_expert(name=n) for n in ("赵专家", "钱专家", "孙专家"))
    d.round = make_open_round(d.campaign, cases=d.cases)
    a, b, c = d.cases
    review_of(confirmed(d.round, a, e1), d.criteria, ["20", "20"])  # 40
    review_of(confirmed(d.round, a, e2), d.criteria, ["45", "45"])  # 90
    review_of(confirmed(d.round, b, e1), d.criteria, ["35", "35"])  # 70
    review_of(confirmed(d.round, b, e3), d.criteria, ["40", "40"])  # 80
    review_of(confirmed(d.round, c, e2), d.criteria, ["10", ""], submit=False)  # a draft
    confirmed(d.round, c, e3)  # not started
    d.experts = (e1, e2, e3)
    return d


def test_progress_page_numbers(progress_round, office_client):
    d = progress_round
    response = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk}))
    assert response.status_code == 200
    html = response.content.decode()

    # 4 of 6 confirmed assignments submitted: int(100 × 4 / 6) = 66 %.
    assert "已提交 4 / 6(66%)" in html
    assert 'aria-valuenow="66"' in html
    # Per expert: done / assigned and drafts.
    assert expert_row(html, "赵专家")[:2] == ("2 / 2", "0")
    assert expert_row(html, "钱专家")[:2] == ("1 / 2", "1")
    assert expert_row(html, "孙专家")[:2] == ("1 / 2", "0")
    zhao_end = expert_row(html, "赵专家")[2]
    assert 'aria-valuenow="100"' in html[zhao_end : zhao_end + 300]
    qian_end = expert_row(html, "钱专家")[2]
    assert 'aria-valuenow="50"' in html[qian_end : qian_end + 300]

    # Totals 40 and 90: sample σ = √(2 × 25²) = 35.36 > 15, flagged; 70 and 80 (σ 7.07) are not.
    spread = html.split("评分分歧较大的案例", 1)[1].split("</ul>", 1)[0]
    assert "分歧较大的案例:标准差 35.4(40.0, 90.0)" in spread
    assert "意见一致的案例" not in spread
    assert "尚未评完的案例" not in spread
    # Nothing is overdue while the round is open.
    overdue = html.split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "暂无" in overdue


def test_progress_after_close_lists_overdue_reviews(progress_round, office_client):
    d = progress_round
    ReviewRound.objects.filter(pk=d.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(hours=1),
    )
    html = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk})).content
    overdue = html.decode().split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "钱专家 · 尚未评完的案例(有草稿)" in overdue
    assert "孙专家 · 尚未评完的案例</li>" in overdue
    assert "赵专家" not in overdue


# --- the disagreement threshold is the campaign's own ------------------------------------------


@pytest.fixture
def spread_round(db):
    """Two cases of three reviews each: totals 72, 80, 88 (sample σ 8) and 64, 80, 96 (σ 16)."""
    d = Desk()
    d.campaign = reviewing_campaign()
    d.criteria = make_rubric(d.campaign, [("创新性", "50", "1"), ("实效性", "50", "1")])
    d.eight = accepted_case_for_review(d.campaign, title="标准差八分的案例")
    d.sixteen = accepted_case_for_review(d.campaign, title="标准差十六分的案例")
    d.round = make_open_round(d.campaign, cases=[d.eight, d.sixteen])
    experts = [make_expert(name=n) for n in ("周专家", "吴专家", "郑专家")]
    for case, halves in ((d.eight, ("36", "40", "44")), (d.sixteen, ("32", "40", "48"))):
        for expert, half in zip(experts, halves, strict=True):
            review_of(confirmed(d.round, case, expert), d.criteria, [half, half])
    return d


def _spread_section(html):
    return html.split("评分分歧较大的案例", 1)[1].split("</ul>", 1)[0]


def test_progress_flags_by_the_default_threshold_without_creating_settings(
    spread_round, office_client
):
    d = spread_round
    html = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk})).content
    spread = _spread_section(html.decode())
    # No ranking settings yet: the model's default, 15; σ 16 is above it, σ 8 is not.
    assert "(标准差 > 15 分)" in spread
    assert "标准差十六分的案例:标准差 16.0(64.0, 80.0, 96.0)" in spread
    assert "标准差八分的案例" not in spread
    # A page is a read: it leaves the campaign without a settings row.
    assert not RankingConfig.objects.filter(campaign=d.campaign).exists()


def test_progress_flags_by_the_campaigns_own_threshold(spread_round, office_client):
    d = spread_round
    RankingConfig.objects.create(campaign=d.campaign, disagreement_threshold=Decimal("5"))

    data = progress(d.round)
    html = office_client.get(reverse("manage:progress", kwargs={"pk": d.round.pk})).content
    spread = _spread_section(html.decode())

    assert data["threshold"] == 5
    assert [case.title for case, _sd, _totals in data["spread"]] == [
        "标准差十六分的案例",
        "标准差八分的案例",
    ]
    assert "(标准差 > 5 分)" in spread
    assert "标准差八分的案例:标准差 8.0(72.0, 80.0, 88.0)" in spread
    # The ranking flags the same cases by the same value.
    ranking_services.compute_ranking(review_round=d.round, by=UserFactory(administrator=True))
    flagged = {
        e.case.title
        for e in RankingEntry.objects.filter(round=d.round).select_related("case")
        if RankingFlag.DISAGREEMENT in e.flags
    }
    assert flagged == {"标准差八分的案例", "标准差十六分的案例"}
