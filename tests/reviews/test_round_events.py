"""Every office action on a round's assignment or ranking is on record: who, when, what."""

import pytest

from reviews.assignment import services as assignment_services
from reviews.models import Assignment, AssignmentStatus, RoundEvent, RoundEventKind
from reviews.ranking import services as ranking
from tests.factories import (
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    make_closed_round,
    ranking_campaign,
)

K = RoundEventKind


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方李四")


def kinds(review_round):
    return list(RoundEvent.objects.filter(round=review_round).values_list("kind", "actor_id"))


def test_compute_basis_tie_break_lock_and_reopen_are_recorded_with_their_actor(admin):
    campaign = ranking_campaign(best=1, excellent=1)
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(2)]
    final = make_closed_round(campaign)
    add_reviews(final, {cases[0]: [90, 90, 90], cases[1]: [80, 80, 80]})

    ranking.compute_ranking(review_round=final, by=admin)
    ranking.compute_ranking(review_round=final, by=admin, basis="median")
    ranking.set_tie_break(review_round=final, by=admin, apply=True)
    ranking.lock_ranking(review_round=final, by=admin, note="委员会会议决定")
    ranking.reopen_ranking(review_round=final, by=admin, reason="复核")

    assert kinds(final) == [
        (K.RANKING_COMPUTED, admin.pk),
        (K.BASIS_CHANGED, admin.pk),
        (K.RANKING_COMPUTED, admin.pk),
        (K.TIE_BREAK_CHANGED, admin.pk),
        (K.RANKING_COMPUTED, admin.pk),
        (K.RANKING_LOCKED, admin.pk),
        (K.RANKING_REOPENED, admin.pk),
    ]
    basis = RoundEvent.objects.get(round=final, kind=K.BASIS_CHANGED)
    assert basis.note == "去掉最高分和最低分后的平均分 → 中位数"
    assert RoundEvent.objects.get(round=final, kind=K.RANKING_REOPENED).note == "复核"
    assert RoundEvent.objects.get(round=final, kind=K.RANKING_LOCKED).note == "委员会会议决定"


def test_shortlisting_is_recorded(admin):
    campaign = ranking_campaign(status="reviewing")
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(3)]
    first = make_closed_round(campaign)
    second = make_closed_round(campaign, order=2)
    add_reviews(first, {cases[0]: [90, 90], cases[1]: [80, 80], cases[2]: [70, 70]})
    ranking.compute_ranking(review_round=first, by=admin)

    ranking.shortlist(review_round=first, target=second, by=admin, top=2)

    event = RoundEvent.objects.get(round=first, kind=K.SHORTLISTED)
    assert event.actor == admin
    assert event.note == "前 2 名(2 个案例)入围“第2轮”"


def test_removing_an_assignment_leaves_a_record_naming_the_case_and_the_expert(admin):
    campaign = ranking_campaign(status="reviewing")
    case = accepted_case_for_ranking(campaign, "待分配案例")
    review_round = make_closed_round(campaign, cases=[case])
    expert = UserFactory(expert=True, display_name="王专家")
    assignment = Assignment.objects.create(
        round=review_round, case=case, expert=expert, status=AssignmentStatus.PROPOSED
    )

    assignment_services.remove_assignment(assignment=assignment, by=admin)

    event = RoundEvent.objects.get(round=review_round, kind=K.ASSIGNMENT_REMOVED)
    assert event.actor == admin
    assert "待分配案例" in event.note
    assert "王专家" in event.note
