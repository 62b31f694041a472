"""Texts an expert types with the scores: NUL or over-long text is refused with a message naming
the field, everything typed stays on the page and nothing is saved (never cut, never a 500)."""

import pytest

from reviews.models import Review, Score
from tests.factories import score_data
from tests.helpers import message_text

pytestmark = pytest.mark.django_db


def post_and_expect_refusal(desk, data, expected):
    r = desk.client.post(desk.url, data)

    assert r.status_code == 200
    assert expected in message_text(r)
    assert not Score.objects.filter(review__assignment=desk.assignment).exists()
    assert not Review.objects.filter(assignment=desk.assignment, status="submitted").exists()
    return r.content.decode()


@pytest.mark.parametrize("submit", [False, True])
def test_nul_in_a_criterion_comment_is_refused_and_the_scores_are_kept(desk, submit):
    first = desk.criteria[0]
    data = score_data(
        desk.criteria,
        ["18.5", "17", "12"],
        comments={0: "亮点\x00突出", 1: "数据翔实"},
        overall="总体良好",
        submit=submit,
    )

    html = post_and_expect_refusal(desk, data, f"{first.name}的评语:含有不允许的空字符")

    assert 'value="18.5"' in html and 'value="17"' in html and 'value="数据翔实"' in html
    assert "总体良好" in html


def test_nul_in_the_overall_comment_is_refused(desk):
    data = score_data(desk.criteria, ["18", "17", "12"], overall="总体\x00良好")

    html = post_and_expect_refusal(desk, data, "总体评价:含有不允许的空字符")

    assert 'value="18"' in html


def test_over_long_comments_are_refused_not_cut(desk):
    long_comment, long_overall = "评" * 1001, "好" * 5001
    data = score_data(
        desk.criteria, ["18", "17", "12"], comments={1: long_comment}, overall=long_overall
    )

    html = post_and_expect_refusal(
        desk, data, f"{desk.criteria[1].name}的评语:不能超过 1000 个字,现在有 1001 个。"
    )

    assert "总体评价:不能超过 5000 个字" in message_text(desk.client.post(desk.url, data))
    assert f'value="{long_comment}"' in html and long_overall in html


def test_a_comment_at_the_limit_is_saved_whole(desk):
    data = score_data(desk.criteria, ["18", "17", "12"], comments={0: "评" * 1000})

    assert desk.client.post(desk.url, data).status_code == 302
    saved = Score.objects.get(review__assignment=desk.assignment, criterion=desk.criteria[0])
    assert saved.comment == "评" * 1000
