"""The rubric's "使用默认指标" says what it did, and a round with fewer reviewers per case than a
reliable ranking needs is warned about, with the reason, on the rounds and assignment pages."""

import pytest

from reviews.models import Criterion, RankingConfig
from reviews.rounds.rules import MIN_RELIABLE_REVIEWERS, reviewers_needed, too_few_reviewers
from reviews.rounds.services import DEFAULT_RUBRIC
from tests.factories import accepted_case_for_review, make_open_round, reviewing_campaign
from tests.helpers import message_text, messages_of

WHY = "评审份数太少时,一位专家偏高或偏低的评分就能左右案例的名次和等次"


@pytest.fixture
def office(client_for):
    return client_for("administrator")


# --- the default rubric -------------------------------------------------------------------


def test_the_default_rubric_says_how_many_criteria_it_created(office):
    campaign = reviewing_campaign()

    r = office.post(f"/manage/campaigns/{campaign.pk}/rubric/", {"defaults": "1"})

    assert r.status_code == 302
    assert Criterion.objects.filter(campaign=campaign).count() == len(DEFAULT_RUBRIC) == 5
    assert ("success", "已使用默认指标,创建了 5 项评分指标。") in messages_of(r)


def test_the_default_rubric_over_an_existing_one_says_nothing_changed(office):
    campaign = reviewing_campaign()
    office.post(f"/manage/campaigns/{campaign.pk}/rubric/", {"defaults": "1"})

    r = office.post(f"/manage/campaigns/{campaign.pk}/rubric/", {"defaults": "1"})

    assert "已有 5 项评分指标,未做改动。" in message_text(r)
    assert Criterion.objects.filter(campaign=campaign).count() == 5


# --- too few reviewers per case -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "min_reviews,needed", [(None, 3), (2, 3), (3, 3), (5, 5)], ids=["none", "2", "3", "5"]
)
def test_reviewers_needed_is_three_or_the_campaigns_own_minimum(min_reviews, needed):
    assert MIN_RELIABLE_REVIEWERS == 3
    campaign = reviewing_campaign()
    if min_reviews is not None:
        RankingConfig.objects.create(campaign=campaign, min_reviews=min_reviews)
    assert reviewers_needed(campaign) == needed


@pytest.mark.django_db
def test_too_few_reviewers_says_why():
    review_round = make_open_round(reviewing_campaign(), k=2)
    message = too_few_reviewers(review_round, 3)
    assert "本轮每个案例只安排 2 位专家评审,少于可靠排名所需的 3 位" in message
    assert WHY in message
    assert too_few_reviewers(make_open_round(reviewing_campaign(), k=3), 3) == ""


@pytest.mark.parametrize("k,warned", [(1, True), (2, True), (3, False), (5, False)])
def test_the_rounds_and_assignment_pages_warn_below_three(office, k, warned):
    campaign = reviewing_campaign()
    review_round = make_open_round(campaign, cases=[accepted_case_for_review(campaign)], k=k)

    pages = [
        office.get(f"/manage/campaigns/{campaign.pk}/rounds/").content.decode(),
        office.get(f"/manage/rounds/{review_round.pk}/assign/").content.decode(),
    ]

    for html in pages:
        assert (WHY in html) is warned
        if warned:
            assert f"本轮每个案例只安排 {k} 位专家评审,少于可靠排名所需的 3 位" in html
            assert f'href="/manage/rounds/{review_round.pk}/"' in html  # where to change it


def test_the_campaigns_own_minimum_raises_the_threshold(office):
    campaign = reviewing_campaign()
    RankingConfig.objects.create(campaign=campaign, min_reviews=5)
    review_round = make_open_round(campaign, k=4)

    html = office.get(f"/manage/rounds/{review_round.pk}/assign/").content.decode()

    assert "本轮每个案例只安排 4 位专家评审,少于可靠排名所需的 5 位" in html


def test_the_rounds_page_reads_a_bounded_number_of_queries(office, django_assert_max_num_queries):
    for n in (1, 8):
        campaign = reviewing_campaign()
        for i in range(n):
            make_open_round(campaign, k=2, order=i + 1, name=f"第{i + 1}轮")
        with django_assert_max_num_queries(12):
            assert office.get(f"/manage/campaigns/{campaign.pk}/rounds/").status_code == 200
