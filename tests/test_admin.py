"""The Django admin: status, outcome and tier change through services only."""

import pytest

from reform_cases.models import CampaignStatus, CaseOutcome, CaseStatus
from tests.factories import CaseFactory, TierFactory
from tests.helpers import case_2020, tier_2020

pytestmark = pytest.mark.django_db

# These tests use `superuser_client`, so that they check the read-only rules alone;
# test_administrator_role_can_use_the_case_admin checks the administrator role.

INLINE_MANAGEMENT = {
    "events-TOTAL_FORMS": "0",
    "events-INITIAL_FORMS": "0",
    "events-MIN_NUM_FORMS": "0",
    "events-MAX_NUM_FORMS": "1000",
}


def change_url(case):
    return f"/admin/reform_cases/case/{case.pk}/change/"


def form_fields(response):
    return set(response.context["adminform"].form.fields)


@pytest.fixture
def locked_case():
    """An awarded case of a campaign that is not public yet: its facts are editable."""
    tier = TierFactory(campaign__status=CampaignStatus.LOCKED)
    return CaseFactory(campaign=tier.campaign, tier=tier, title="锁定中的案例")


def test_change_page_shows_status_outcome_and_tier_read_only(superuser_client, locked_case):
    r = superuser_client.get(change_url(locked_case))
    assert r.status_code == 200
    fields = form_fields(r)
    assert {"status", "outcome", "tier", "rank", "final_score"}.isdisjoint(fields)
    assert "title" in fields  # not public yet: the facts are editable
    html = r.content.decode()
    assert 'name="tier"' not in html
    assert 'name="outcome"' not in html
    assert 'name="status"' not in html
    assert locked_case.tier.name in html  # shown, read-only
    assert 'name="title"' in html


def test_posting_a_tier_outcome_or_status_changes_nothing(superuser_client, locked_case):
    other_tier = TierFactory(campaign=locked_case.campaign)
    data = {
        "campaign": locked_case.campaign_id,
        "title": "锁定中的案例(改名)",
        "organisation": locked_case.organisation_id,
        "region": locked_case.region_id,
        "field": locked_case.field_id,
        "tier": other_tier.pk,
        "outcome": CaseOutcome.NOT_AWARDED,
        "status": CaseStatus.WITHDRAWN,
        "rank": "1",
        **INLINE_MANAGEMENT,
    }
    r = superuser_client.post(change_url(locked_case), data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    locked_case.refresh_from_db()
    assert locked_case.title == "锁定中的案例(改名)"  # the editable field did change
    assert locked_case.tier != other_tier
    assert (locked_case.outcome, locked_case.status, locked_case.rank) == (
        CaseOutcome.AWARDED,
        CaseStatus.ACCEPTED,
        None,
    )


def test_public_case_facts_are_read_only(superuser_client, published_fixtures):
    case = case_2020("“大下姜”联合体模式")
    r = superuser_client.get(change_url(case))
    assert r.status_code == 200
    fields = form_fields(r)
    assert {"title", "organisation", "co_organisations", "region", "field", "summary"}.isdisjoint(
        fields
    )
    assert 'name="title"' not in r.content.decode()
    assert "“大下姜”联合体模式" in r.content.decode()


def test_posting_to_a_public_case_changes_none_of_its_facts(superuser_client, published_fixtures):
    case = case_2020("“大下姜”联合体模式")
    data = {
        "title": "被改掉的标题",
        "summary": "被改掉的简介",
        "tier": tier_2020("excellent").pk,
        "outcome": CaseOutcome.SELECTED,
        **INLINE_MANAGEMENT,
    }
    r = superuser_client.post(change_url(case), data)
    assert r.status_code == 302  # saved: the fields were ignored, not refused
    case.refresh_from_db()
    assert case.title == "“大下姜”联合体模式"
    assert case.summary != "被改掉的简介"
    assert case.tier == tier_2020("best")
    assert case.outcome == CaseOutcome.AWARDED


def test_campaign_status_is_read_only(superuser_client, published_fixtures):
    r = superuser_client.get(f"/admin/reform_cases/campaign/{published_fixtures.pk}/change/")
    assert r.status_code == 200
    assert {"status", "published_at"}.isdisjoint(form_fields(r))


def test_corrections_cannot_be_added_or_changed_in_the_admin(superuser_client):
    assert superuser_client.get("/admin/reform_cases/correction/add/").status_code == 403


def test_case_list_search_and_filters(superuser_client, published_fixtures):
    r = superuser_client.get("/admin/reform_cases/case/", {"q": "省委改革办"})  # by unit
    assert r.status_code == 200
    assert [c.title for c in r.context["cl"].result_list] == ["车辆检测“一件事”集成改革"]
    r = superuser_client.get("/admin/reform_cases/case/", {"outcome__exact": "selected"})
    assert r.context["cl"].result_count == 3


def test_administrator_role_can_use_the_case_admin(client_for, published_fixtures):
    """An administrator (role, not superuser) works in the Django admin, as DESIGN says."""
    client = client_for("administrator")
    case = case_2020("“大下姜”联合体模式")
    assert client.get("/admin/reform_cases/case/").status_code == 200
    assert client.get(change_url(case)).status_code == 200
