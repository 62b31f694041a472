"""After the lock nothing that decides a tier changes, by POST or by a service call, until
the office reopens the ranking with a written reason; every transition has one path."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from common.exceptions import InvalidTransition
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.models import CampaignStatus, CampaignStatusChange
from reviews.assignment import services as assignment_services
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    Panel,
    RankingConfig,
    RankingEntry,
    ReviewRound,
    Score,
)
from reviews.ranking import services as ranking
from reviews.rounds import services as rounds_services
from tests.factories import (
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    make_closed_round,
    make_expert,
    ranking_campaign,
)


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True, display_name="组织方")


@pytest.fixture
def office(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def locked(admin):
    """A locked two-round campaign: 初评 ranked and locked, with an empty later round."""
    campaign = ranking_campaign(best=1, excellent=1)
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(3)]
    final = make_closed_round(campaign, order=1)
    add_reviews(final, {cases[0]: [90, 90, 90], cases[1]: [80, 80, 80], cases[2]: [60, 60, 60]})
    ranking.compute_ranking(review_round=final, by=admin)
    ranking.lock_ranking(review_round=final, by=admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED
    return campaign, final, cases


def snapshot(campaign, review_round):
    """Everything that decides a tier."""
    return {
        "entries": sorted(
            RankingEntry.objects.filter(round=review_round).values_list(
                "case_id", "proposed_tier_id", "final_tier_id", "rank", "basis_value", "overridden"
            )
        ),
        "config": list(RankingConfig.objects.filter(campaign=campaign).values_list("basis", "tie_break")),
        "scores": sorted(Score.objects.filter(review__assignment__round=review_round).values_list("pk", "value")),
        "assignments": sorted(Assignment.objects.filter(round__campaign=campaign).values_list("pk", "status", "expert_id")),
        "rounds": sorted(ReviewRound.objects.filter(campaign=campaign).values_list("pk", "name", "reviewers_per_case")),
        "round_cases": sorted(review_round.cases.values_list("pk", flat=True)),
        "criteria": sorted(Criterion.objects.filter(campaign=campaign).values_list("pk", "name", "max_score", "weight")),
        "panels": sorted(Panel.objects.filter(campaign=campaign).values_list("pk", "name")),
        "tiers": sorted(campaign.tiers.values_list("pk", "name", "quota")),
        "status": type(campaign).objects.get(pk=campaign.pk).status,
    }  # fmt: skip


def refused_posts(campaign, review_round, cases):
    entry = RankingEntry.objects.get(round=review_round, case=cases[1])
    now = timezone.localtime()
    return {
        "compute on another basis": (f"/manage/rounds/{review_round.pk}/ranking/compute/", {"basis": "mean"}),
        "tie-break": (f"/manage/rounds/{review_round.pk}/ranking/tie-break/", {"apply": "1"}),
        "override": (
            f"/manage/rounds/{review_round.pk}/ranking/{entry.pk}/override/",
            {"tier": campaign.best.pk, "reason": "委员会意见"},
        ),
        "round edit": (
            f"/manage/rounds/{review_round.pk}/",
            {
                "name": "改名", "order": 1, "reviewers_per_case": 5,
                "opens_at": (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
                "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
                "visibility": "never", "reminder_days": 2,
            },
        ),
        "new round": (
            f"/manage/campaigns/{campaign.pk}/rounds/",
            {
                "name": "复评", "order": 2, "reviewers_per_case": 3,
                "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
                "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
                "visibility": "never", "reminder_days": 2,
            },
        ),
        "add accepted cases": (f"/manage/rounds/{review_round.pk}/add-cases/", {}),
        "new panel": (f"/manage/campaigns/{campaign.pk}/panels/", {"name": "新评审组"}),
        "confirm assignments": (f"/manage/rounds/{review_round.pk}/assign/confirm/", {}),
        "automatic assignment": (f"/manage/rounds/{review_round.pk}/assign/auto/", {"accept_partial": "on"}),
        "lock again": (f"/manage/rounds/{review_round.pk}/ranking/lock/", {}),
        "status form back to ranking": (
            f"/manage/campaigns/{campaign.pk}/status/", {"to": "ranking", "note": "复核"},
        ),
    }  # fmt: skip


REFUSED = [
    "compute on another basis",
    "tie-break",
    "override",
    "round edit",
    "new round",
    "add accepted cases",
    "new panel",
    "confirm assignments",
    "automatic assignment",
    "lock again",
    "status form back to ranking",
]


@pytest.mark.parametrize("action", REFUSED)
def test_after_the_lock_a_post_changes_nothing_that_decides_a_tier(locked, office, action):
    campaign, final, cases = locked
    before = snapshot(campaign, final)
    url, data = refused_posts(campaign, final, cases)[action]

    r = office.post(url, data, follow=True)

    assert r.status_code == 200
    assert snapshot(campaign, final) == before


def test_after_the_lock_each_service_refuses_with_a_reason(locked, admin):
    campaign, final, cases = locked
    expert = make_expert()
    before = snapshot(campaign, final)
    entry = RankingEntry.objects.get(round=final, case=cases[2])
    attempts = [
        lambda: ranking.compute_ranking(review_round=final, by=admin),
        lambda: ranking.compute_ranking(review_round=final, by=admin, basis="median"),
        lambda: ranking.set_tie_break(review_round=final, by=admin, apply=True),
        lambda: ranking.override_tier(entry=entry, by=admin, tier=campaign.best, reason="改"),
        lambda: rounds_services.add_accepted_cases(review_round=final, by=admin),
        lambda: assignment_services.assign_expert(
            review_round=final, case=cases[0], expert=expert, by=admin
        ),
        lambda: assignment_services.record_conflict(
            expert=expert, case=cases[0], by=admin, reason="同单位"
        ),
        lambda: assignment_services.confirm_assignments(review_round=final, by=admin),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidTransition) as exc:
            attempt()
        assert "排名已锁定" in " ".join(exc.value.messages)
    assert snapshot(campaign, final) == before


def test_the_ranking_page_offers_only_reopening_after_the_lock(locked, office):
    _campaign, final, _cases = locked
    html = office.get(f"/manage/rounds/{final.pk}/ranking/").content.decode()
    assert f"/manage/rounds/{final.pk}/ranking/reopen/" in html
    assert f"/manage/rounds/{final.pk}/ranking/notice/" in html
    for hidden in ("compute/", "tie-break/", "lock/", "/override/"):
        assert f"/manage/rounds/{final.pk}/ranking/{hidden}" not in html
    assert "排名已锁定" in html


def test_reopening_needs_a_written_reason_and_is_recorded(locked, office, admin):
    campaign, final, _cases = locked

    r = office.post(f"/manage/rounds/{final.pk}/ranking/reopen/", {"reason": "  "}, follow=True)
    assert "重新开放排名必须填写理由" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED

    r = office.post(
        f"/manage/rounds/{final.pk}/ranking/reopen/", {"reason": "复核第二名的评分"}, follow=True
    )
    assert "排名已重新开放" in r.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RANKING
    change = CampaignStatusChange.objects.filter(campaign=campaign).order_by("-pk").first()
    assert (change.from_status, change.to_status) == (CampaignStatus.LOCKED, CampaignStatus.RANKING)
    assert change.note == "复核第二名的评分"
    assert change.actor == admin
    # Reopened, the ranking can change again.
    ranking.compute_ranking(review_round=final, by=admin, basis="mean")


def test_reopening_is_refused_once_the_notice_is_open(locked, admin):
    campaign, final, _cases = locked
    ranking.publish_notice_from_ranking(
        review_round=final, by=admin, ends_at=timezone.now() + timedelta(days=7)
    )
    with pytest.raises(InvalidTransition):
        ranking.reopen_ranking(review_round=final, by=admin, reason="想改")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE


def test_only_the_office_may_reopen(locked):
    _campaign, final, _cases = locked
    expert = make_expert()
    with pytest.raises(PermissionDenied):
        ranking.reopen_ranking(review_round=final, by=expert, reason="想改")


def test_lock_returns_and_the_page_shows_tiers_over_their_quota(admin, office):
    campaign = ranking_campaign(best=1, excellent=1)
    cases = [accepted_case_for_ranking(campaign, f"案例{i}") for i in range(3)]
    final = make_closed_round(campaign)
    add_reviews(final, {cases[0]: [90, 90, 90], cases[1]: [80, 80, 80], cases[2]: [60, 60, 60]})
    ranking.compute_ranking(review_round=final, by=admin)
    second = RankingEntry.objects.get(round=final, case=cases[1])
    ranking.override_tier(entry=second, by=admin, tier=campaign.best, reason="委员会一致意见")

    html = office.get(f"/manage/rounds/{final.pk}/ranking/").content.decode()
    assert "以下等次因人工调整超过名额" in html
    assert "最佳实践案例 2/1" in html

    over = ranking.lock_ranking(review_round=final, by=admin)
    assert [(tier.code, n) for tier, n in over] == [("best", 2)]


def test_every_owned_transition_is_refused_by_the_status_service(admin):
    """Lock, reopen, notice and publication each have one path: their own service."""
    from reform_cases.campaigns.services import change_campaign_status

    for current, target in campaign_rules.OWNED_TRANSITIONS:
        campaign = ranking_campaign(status=current)
        with pytest.raises(InvalidTransition):
            change_campaign_status(campaign=campaign, by=admin, to=target, note="理由")
        campaign.refresh_from_db()
        assert campaign.status == current
        assert not CampaignStatusChange.objects.filter(campaign=campaign).exists()


def test_an_expert_cannot_declare_a_conflict_after_the_lock(locked):
    _campaign, final, cases = locked
    assignment = Assignment.objects.filter(round=final, case=cases[0]).first()
    with pytest.raises(InvalidTransition):
        assignment_services.declare_conflict(
            assignment=assignment, by=assignment.expert, reason="同单位"
        )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CONFIRMED
