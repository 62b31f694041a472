"""Constraints that keep the data consistent whatever code writes it."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Organisation, OrganisationKind, Role, User
from reform_cases.models import Case, CaseOutcome, normalise_title
from tests.factories import CampaignFactory, CaseFactory, CityFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


def _violates(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_awarded_case_without_tier_is_refused():
    campaign = CampaignFactory()
    _violates(
        lambda: Case.objects.create(
            campaign=campaign, title="获奖但没有等次", outcome=CaseOutcome.AWARDED, tier=None
        )
    )


@pytest.mark.parametrize(
    "outcome", [CaseOutcome.SELECTED, CaseOutcome.NOT_AWARDED, CaseOutcome.PENDING]
)
def test_case_that_is_not_awarded_cannot_have_a_tier(outcome):
    tier = TierFactory()
    _violates(
        lambda: Case.objects.create(
            campaign=tier.campaign, title="入选却有等次", outcome=outcome, tier=tier
        )
    )


def test_consistent_outcomes_are_accepted():
    tier = TierFactory()
    Case.objects.create(
        campaign=tier.campaign, title="获奖", outcome=CaseOutcome.AWARDED, tier=tier
    )
    Case.objects.create(campaign=tier.campaign, title="入选", outcome=CaseOutcome.SELECTED)
    assert Case.objects.filter(campaign=tier.campaign).count() == 2


def test_organisation_name_is_unique_within_its_parent():
    hangzhou = CityFactory(name="杭州市")
    Organisation.objects.create(name="西湖区", kind=OrganisationKind.COUNTY, parent=hangzhou)
    _violates(
        lambda: Organisation.objects.create(
            name="西湖区", kind=OrganisationKind.COUNTY, parent=hangzhou
        )
    )


def test_same_unit_name_under_different_cities_is_allowed():
    for city_name in ("宁波市", "舟山市"):
        Organisation.objects.create(
            name="普陀区", kind=OrganisationKind.COUNTY, parent=CityFactory(name=city_name)
        )
    assert Organisation.objects.filter(name="普陀区").count() == 2


def test_top_level_names_are_unique_although_their_parent_is_null():
    Organisation.objects.create(name="省公安厅", kind=OrganisationKind.DEPARTMENT)
    _violates(
        lambda: Organisation.objects.create(name="省公安厅", kind=OrganisationKind.DEPARTMENT)
    )


def test_locality_user_must_have_an_organisation():
    _violates(lambda: User.objects.create(username="no-unit", role=Role.LOCALITY))


def test_locality_user_with_organisation_is_accepted():
    user = UserFactory(locality=True)
    assert user.organisation_id is not None
    assert not user.is_staff


def test_administrators_are_staff():
    user = User.objects.create(username="organiser", role=Role.ADMINISTRATOR)
    user.refresh_from_db()
    assert user.is_staff
    assert user.is_administrator


def test_expert_is_not_staff():
    assert not UserFactory(expert=True).is_staff


def test_deactivated_administrator_is_not_an_administrator():
    assert not UserFactory(administrator=True, is_active=False).is_administrator


@pytest.mark.parametrize(
    "variant",
    [
        "车辆检测“一件事”集成改革",
        '车辆检测"一件事"集成改革',
        "车辆检测‘一件事’集成改革",
        "车辆检测 「一件事」 集成改革",
        "车辆检测＂一件事＂集成改革",  # full-width ASCII quotation marks
    ],
)
def test_normalise_title_ignores_quotation_marks_and_spaces(variant):
    assert normalise_title(variant) == "车辆检测一件事集成改革"


def test_normalise_title_folds_full_width_brackets():
    assert normalise_title("乡镇（街道）纪检监察") == normalise_title("乡镇(街道)纪检监察")
    assert normalise_title("乡镇（街道）纪检监察") == "乡镇(街道)纪检监察"


def test_normalise_title_keeps_distinct_titles_distinct():
    assert normalise_title("车辆检测一件事") != normalise_title("车辆年检一件事")


def test_case_title_key_follows_the_title_on_partial_save():
    case = CaseFactory(title="旧名称")
    case.title = "“新”名称"
    case.save(update_fields=["title"])
    case.refresh_from_db()
    assert case.title_key == "新名称"


def test_two_cases_with_equivalent_titles_in_one_campaign_are_refused():
    case = CaseFactory(title="车辆检测“一件事”集成改革")
    _violates(lambda: CaseFactory(campaign=case.campaign, title='车辆检测"一件事"集成改革'))
