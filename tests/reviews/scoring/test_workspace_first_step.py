"""The expert's workspace says what to do first (签署承诺) and its progress label is readable
at 0% (outside the bar, not white text on an empty bar)."""

import re

import pytest

from reviews.scoring import services as scoring_services
from tests.factories import (
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    reviewing_campaign,
)
from tests.helpers import client_of


@pytest.fixture
def desk(db):
    campaign = reviewing_campaign()
    make_rubric(campaign)
    cases = [accepted_case_for_review(campaign) for _ in range(2)]
    review_round = make_open_round(campaign, cases=cases)
    expert = make_expert(name="新来的专家")
    for case in cases:
        confirmed(review_round, case, expert)
    return review_round, expert


def test_a_new_expert_is_told_to_sign_the_pledge_first(desk):
    review_round, expert = desk

    html = client_of(expert).get("/review/").content.decode()

    assert "第一步:签署承诺" in html
    assert (
        f'<a class="btn btn-primary" href="/review/rounds/{review_round.pk}/pledge/">签署承诺</a>'
        in html
    )


def test_after_the_pledge_the_first_step_is_gone(desk):
    review_round, expert = desk
    scoring_services.accept_pledge(review_round=review_round, expert=expert)

    html = client_of(expert).get("/review/").content.decode()

    assert "第一步:签署承诺" not in html and "/pledge/" not in html


def test_the_progress_label_sits_outside_the_bar(desk):
    review_round, expert = desk

    html = client_of(expert).get("/review/").content.decode()

    label = re.search(rf'<div [^>]*id="progress-label-{review_round.pk}">(.*?)</div>', html, re.S)
    assert label and "已提交 0 / 2" in re.sub(r"\s+", " ", label.group(1))
    bar = re.search(r'<div class="progress-bar"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert bar.strip() == ""  # no text on the bar itself
    assert f'aria-labelledby="progress-label-{review_round.pk}"' in html


def test_the_workspace_reads_a_bounded_number_of_queries(db, django_assert_max_num_queries):
    expert = make_expert(name="多轮专家")
    client = client_of(expert)
    for n in (1, 4):
        for _ in range(n):
            campaign = reviewing_campaign()
            case = accepted_case_for_review(campaign)
            confirmed(make_open_round(campaign, cases=[case]), case, expert)
        with django_assert_max_num_queries(10):
            assert client.get("/review/").status_code == 200
