"""Building review rounds quickly for the ranking and publication tests (plain functions).

Reviews are written straight with the ORM (bulk_create): a round, confirmed
assignments, submitted reviews and their raw per-criterion scores. The
ranking is then derived from those raw scores, as in production.

The rubric has two criteria with unequal maxima and weights:
    创新性  max 10, weight 3
    实效性  max 20, weight 1         (Σw = 4)
so a review's total is 100 · (3·a/10 + 1·b/20) / 4 = 7.5·a + 1.25·b.
`scores_for(T)` picks a = T/10 + 0.4 and b = 0.2·T − 2.4 (one decimal each, for
any whole T from 12 to 96): 7.5·a + 1.25·b = 0.75T + 3 + 0.25T − 3 = T.
The two criteria get different fractions of their maxima, so a total that
ignored the weights or the maxima would not come out as T (e.g. T = 84:
a = 8.8, b = 14.4 → 66 + 18 = 84; unweighted it would be 80).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from reform_cases.models import CampaignStatus, Case, CaseOutcome, CaseStatus, normalise_title
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    Review,
    ReviewRound,
    ReviewStatus,
    Score,
)
from tests.factories import CampaignFactory, CaseFactory, TierFactory, UserFactory


def scores_for(total: int) -> tuple[Decimal, Decimal]:
    """Raw scores (创新性, 实效性) whose weighted total is exactly `total`."""
    if int(total) != total or not 12 <= total <= 96:
        raise ValueError(f"scores_for takes a whole total from 12 to 96, not {total}")
    a = Decimal(total) / 10 + Decimal("0.4")
    b = Decimal(total) / 5 - Decimal("2.4")
    assert Decimal("7.5") * a + Decimal("1.25") * b == total
    return a, b


def ranking_campaign(*, best=2, excellent=3, status=CampaignStatus.RANKING, **kwargs):
    """A campaign (not yet public) with tiers 最佳 / 优秀 and the two-criterion rubric."""
    campaign = CampaignFactory(status=status, published_at=None, **kwargs)
    campaign.best = TierFactory(
        campaign=campaign, code="best", name="最佳实践案例", order=1, quota=best
    )
    campaign.excellent = TierFactory(
        campaign=campaign, code="excellent", name="优秀实践案例", order=2, quota=excellent
    )
    Criterion.objects.create(
        campaign=campaign, name="创新性", max_score=Decimal("10"), weight=Decimal("3"), order=1
    )
    Criterion.objects.create(
        campaign=campaign, name="实效性", max_score=Decimal("20"), weight=Decimal("1"), order=2
    )
    return campaign


def accepted_case(campaign, title, **kwargs):
    """An accepted case without an outcome yet (the state cases are in while being ranked)."""
    kwargs = {"status": CaseStatus.ACCEPTED, "outcome": CaseOutcome.PENDING, **kwargs}
    return CaseFactory(campaign=campaign, title=title, **kwargs)


def make_round(campaign, *, order=1, name=None, cases=()):
    now = timezone.now()
    round = ReviewRound.objects.create(
        campaign=campaign,
        name=name or ("初评" if order == 1 else f"第{order}轮"),
        order=order,
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
    )
    if cases:
        round.cases.add(*cases)
    return round


def experts(n, prefix="专家"):
    return [UserFactory(expert=True, display_name=f"{prefix}{i + 1}") for i in range(n)]


def add_reviews(round, plan, *, pool=None, status=ReviewStatus.SUBMITTED):
    """Write submitted reviews: `plan` maps a case to its totals, or to (expert, total) pairs.

    With plain totals, review i of a case is by `pool[i]` (experts are created as needed).
    The cases are added to the round. Returns the expert pool.
    """
    pool = list(pool or [])
    width = max((len(v) for v in plan.values()), default=0)
    if len(pool) < width:
        pool += experts(width - len(pool), prefix=f"专家R{round.pk}-")
    criteria = list(round.campaign.criteria.order_by("order"))
    round.cases.add(*plan)
    assignments, totals = [], []
    now = timezone.now()
    for case, reviews in plan.items():
        for i, item in enumerate(reviews):
            expert, total = item if isinstance(item, tuple) else (pool[i], item)
            assignments.append(
                Assignment(
                    round=round,
                    case=case,
                    expert=expert,
                    status=AssignmentStatus.CONFIRMED,
                    confirmed_at=now,
                )
            )
            totals.append(total)
    Assignment.objects.bulk_create(assignments)
    reviews = Review.objects.bulk_create(
        [
            Review(
                assignment=a,
                status=status,
                total=Decimal(t),
                submitted_at=now if status == ReviewStatus.SUBMITTED else None,
            )
            for a, t in zip(assignments, totals, strict=True)
        ]
    )
    Score.objects.bulk_create(
        [
            Score(review=review, criterion=criterion, value=value)
            for review, total in zip(reviews, totals, strict=True)
            for criterion, value in zip(criteria, scores_for(total), strict=True)
        ]
    )
    return pool


def bulk_cases(campaign, n, *, organisation=None, prefix="批量案例"):
    """n accepted cases written in one statement (for the query-count tests)."""
    objs = []
    for i in range(n):
        title = f"{prefix}{i:05d}"
        objs.append(
            Case(
                campaign=campaign,
                title=title,
                title_key=normalise_title(title),
                organisation=organisation,
                status=CaseStatus.ACCEPTED,
            )
        )
    return Case.objects.bulk_create(objs, batch_size=1000)
