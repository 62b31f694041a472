"""Scoring (issue 5): bad input on the score form, the pledge, reopening a submitted review.

Each refusal is checked for its message (what the user reads) and for what it
leaves behind (nothing lost, nothing half-done).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from common.exceptions import InvalidTransition
from reviews.models import Pledge, Review, ReviewEvent, ReviewRound, ReviewStatus, Score
from reviews.scoring import services as scoring_services
from tests.factories import (
    Desk,
    TierFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    reviewing_campaign,
    score_data,
)
from tests.helpers import client_of, expert_row, message_text, score_url, shanghai


def review_state(assignment):
    """Everything a refused POST must leave as it was."""
    review = Review.objects.filter(assignment=assignment).first()
    if review is None:
        return None
    return (
        review.status,
        review.total,
        review.overall_comment,
        review.recommended_tier_id,
        review.submitted_at,
        sorted((s.criterion_id, s.value, s.comment) for s in review.scores.all()),
        list(review.events.values_list("kind", "note")),
    )


# --- bad input on the score form --------------------------------------------------------

BAD_VALUES = [
    # typed,      message (the first criterion is 创新性, 0–25)
    ("30", "创新性:分数应在 0 到 25 之间。"),
    ("25.5", "创新性:分数应在 0 到 25 之间。"),
    ("-1", "创新性:分数应在 0 到 25 之间。"),
    ("-0.5", "创新性:分数应在 0 到 25 之间。"),
    ("abc", "创新性:请填写数字。"),
    ("12,5", "创新性:请填写数字。"),
    ("7.3", "创新性:分数以 0.5 为单位。"),
    ("12.25", "创新性:分数以 0.5 为单位。"),
    ("NaN", "创新性:请填写数字。"),
    ("nan", "创新性:请填写数字。"),
    ("sNaN", "创新性:请填写数字。"),
    ("Infinity", "创新性:请填写数字。"),
    ("-Infinity", "创新性:请填写数字。"),
    ("inf", "创新性:请填写数字。"),
    ("1e400", "创新性:分数应在 0 到 25 之间。"),
]


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
@pytest.mark.parametrize("typed,message", BAD_VALUES)
def test_bad_score_is_refused_with_its_message_and_the_typed_form_kept(
    desk, typed, message, submit
):
    data = score_data(
        desk.criteria,
        [typed, "16.5", "12"],
        comments={0: "首创性强", 1: "数据翔实", 2: "群众满意"},
        overall="总体评价:值得推广。",
        tier=str(desk.tier.pk),
        submit=submit,
    )
    response = desk.client.post(desk.url, data)

    # Re-rendered (not redirected), with the message naming the criterion.
    assert response.status_code == 200
    assert message in message_text(response)
    assert message in response.content.decode()
    # Nothing saved: no review, no scores, no event.
    assert not Review.objects.filter(assignment=desk.assignment).exists()
    assert not Score.objects.exists()
    # Nothing lost: every typed value is back in the form.
    html = response.content.decode()
    c1, c2, c3 = desk.criteria
    assert f'name="score_{c1.pk}" id="score_{c1.pk}" value="{typed}"' in html
    assert f'name="score_{c2.pk}" id="score_{c2.pk}" value="16.5"' in html
    assert f'name="score_{c3.pk}" id="score_{c3.pk}" value="12"' in html
    for comment in ("首创性强", "数据翔实", "群众满意"):
        assert f'value="{comment}"' in html
    assert ">总体评价:值得推广。</textarea>" in html
    assert f'<option value="{desk.tier.pk}" selected>' in html


def test_out_of_range_message_gives_the_maximum_as_people_write_it(desk):
    # 实效性 has a maximum of 20 (stored as 20.0). The page says 0–20, and so must the message.
    page = desk.client.get(desk.url).content.decode()
    assert '实效性 <small class="text-body-secondary">(0–20,权重 1)</small>' in page
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "21", "12"]))
    assert response.status_code == 200
    assert "2E+1" not in message_text(response)
    assert "实效性:分数应在 0 到 20 之间。" in message_text(response)
    assert not Review.objects.exists()


def test_bad_score_leaves_the_saved_draft_as_it_was(desk):
    c1, c2, c3 = desk.criteria
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "10"], overall="初稿"))
    before = review_state(desk.assignment)
    assert before[0] == ReviewStatus.DRAFT
    assert before[5] == [
        (c1.pk, Decimal("20.0"), ""),
        (c2.pk, Decimal("15.0"), ""),
        (c3.pk, Decimal("10.0"), ""),
    ]

    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["21", "NaN", "11"], overall="改稿", submit=True)
    )

    assert response.status_code == 200
    assert "实效性:请填写数字。" in message_text(response)
    assert review_state(desk.assignment) == before  # the draft is untouched
    html = response.content.decode()
    assert f'id="score_{c1.pk}" value="21"' in html  # ...and the new typing is not lost
    assert ">改稿</textarea>" in html


def test_every_bad_value_is_reported_at_once(desk):
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["99", "x", "0.3"], submit=True)
    )
    text = message_text(response)
    assert "创新性:分数应在 0 到 25 之间。" in text
    assert "实效性:请填写数字。" in text
    assert "群众获得感:分数以 0.5 为单位。" in text
    assert not Review.objects.exists()


def test_typed_values_are_escaped_when_shown_again(desk):
    typed = '"><script>alert(1)</script>'
    response = desk.client.post(desk.url, score_data(desk.criteria, [typed, "1", "1"]))
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_boundaries_are_accepted(desk):
    # 0, the maximum and steps of 0.5 are all valid; the total is 100·Σw·s/max/Σw:
    #   1.2 × 25/25 + 1 × 0/20 + 0.8 × 7.5/15 = 1.2 + 0 + 0.4 = 1.6; × 100 / 3 = 53.333… → 53.33
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["25", "0", "7.5"], submit=True)
    )
    assert response.status_code == 302
    review = Review.objects.get(assignment=desk.assignment)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.total == Decimal("53.33")
    assert "评分已提交。" in message_text(desk.client.get(desk.url))


def test_missing_criterion_is_fine_in_a_draft(desk):
    c1, c2, c3 = desk.criteria
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12.5"]))
    assert response.status_code == 302
    review = Review.objects.get(assignment=desk.assignment)
    assert review.status == ReviewStatus.DRAFT
    assert review.total is None
    values = dict(review.scores.values_list("criterion_id", "value"))
    assert values == {c1.pk: Decimal("20.0"), c2.pk: None, c3.pk: Decimal("12.5")}
    assert "草稿已保存。" in message_text(desk.client.get(desk.url))
    # The page shows the draft as it was saved.
    html = desk.client.get(desk.url).content.decode()
    assert f'id="score_{c1.pk}" value="20"' in html
    assert f'id="score_{c2.pk}" value=""' in html
    assert f'id="score_{c3.pk}" value="12.5"' in html


def test_missing_criterion_is_refused_at_submit(desk):
    c1, _c2, c3 = desk.criteria
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12.5"], overall="草稿"))
    before = review_state(desk.assignment)

    response = desk.client.post(
        desk.url,
        score_data(desk.criteria, ["21", "", "13"], overall="准备提交", submit=True),
    )

    assert response.status_code == 200
    assert "提交前请为以下指标打分:实效性。" in message_text(response)
    assert review_state(desk.assignment) == before
    assert not ReviewEvent.objects.exists()
    html = response.content.decode()
    assert f'id="score_{c1.pk}" value="21"' in html
    assert f'id="score_{c3.pk}" value="13"' in html
    assert ">准备提交</textarea>" in html


def test_overall_comment_is_required_at_submit_only(desk):
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["20", "15", "10"], overall="  ", submit=True)
    )
    assert response.status_code == 200
    assert "提交前请填写总体评价。" in message_text(response)
    assert not Review.objects.exists()
    # As a draft it is fine.
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "10"], overall=""))
    assert response.status_code == 302
    assert Review.objects.get().status == ReviewStatus.DRAFT


def test_submitting_twice_from_two_tabs_keeps_one_review(desk):
    # Both tabs are open on the form before either submits.
    assert desk.client.get(desk.url).status_code == 200
    tab2 = client_of(desk.expert)
    assert tab2.get(desk.url).status_code == 200

    first = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    assert first.status_code == 302
    submitted = review_state(desk.assignment)
    # 1.2 × 0.8 + 1 × 0.75 + 0.8 × 0.8 = 2.35; × 100 / 3 = 78.33
    assert submitted[0] == ReviewStatus.SUBMITTED
    assert submitted[1] == Decimal("78.33")

    second = tab2.post(
        desk.url, score_data(desk.criteria, ["25", "20", "15"], overall="另一个标签页", submit=True)
    )

    assert second.status_code == 200
    assert "评分已提交,不能再修改。" in message_text(second)
    assert Review.objects.filter(assignment=desk.assignment).count() == 1
    assert ReviewEvent.objects.filter(kind="submitted").count() == 1
    assert review_state(desk.assignment) == submitted  # the first submission stands
    # Saving a draft over it is refused the same way.
    third = tab2.post(desk.url, score_data(desk.criteria, ["1", "1", "1"]))
    assert "评分已提交,不能再修改。" in message_text(third)
    assert review_state(desk.assignment) == submitted


def test_submitted_review_shows_locked_form(desk):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    html = desk.client.get(desk.url).content.decode()
    assert "78.33" in html
    assert 'name="submit"' not in html
    for c in desk.criteria:
        assert re.search(rf'id="score_{c.pk}" value="[^"]*" disabled', html)


def test_submitting_after_close_is_refused_and_the_draft_kept(desk):
    desk.client.post(
        desk.url,
        score_data(desk.criteria, ["20", "", "12"], comments={0: "亮点突出"}, overall="未完成"),
    )
    before = review_state(desk.assignment)
    now = timezone.now()
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=now - timedelta(days=20), closes_at=now - timedelta(minutes=5)
    )
    desk.round.refresh_from_db()
    window = (
        f"本轮评审时间为 {shanghai(desk.round.opens_at)} 至 {shanghai(desk.round.closes_at)},"
        "现在不能修改评分。"
    )

    for submit in (True, False):
        response = desk.client.post(
            desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=submit)
        )
        assert response.status_code == 200
        assert window in message_text(response)
        assert review_state(desk.assignment) == before

    # The service says the same, whoever calls it.
    with pytest.raises(InvalidTransition) as exc:
        scoring_services.save_review(
            assignment=desk.assignment,
            by=desk.expert,
            scores={c.pk: "10" for c in desk.criteria},
            comments={},
            overall_comment="x",
            submit=True,
        )
    assert window in exc.value.messages
    # The expert still sees the draft, read-only.
    html = desk.client.get(desk.url).content.decode()
    assert "本轮评审未开放或已结束,不能修改。" in html
    assert ">未完成</textarea>" in html
    assert 'name="save"' not in html


def test_unsubmitted_draft_stays_visible_to_administrators_after_close(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "", "12"]))
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(minutes=5),
    )
    html = office_client.get(reverse("manage:progress", kwargs={"pk": desk.round.pk})).content
    html = html.decode()
    overdue = html.split("逾期未提交", 1)[1].split("</ul>", 1)[0]
    assert "钱评审 · “无证明城市”改革(有草稿)" in overdue
    row = expert_row(html, "钱评审")
    assert row[:2] == ("0 / 1", "1")  # done / assigned, drafts


def test_scoring_before_the_round_opens_is_refused(desk):
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() + timedelta(days=1), closes_at=timezone.now() + timedelta(days=9)
    )
    response = desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"]))
    assert "现在不能修改评分" in message_text(response)
    assert not Review.objects.exists()


def test_recommended_tier_of_another_campaign_is_refused(desk):
    other = TierFactory()
    with pytest.raises(ValidationError) as exc:
        scoring_services.save_review(
            assignment=desk.assignment,
            by=desk.expert,
            scores={c.pk: "10" for c in desk.criteria},
            comments={},
            overall_comment="x",
            recommended_tier=other,
        )
    assert "建议等次无效。" in exc.value.messages
    assert not Review.objects.exists()


def test_another_expert_cannot_save_through_the_service(desk):
    intruder = make_expert()
    scoring_services.accept_pledge(review_round=desk.round, expert=intruder)
    with pytest.raises(InvalidTransition, match="该案例未分配给您。"):
        scoring_services.save_review(
            assignment=desk.assignment,
            by=intruder,
            scores={},
            comments={},
            overall_comment="",
        )
    assert not Review.objects.exists()


# --- pledge -------------------------------------------------------------------------------


@pytest.fixture
def unpledged(db):
    d = Desk()
    d.campaign = reviewing_campaign()
    d.criteria = make_rubric(d.campaign)
    d.case = accepted_case_for_review(d.campaign)
    d.round = make_open_round(d.campaign, cases=[d.case])
    d.expert = make_expert()
    d.assignment = confirmed(d.round, d.case, d.expert)
    d.client = client_of(d.expert)
    d.url = score_url(d.assignment)
    return d


def test_scoring_requires_the_pledge_first(unpledged):
    d = unpledged
    pledge_url = reverse("reviews:pledge", kwargs={"round_pk": d.round.pk})

    response = d.client.get(d.url)
    assert response.status_code == 302
    assert response["Location"] == f"{pledge_url}?next={d.url}"
    # A POST is sent to the pledge too, and nothing is saved.
    response = d.client.post(d.url, score_data(d.criteria, ["20", "15", "12"], submit=True))
    assert response.status_code == 302 and response["Location"].startswith(pledge_url)
    assert not Review.objects.exists()
    # The service refuses as well.
    with pytest.raises(InvalidTransition, match="请先阅读并接受评审承诺书。"):
        scoring_services.save_review(
            assignment=d.assignment, by=d.expert, scores={}, comments={}, overall_comment=""
        )

    page = d.client.get(response["Location"])
    assert page.status_code == 200
    assert "评审承诺书" in page.content.decode()

    # Not ticking the box is refused.
    response = d.client.post(pledge_url, {"next": d.url})
    assert response.status_code == 200
    assert "请勾选“我已阅读并承诺遵守”。" in message_text(response)
    assert not Pledge.objects.exists()

    before = timezone.now()
    response = d.client.post(pledge_url, {"agree": "on", "next": d.url})
    after = timezone.now()
    assert response.status_code == 302
    assert response["Location"] == d.url
    pledge = Pledge.objects.get()
    assert (pledge.round, pledge.expert) == (d.round, d.expert)
    assert before <= pledge.accepted_at <= after
    assert d.client.get(d.url).status_code == 200
    # Accepting again records nothing new and keeps the first time.
    d.client.post(pledge_url, {"agree": "on"})
    assert Pledge.objects.get().accepted_at == pledge.accepted_at


def test_pledge_is_per_round(unpledged):
    d = unpledged
    scoring_services.accept_pledge(review_round=d.round, expert=d.expert)
    final = make_open_round(d.campaign, cases=[d.case], name="终评")
    assignment = confirmed(final, d.case, d.expert)
    response = d.client.get(score_url(assignment))
    assert response.status_code == 302
    assert f"/review/rounds/{final.pk}/pledge/" in response["Location"]


def test_pledge_next_goes_nowhere_outside_review(unpledged):
    d = unpledged
    pledge_url = reverse("reviews:pledge", kwargs={"round_pk": d.round.pk})
    response = d.client.post(pledge_url, {"agree": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("reviews:workspace")


# --- reopening -------------------------------------------------------------------------------


def test_administrator_reopens_a_submitted_review_with_a_reason(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    review = Review.objects.get()
    url = reverse("manage:review-reopen", kwargs={"pk": desk.round.pk})

    # No reason: refused, nothing changes.
    response = office_client.post(url, {"review": review.pk, "reason": ""}, follow=True)
    assert "请填写重新开放的理由。" in message_text(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(kind="reopened").exists()
    with pytest.raises(ValidationError, match="请填写重新开放的理由"):
        scoring_services.reopen_review(review=review, by=office_client.user, reason="   ")

    response = office_client.post(url, {"review": review.pk, "reason": "实效性分数录入有误"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.total is None and review.submitted_at is None
    event = ReviewEvent.objects.get(kind="reopened")
    assert (event.review, event.actor, event.note) == (
        review,
        office_client.user,
        "实效性分数录入有误",
    )

    # The expert can edit again, and submit again.
    html = desk.client.get(desk.url).content.decode()
    assert 'name="submit"' in html
    assert (
        desk.client.post(desk.url, score_data(desk.criteria, ["20", "18", "12"])).status_code == 302
    )
    response = desk.client.post(
        desk.url, score_data(desk.criteria, ["20", "18", "12"], submit=True)
    )
    assert response.status_code == 302
    review.refresh_from_db()
    # 0.96 + 1 × 18/20 (0.9) + 0.64 = 2.5; × 100 / 3 = 83.33
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal("83.33"))
    assert list(review.events.values_list("kind", flat=True)) == [
        "submitted",
        "reopened",
        "submitted",
    ]


def test_reopening_after_close_is_refused(desk, office_client):
    desk.client.post(desk.url, score_data(desk.criteria, ["20", "15", "12"], submit=True))
    ReviewRound.objects.filter(pk=desk.round.pk).update(
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(minutes=1),
    )
    review = Review.objects.get()
    response = office_client.post(
        reverse("manage:review-reopen", kwargs={"pk": desk.round.pk}),
        {"review": review.pk, "reason": "录入有误"},
        follow=True,
    )
    assert "本轮已结束,请先延长截止时间。" in message_text(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
