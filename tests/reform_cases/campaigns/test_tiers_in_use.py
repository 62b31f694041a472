"""A tier that a case, a ranking or a tier override names cannot be deleted: the model says
so (`Tier.is_referenced`), and the campaign's tier formset refuses with a form error."""

import pytest
from django.db.models import ProtectedError

from reform_cases.campaigns.forms import TierFormSet
from reform_cases.models import CaseOutcome, Tier
from reviews.models import RankingEntry, TierOverride
from tests.factories import (
    CaseFactory,
    TierFactory,
    UserFactory,
    accepted_case_for_ranking,
    make_closed_round,
    ranking_campaign,
    ranking_entry,
    tier_data,
    tier_override,
)
from tests.helpers import client_of

pytestmark = pytest.mark.django_db

REFUSED = "“最佳实践案例”已被案例或排名使用,不能删除。"


@pytest.fixture
def campaign():
    """A campaign being ranked, with tiers 最佳 and 优秀 that nothing names yet."""
    return ranking_campaign()


@pytest.fixture
def entry(campaign):
    case = accepted_case_for_ranking(campaign, "“最多跑一次”改革")
    return ranking_entry(make_closed_round(campaign, cases=[case]), case, campaign.best)


# --- the model ----------------------------------------------------------------------------


def test_a_tier_nothing_names_is_not_referenced(campaign):
    assert not campaign.best.is_referenced
    assert not Tier.objects.filter(campaign=campaign).referenced().exists()


def test_a_tier_not_saved_yet_is_not_referenced():
    assert not Tier(name="新等次").is_referenced


def test_a_tier_given_to_a_case_is_referenced():
    case = CaseFactory(outcome=CaseOutcome.AWARDED)
    assert case.tier.is_referenced


def test_a_tier_a_ranking_entry_proposes_is_referenced(campaign, entry):
    assert campaign.best.is_referenced
    assert not campaign.excellent.is_referenced
    assert list(Tier.objects.filter(campaign=campaign).referenced()) == [campaign.best]


def test_a_tier_a_ranking_entry_gives_after_an_override_is_referenced(campaign, entry):
    RankingEntry.objects.filter(pk=entry.pk).update(proposed_tier=None)
    assert campaign.best.is_referenced  # still its final tier


def test_both_tiers_of_a_tier_override_are_referenced(campaign, entry):
    tier_override(entry, by=UserFactory(administrator=True), to=campaign.excellent)
    RankingEntry.objects.filter(pk=entry.pk).update(proposed_tier=None, final_tier=None)

    assert TierOverride.objects.exists()
    assert campaign.best.is_referenced and campaign.excellent.is_referenced
    assert set(Tier.objects.filter(campaign=campaign).referenced()) == {
        campaign.best,
        campaign.excellent,
    }


def test_a_referenced_tier_cannot_be_deleted_through_the_orm(campaign, entry):
    with pytest.raises(ProtectedError):
        campaign.best.delete()


# --- the campaign's tier formset ----------------------------------------------------------


def test_the_tier_formset_refuses_to_delete_a_tier_a_ranking_names(campaign, entry):
    formset = TierFormSet(
        tier_data(campaign, delete=[campaign.best]), instance=campaign, prefix="tiers"
    )

    assert not formset.is_valid()
    assert formset.non_form_errors() == [REFUSED]
    assert Tier.objects.filter(pk=campaign.best.pk).exists()


def test_the_tier_formset_refuses_to_delete_a_tier_a_case_has():
    case = CaseFactory(outcome=CaseOutcome.AWARDED, tier__name="最佳实践案例")
    TierFactory(campaign=case.campaign, name="优秀实践案例")

    formset = TierFormSet(
        tier_data(case.campaign, delete=[case.tier]), instance=case.campaign, prefix="tiers"
    )

    assert not formset.is_valid()
    assert REFUSED in formset.non_form_errors()


def test_the_refusal_names_the_tier_as_stored_although_it_was_renamed_in_the_same_post(
    campaign, entry
):
    data = tier_data(campaign, delete=[campaign.best], renamed={"best": "改过的名字"})

    formset = TierFormSet(data, instance=campaign, prefix="tiers")

    assert formset.non_form_errors() == [REFUSED]


def test_the_tier_formset_still_deletes_a_tier_nothing_names(campaign, entry):
    formset = TierFormSet(
        tier_data(campaign, delete=[campaign.excellent]), instance=campaign, prefix="tiers"
    )

    assert formset.is_valid(), formset.non_form_errors()
    formset.save()
    assert list(campaign.tiers.all()) == [campaign.best]


def test_deleting_a_tier_in_use_on_the_campaign_page_keeps_what_was_typed_and_says_why(
    campaign, entry
):
    office = client_of(UserFactory(administrator=True))
    data = {
        "year": str(campaign.year),
        "title": "改过的评选名称",
        "title_en": campaign.title_en,
        "max_cases_per_organisation": "3",
        "description": "",
        "call_for_entries": "",
        **tier_data(campaign, delete=[campaign.best], renamed={"excellent": "优秀案例(改)"}),
    }

    r = office.post(f"/manage/campaigns/{campaign.pk}/edit/", data)

    html = r.content.decode()
    assert r.status_code == 200
    assert REFUSED in html
    assert 'value="改过的评选名称"' in html and 'value="优秀案例(改)"' in html
    campaign.refresh_from_db()
    assert campaign.title != "改过的评选名称"
    assert set(campaign.tiers.values_list("name", flat=True)) == {"最佳实践案例", "优秀实践案例"}


def test_deleting_a_tier_in_use_in_the_django_admin_is_refused_with_a_form_error(
    superuser_client, campaign, entry
):
    data = {
        "year": str(campaign.year),
        "title": campaign.title,
        "title_en": campaign.title_en,
        "max_cases_per_organisation": "3",
        "required_attachment_kinds": "[]",
        **tier_data(campaign, delete=[campaign.best]),
    }

    r = superuser_client.post(f"/admin/reform_cases/campaign/{campaign.pk}/change/", data)

    assert r.status_code == 200  # the page again, with the error; not a server error
    (tiers,) = r.context["inline_admin_formsets"]
    assert "最佳实践案例" in " ".join(tiers.formset.non_form_errors())  # Django's "protected"
    assert Tier.objects.filter(pk=campaign.best.pk).exists()
