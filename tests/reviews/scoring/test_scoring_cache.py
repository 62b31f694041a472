"""What the scoring page no longer reads on every request, and why it is never stale.

The campaign's criteria and tiers are cached until one of them is saved or deleted
(`scoring/selectors.rubric`), the pledge is remembered in the session once seen, and the
unread count is cached per user (tests/notifications/test_unread_cache.py): a warm page
reads none of them (bench/deadline.py).
"""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import Criterion, Review, ReviewStatus
from reviews.scoring import services as scoring_services
from tests.factories import (
    TierFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    reviewing_campaign,
    score_data,
)
from tests.helpers import client_of, message_text, score_url

CACHED_TABLES = ("reviews_pledge", "reviews_criterion", "reform_cases_tier")


def _scene(*, pledged=True):
    campaign = reviewing_campaign()
    criteria = make_rubric(campaign)
    tiers = [
        TierFactory(campaign=campaign, code="best", name="最佳实践", order=1),
        TierFactory(campaign=campaign, code="good", name="优秀实践", order=2),
    ]
    case = accepted_case_for_review(campaign)
    round = make_open_round(campaign, cases=[case])
    expert = make_expert()
    assignment = confirmed(round, case, expert)
    if pledged:
        scoring_services.accept_pledge(review_round=round, expert=expert)
    return campaign, criteria, tiers, assignment, client_of(expert)


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_a_warm_scoring_page_reads_no_pledge_criteria_tiers_or_unread_count(db):
    _campaign, _criteria, _tiers, assignment, client = _scene()
    url = score_url(assignment)
    response, first = _get(client, url)
    assert response.status_code == 200
    assert all(any(table in s for s in first) for table in CACHED_TABLES)
    response, again = _get(client, url)
    assert response.status_code == 200
    read = [s for s in again if any(t in s for t in (*CACHED_TABLES, "notifications_"))]
    assert read == []
    html = response.content.decode()
    assert "创新性" in html and "最佳实践" in html and "优秀实践" in html


def test_an_unpledged_expert_is_sent_to_the_pledge_every_time(db):
    _campaign, _criteria, _tiers, assignment, client = _scene(pledged=False)
    url = score_url(assignment)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 302 and "/pledge/" in response["Location"]
    scoring_services.accept_pledge(review_round=assignment.round, expert=assignment.expert)
    assert client.get(url).status_code == 200


def test_tiers_renamed_added_or_deleted_show_on_the_next_page(db):
    campaign, _criteria, tiers, assignment, client = _scene()
    url = score_url(assignment)
    client.get(url)  # cached
    tiers[0].name = "卓越实践"
    tiers[0].save()
    TierFactory(campaign=campaign, code="fine", name="良好实践", order=3)
    tiers[1].delete()
    html = client.get(url).content.decode()
    assert "卓越实践" in html and "良好实践" in html
    assert "最佳实践" not in html and "优秀实践" not in html


def test_a_criterion_added_before_any_score_is_shown_and_required_at_once(db):
    campaign, criteria, _tiers, assignment, client = _scene()
    url = score_url(assignment)
    client.get(url)  # cached
    added = Criterion.objects.create(
        campaign=campaign, name="可持续性", max_score=Decimal("10"), weight=Decimal("1"), order=9
    )
    html = client.get(url).content.decode()
    assert "可持续性" in html and f'name="score_{added.pk}"' in html
    # The save reads the same rubric: the new criterion is required on submit.
    response = client.post(url, score_data(criteria, ["20", "15", "10"], submit=True))
    assert "可持续性" in message_text(response)
    assert not Review.objects.filter(status=ReviewStatus.SUBMITTED).exists()
    response = client.post(
        url, score_data([*criteria, added], ["20", "15", "10", "8"], submit=True)
    )
    assert response.status_code == 302
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.scores.get(criterion=added).value == Decimal("8")


def test_the_form_rows_and_tier_options_draw_as_before(db):
    _campaign, criteria, tiers, assignment, client = _scene()
    url = score_url(assignment)
    client.post(url, score_data(criteria, ["12.5", "", "7"], tier=str(tiers[1].pk)))
    html = client.get(url).content.decode()
    assert (
        f'max="25.0" name="score_{criteria[0].pk}" id="score_{criteria[0].pk}" value="12.5"' in html
    )
    assert f'name="score_{criteria[1].pk}" id="score_{criteria[1].pk}" value=""' in html
    assert "(0–25,权重 1.20)" in html  # the maximum and the weight as floatformat:"-2" shows them
    assert f'<option value="{tiers[1].pk}" selected>优秀实践</option>' in html
    assert f'<option value="{tiers[0].pk}">最佳实践</option>' in html
