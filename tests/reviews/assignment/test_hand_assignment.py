"""Assigning by hand and confirming (issue 5): one notification per expert, k reviewers per
case, the expert's maximum load, panels and the round's cases, unassigning.
"""

import re

import pytest
from django.urls import reverse

from common.exceptions import InvalidTransition
from notifications.models import Notification, NotificationKind
from reviews.assignment import services as assignment_services
from reviews.models import Assignment, AssignmentStatus, ExpertProfile, Panel
from tests.factories import (
    Desk,
    accepted_case_for_review,
    make_expert,
    make_open_round,
    make_rubric,
    review_of,
    reviewing_campaign,
)
from tests.helpers import client_of, message_text, score_url, shanghai

# --- confirming, k per case, load -------------------------------------------------------------


@pytest.fixture
def board(db):
    """A round (k = 2) with four cases and three experts in its panel, nothing assigned yet."""
    d = Desk()
    d.campaign = reviewing_campaign()
    d.cases = [accepted_case_for_review(d.campaign, title=f"分配测试案例{i}") for i in range(4)]
    d.experts = [make_expert(name=f"专家{'甲乙丙'[i]}") for i in range(3)]
    d.panel = Panel.objects.create(campaign=d.campaign, name="综合组")
    d.panel.members.add(*d.experts)
    d.round = make_open_round(d.campaign, cases=d.cases, k=2, panels=[d.panel])
    return d


def test_confirming_notifies_each_expert_once_with_all_their_cases(board, office_client):
    a, b, c = board.experts
    for case in board.cases[:3]:
        assignment_services.assign_expert(
            review_round=board.round, case=case, expert=a, by=office_client.user
        )
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=b, by=office_client.user
    )
    url = reverse("manage:assign-confirm", kwargs={"pk": board.round.pk})

    response = office_client.post(url, follow=True)

    assert "已确认 4 项分配,并通知了相关专家。" in message_text(response)
    assert set(Assignment.objects.values_list("status", flat=True)) == {AssignmentStatus.CONFIRMED}
    assert not Assignment.objects.filter(confirmed_at__isnull=True).exists()
    sent = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert sorted(sent.values_list("recipient__display_name", flat=True)) == ["专家乙", "专家甲"]
    to_a = sent.get(recipient=a)
    for case in board.cases[:3]:
        assert case.title in to_a.body
    assert board.cases[3].title not in to_a.body
    assert "3 个案例" in to_a.subject
    assert shanghai(board.round.closes_at) in to_a.body  # the deadline
    assert to_a.link.endswith("/review/")
    to_b = sent.get(recipient=b)
    assert board.cases[0].title in to_b.body and board.cases[1].title not in to_b.body
    assert not sent.filter(recipient=c).exists()

    # Confirming again tells nobody anything new.
    office_client.post(url)
    assert Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED).count() == 2
    # The cases are now on the experts' desks.
    workspace = client_of(a).get(reverse("reviews:workspace")).content.decode()
    assert all(case.title in workspace for case in board.cases[:3])


def test_proposed_assignments_are_not_on_the_expert_desk(board):
    a = board.experts[0]
    assignment = assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    client = client_of(a)
    assert board.cases[0].title not in client.get(reverse("reviews:workspace")).content.decode()
    assert client.get(score_url(assignment)).status_code == 404


def test_k_reviewers_per_case_is_enforced(board, office_client):
    a, b, c = board.experts
    case = board.cases[0]
    assignment_services.assign_expert(review_round=board.round, case=case, expert=a, by=None)
    assignment_services.assign_expert(review_round=board.round, case=case, expert=b, by=None)

    with pytest.raises(InvalidTransition, match="该案例已有 2 名评审专家,达到每案人数。"):
        assignment_services.assign_expert(review_round=board.round, case=case, expert=c, by=None)
    response = office_client.post(
        reverse("manage:assign-add", kwargs={"pk": board.round.pk}),
        {"case": case.pk, "expert": c.pk},
        follow=True,
    )
    assert "该案例已有 2 名评审专家,达到每案人数。" in message_text(response)
    assert Assignment.objects.filter(case=case).count() == 2

    # A released assignment frees its place.
    assignment_services.confirm_assignments(review_round=board.round, by=None)
    assignment_services.declare_conflict(
        assignment=Assignment.objects.get(case=case, expert=a), by=a, reason="回避"
    )
    assert assignment_services.assign_expert(review_round=board.round, case=case, expert=c, by=None)


def test_same_expert_twice_on_a_case_is_refused(board):
    a = board.experts[0]
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    with pytest.raises(InvalidTransition, match="该专家已分配到这个案例。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[0], expert=a, by=None
        )
    assert Assignment.objects.count() == 1


def test_expert_maximum_load_is_enforced(board, office_client):
    a = board.experts[0]
    ExpertProfile.objects.filter(user=a).update(max_cases_per_round=2)
    a.refresh_from_db()
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[1], expert=a, by=None
    )

    with pytest.raises(InvalidTransition, match="专家甲 本轮已分配 2 件,达到其评审上限。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[2], expert=a, by=None
        )
    response = office_client.post(
        reverse("manage:assign-add", kwargs={"pk": board.round.pk}),
        {"case": board.cases[2].pk, "expert": a.pk},
        follow=True,
    )
    assert "专家甲 本轮已分配 2 件,达到其评审上限。" in message_text(response)
    assert Assignment.objects.filter(expert=a).count() == 2
    # The case's assign page shows the load against the limit.
    html = response.content.decode()
    assert re.search(r"<td>专家甲[^<]*</td>\s*<td>[^<]*</td>\s*<td>2 / 2</td>", html)
    # The limit is per round.
    final = make_open_round(board.campaign, cases=[board.cases[2]], name="终评")
    assert assignment_services.assign_expert(
        review_round=final, case=board.cases[2], expert=a, by=None
    )


def test_expert_outside_the_round_panels_is_refused(board):
    outsider = make_expert()
    with pytest.raises(InvalidTransition, match="该专家不在本轮的评审组中。"):
        assignment_services.assign_expert(
            review_round=board.round, case=board.cases[0], expert=outsider, by=None
        )
    assert not Assignment.objects.exists()


def test_case_outside_the_round_is_refused(board):
    stray = accepted_case_for_review(board.campaign)
    with pytest.raises(InvalidTransition, match="该案例不在本轮评审范围内。"):
        assignment_services.assign_expert(
            review_round=board.round, case=stray, expert=board.experts[0], by=None
        )


def test_started_review_cannot_be_unassigned(board, office_client):
    a = board.experts[0]
    criteria = make_rubric(board.campaign)
    assignment_services.assign_expert(
        review_round=board.round, case=board.cases[0], expert=a, by=None
    )
    assignment_services.confirm_assignments(review_round=board.round, by=None)
    assignment = Assignment.objects.get()
    review_of(assignment, criteria, ["10", "", ""], submit=False)
    response = office_client.post(
        reverse(
            "manage:assign-remove", kwargs={"pk": board.round.pk, "assignment_pk": assignment.pk}
        ),
        follow=True,
    )
    assert "该专家已开始评分,不能取消分配。" in message_text(response)
    assert Assignment.objects.filter(pk=assignment.pk).exists()
