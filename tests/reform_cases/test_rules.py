"""The campaign's named rules: what each status allows, and who; services and pages agree."""

from datetime import timedelta

import pytest
import rules
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from common.exceptions import InvalidTransition
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.models import CampaignStatus, CaseOutcome, CaseStatus, Correction
from reform_cases.publication import rules as publication_rules
from reform_cases.publication import services as publication_services
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import services as submission_services
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    TierFactory,
    UserFactory,
    form_data,
    open_campaign,
    submitted_case,
)

S = CampaignStatus


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True)


@pytest.fixture
def locality(db):
    return UserFactory(locality=True)


def test_every_rule_is_registered_by_name_for_templates():
    for name in (
        "can_edit_campaign",
        "can_edit_tiers",
        "can_delete_tier",
        "can_reopen_ranking",
        "can_edit_case",
        "can_formal_check",
        "can_correct_case",
        "can_correct_award",
        "can_answer_objection",
        "can_publish_results",
        "can_edit_rounds",
        "can_edit_rubric",
        "can_edit_panels",
        "can_change_assignments",
        "can_compute_ranking",
        "can_change_ranking",
        "can_lock_ranking",
        "can_open_notice",
    ):
        assert rules.rule_exists(name), name


@pytest.mark.parametrize("status", list(S))
def test_the_campaign_may_be_edited_only_before_the_lock(admin, status):
    campaign = CampaignFactory(status=status, published_at=None)
    expected = status in campaign_rules.BEFORE_LOCK
    assert campaign_rules.can_edit_campaign(admin, campaign) is expected
    assert campaign_rules.can_edit_tiers(admin, campaign) is expected


def test_roles_other_than_the_office_may_edit_no_campaign(locality):
    campaign = CampaignFactory(status=S.DRAFT, published_at=None)
    expert = UserFactory(expert=True)
    for user in (locality, expert):
        assert not campaign_rules.can_edit_campaign(user, campaign)
    assert campaign_rules.can_edit_campaign(None, campaign)  # the system (set-up commands)


def returned_case(campaign, locality, admin, revise_by=None):
    case = submitted_case(campaign, locality.organisation, locality)
    return submission_services.return_case(
        case=case, by=admin, reason="请补充数据", revise_by=revise_by
    )


def test_a_returned_case_is_writable_during_the_formal_check_only(admin, locality):
    campaign = open_campaign()
    case = returned_case(campaign, locality, admin)
    assert submission_rules.can_edit_case(locality, case)

    type(campaign).objects.filter(pk=campaign.pk).update(status=S.CHECKING)
    case.refresh_from_db()
    assert submission_rules.can_edit_case(locality, case)

    type(campaign).objects.filter(pk=campaign.pk).update(status=S.REVIEWING)
    case.refresh_from_db()
    assert not submission_rules.can_edit_case(locality, case)
    with pytest.raises(InvalidTransition) as exc:
        submission_services.update_draft(case=case, by=locality, data={"summary": "改"})
    assert "评选活动已进入专家评审" in " ".join(exc.value.messages)
    with pytest.raises(InvalidTransition):
        submission_services.submit_case(case=case, by=locality)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED


def test_the_locality_page_refuses_editing_once_the_review_has_started(admin, locality):
    campaign = open_campaign()
    case = returned_case(campaign, locality, admin)
    type(campaign).objects.filter(pk=campaign.pk).update(status=S.REVIEWING)
    client = Client()
    client.force_login(locality)

    r = client.post(f"/cases/mine/{case.pk}/edit/", form_data(case, summary="新的简介"))

    assert r.status_code == 302
    case.refresh_from_db()
    assert case.summary != "新的简介"


def test_another_organisation_may_not_change_a_case(admin, locality):
    campaign = open_campaign()
    case = returned_case(campaign, locality, admin)
    stranger = UserFactory(locality=True)
    assert not submission_rules.can_edit_case(stranger, case)
    with pytest.raises(PermissionDenied):
        submission_services.update_draft(case=case, by=stranger, data={"summary": "改"})


def test_a_returned_case_can_be_closed_as_ineligible_with_a_reason(admin, locality):
    campaign = open_campaign()
    case = returned_case(campaign, locality, admin, revise_by=timezone.now() + timedelta(days=1))
    case = submission_services.mark_ineligible(case=case, by=admin, reason="逾期未重新提交")
    assert case.status == CaseStatus.INELIGIBLE
    assert case.events.last().note == "逾期未重新提交"


@pytest.fixture
def in_notice(admin):
    campaign = CampaignFactory(status=S.NOTICE, published_at=None)
    best = TierFactory(campaign=campaign, code="best", name="最佳实践案例", order=1, quota=1)
    excellent = TierFactory(campaign=campaign, code="excellent", name="优秀实践案例", order=2)
    case = CaseFactory(
        campaign=campaign, status=CaseStatus.ACCEPTED, outcome=CaseOutcome.AWARDED, tier=excellent
    )
    return campaign, case, best


def test_during_the_notice_a_tier_changes_only_through_an_upheld_objection(admin, in_notice):
    campaign, case, best = in_notice
    assert publication_rules.can_correct_case(admin, case)
    assert not publication_rules.can_correct_award(admin, case)

    with pytest.raises(InvalidTransition) as exc:
        publication_services.correct_case(
            case=case, by=admin, reason="委员会复议", changes={"award": (best, CaseOutcome.AWARDED)}
        )
    assert "公示期间,等次只能通过成立的异议更正" in " ".join(exc.value.messages)
    case.refresh_from_db()
    assert case.tier.code == "excellent"

    # A text may be corrected, on record.
    publication_services.correct_case(
        case=case, by=admin, reason="错别字", changes={"title": case.title + "(更正)"}
    )
    assert Correction.objects.filter(case=case, field_name="title").exists()

    objection = publication_services.submit_objection(
        campaign=campaign, case=case, name="某单位", contact="0571-87000000", text="评分有误",
        ip="127.0.0.9", upload=None,
    )  # fmt: skip
    publication_services.answer_objection(
        objection=objection,
        by=admin,
        decision="upheld",
        answer="经复核,异议成立。",
        new_award=(best, CaseOutcome.AWARDED),
    )
    case.refresh_from_db()
    assert case.tier == best


def test_the_correction_page_hides_the_tier_during_the_notice(admin, in_notice):
    _campaign, case, _best = in_notice
    client = Client()
    client.force_login(admin)
    html = client.get(f"/manage/cases/{case.pk}/correct/").content.decode()
    assert 'name="tier"' not in html
    assert "公示期间,等次只能通过成立的异议更正" in html
