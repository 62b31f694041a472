"""seed_demo (issue 10): a deterministic synthetic campaign, marked 演示, never public,
refused under production settings."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome
from reviews.models import Assignment, AssignmentStatus, RankingEntry, Review, ReviewStatus

SMALL = {"cases": 40, "experts": 12, "reviews_per_case": 3}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def seed(*, seed=7, year, cases=40, experts=12, reviews=3):
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--cases", str(cases), "--experts", str(experts), "--reviews-per-case", str(reviews),
        "--seed", str(seed), "--year", str(year),
        stdout=out,
    )  # fmt: skip
    return Campaign.objects.get(year=year, is_demo=True), out.getvalue()


def snapshot(campaign):
    """What must not change between two runs with the same seed (ids and years aside)."""
    titles = list(
        Case.objects.filter(campaign=campaign).order_by("pk").values_list("title", flat=True)
    )
    pairs = sorted(
        Assignment.objects.filter(round__campaign=campaign).values_list(
            "case__title", "expert__display_name"
        )
    )
    ranking = list(
        RankingEntry.objects.filter(round__campaign=campaign)
        .order_by("rank", "case_id")
        .values_list("case__title", "rank", "final_tier__code")
    )
    return titles, pairs, ranking


def test_same_seed_gives_the_same_campaign(published_fixtures, media):
    first, log = seed(seed=7, year=2093)
    second, _log = seed(seed=7, year=2094)
    titles, pairs, ranking = snapshot(first)
    assert len(titles) == SMALL["cases"] and len(set(titles)) == SMALL["cases"]
    assert len(pairs) == SMALL["cases"] * SMALL["reviews_per_case"]
    assert len(ranking) == SMALL["cases"]
    assert [rank for _title, rank, _tier in ranking] == sorted(r for _t, r, _c in ranking)
    assert snapshot(second) == (titles, pairs, ranking)
    assert f"campaign id {first.pk}" in log


def test_another_seed_gives_other_scores(published_fixtures, media):
    first, _log = seed(seed=7, year=2093)
    other, _log = seed(seed=8, year=2094)
    assert snapshot(first)[2] != snapshot(other)[2]


def test_the_campaign_is_complete_and_marked_as_demo(published_fixtures, media):
    campaign, _log = seed(year=2093)
    assert campaign.is_demo is True
    assert "演示" in campaign.title
    assert campaign.status == CampaignStatus.RANKING
    assert list(campaign.tiers.order_by("order").values_list("code", flat=True)) == [
        "best",
        "excellent",
    ]
    cases = Case.objects.filter(campaign=campaign)
    assert cases.count() == SMALL["cases"]
    assert not cases.filter(attachments__isnull=True).exists()
    assignments = Assignment.objects.filter(round__campaign=campaign)
    assert not assignments.exclude(status=AssignmentStatus.CONFIRMED).exists()
    for case in cases:
        experts = [a.expert_id for a in assignments if a.case_id == case.pk]
        assert len(experts) == len(set(experts)) == SMALL["reviews_per_case"]
    assert (
        Review.objects.filter(
            assignment__round__campaign=campaign, status=ReviewStatus.SUBMITTED
        ).count()
        == SMALL["cases"] * SMALL["reviews_per_case"]
    )
    assert RankingEntry.objects.filter(round__campaign=campaign, rank__isnull=False).count() == 40


def test_refused_under_production_settings(published_fixtures, media):
    with (
        override_settings(DEMO_DATA_ALLOWED=False),
        pytest.raises(CommandError, match="production"),
    ):
        seed(year=2093)
    assert not Campaign.objects.filter(is_demo=True).exists()


def test_refused_twice_for_one_year_and_with_too_few_experts(published_fixtures, media):
    seed(year=2093)
    with pytest.raises(CommandError, match="2093"):
        seed(year=2093)
    with pytest.raises(CommandError):
        seed(year=2094, experts=2, reviews=3)
    assert Campaign.objects.filter(is_demo=True).count() == 1


def test_never_public(published_fixtures, media, client):
    campaign, _log = seed(year=2093)
    case = Case.objects.filter(campaign=campaign).first()
    assert client.get("/results/2093/").status_code == 404
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get("/api/results/2093.json").status_code == 404
    # Not even once its status says published: a demo campaign is never public.
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PUBLISHED)
    Case.objects.filter(pk=case.pk).update(
        outcome=CaseOutcome.AWARDED, tier=campaign.tiers.get(code="best"), rank=1
    )
    assert client.get("/results/2093/").status_code == 404
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert "2093" not in client.get("/results/").content.decode()
    # Control: the same campaign without the demo mark would be public.
    Campaign.objects.filter(pk=campaign.pk).update(is_demo=False)
    assert client.get("/results/2093/").status_code == 200
