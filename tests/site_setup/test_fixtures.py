"""The shipped fixtures: the published 2020 and 2019 results, organisations, fields."""

from collections import Counter
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from accounts.models import Organisation, OrganisationKind, User
from reform_cases.models import (
    Campaign,
    CampaignStatus,
    Case,
    CaseOutcome,
    Correction,
    Field,
    Tier,
)
from site_setup.demo import create_demo_data
from site_setup.fixtures_list import FIXTURE_FILES
from tests.helpers import case_2020, division_rows, reference_rows, unit_names

pytestmark = pytest.mark.django_db

SNAPSHOT_MODELS = (Organisation, Field, Campaign, Tier, Case, Case.co_organisations.through)


def _snapshot():
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }


def _award_code(case):
    return case.tier.code if case.tier else case.outcome


# --- 2020 -------------------------------------------------------------------


def test_2020_campaign_is_published_with_two_tiers(published_fixtures):
    campaign = published_fixtures
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.is_public
    tiers = list(campaign.tiers.order_by("order").values_list("code", "name", "name_en", "quota"))
    assert tiers == [
        ("best", "最佳实践案例", "Best practice", 10),
        ("excellent", "优秀实践案例", "Excellent practice", 40),
    ]


def test_2020_counts_per_tier(published_fixtures):
    cases = Case.objects.filter(campaign=published_fixtures)
    assert cases.count() == 12
    by_tier = Counter(cases.values_list("tier__code", "outcome"))
    assert by_tier == {
        ("best", CaseOutcome.AWARDED): 6,
        ("excellent", CaseOutcome.AWARDED): 3,
        (None, CaseOutcome.SELECTED): 3,
    }


@pytest.mark.parametrize("code", ["best", "excellent", "selected"])
def test_2020_titles_per_tier_equal_the_reference_file(published_fixtures, code):
    expected = sorted(r["title"] for r in reference_rows() if r["tier"] == code)
    cases = Case.objects.filter(campaign=published_fixtures).select_related("tier")
    actual = sorted(c.title for c in cases if _award_code(c) == code)
    assert actual == expected
    assert len(expected) == {"best": 6, "excellent": 3, "selected": 3}[code]


def test_2020_cases_match_the_reference_file_row_by_row(published_fixtures):
    rows = reference_rows()
    assert len(rows) == 12
    for row in rows:
        case = case_2020(row["title"])
        assert _award_code(case) == row["tier"], row["title"]
        assert unit_names(case) == [u for u in row["units"].split(";") if u], row["title"]
        assert case.region.name == row["region"], row["title"]
        assert case.field.name == row["field"], row["title"]
        assert case.evidence == row["evidence"], row["title"]
        assert case.is_historical


def test_2020_units_are_placed_in_their_cities(published_fixtures):
    # County-level units and city bodies hang under their city; provincial bodies are top level.
    assert case_2020("嘉善县推进示范区政务服务一体化建设").organisation.parent.name == "嘉兴市"
    assert case_2020("临安区农民建房“一件事”全流程“掌上办”").organisation.parent.name == "杭州市"
    co = case_2020("“大下姜”联合体模式").co_organisations.get()
    assert (co.name, co.parent.name) == ("淳安县", "杭州市")
    vehicle = case_2020("车辆检测“一件事”集成改革")
    assert vehicle.organisation.parent is None
    assert vehicle.organisation.kind == OrganisationKind.DEPARTMENT


# --- 2019 -------------------------------------------------------------------


def test_2019_campaign_has_three_tiers_and_its_one_case(published_fixtures):
    campaign = Campaign.objects.get(year=2019, is_demo=False)
    assert campaign.is_public
    tiers = list(campaign.tiers.order_by("order").values_list("code", "name", "quota"))
    assert tiers == [
        ("special", "特别贡献案例", 10),
        ("best", "最佳实践案例", 10),
        ("excellent", "优秀实践案例", 20),
    ]
    case = Case.objects.get(campaign=campaign)
    assert case.title == "浙江省深化监察体制改革试点"
    assert (case.outcome, case.tier.code) == (CaseOutcome.AWARDED, "special")
    assert case.organisation.name == "省纪委省监委"


def test_only_the_two_known_campaigns_are_shipped(published_fixtures):
    assert sorted(Campaign.objects.values_list("year", "is_demo")) == [
        (2019, False),
        (2020, False),
    ]
    assert Case.objects.count() == 13


# --- Organisations and fields -----------------------------------------------


def test_all_11_cities_and_90_county_level_units_with_their_parents(published_fixtures):
    divisions = division_rows()
    cities = Organisation.objects.filter(kind=OrganisationKind.CITY)
    assert cities.count() == 11
    assert set(cities.values_list("name", flat=True)) == {r["city"] for r in divisions}
    assert not cities.filter(parent__isnull=False).exists()

    counties = Organisation.objects.filter(kind=OrganisationKind.COUNTY)
    assert counties.count() == 90
    assert set(counties.values_list("parent__name", "name")) == {
        (r["city"], r["unit"]) for r in divisions
    }


def test_province_and_fields(published_fixtures):
    province = Organisation.objects.get(kind=OrganisationKind.PROVINCE)
    assert (province.name, province.parent) == ("浙江省", None)
    assert Field.objects.count() == 10
    reference_fields = {r["field"] for r in reference_rows()}
    assert reference_fields <= set(Field.objects.values_list("name", flat=True))


# --- Loading twice, setup_site ----------------------------------------------


def test_loading_the_fixtures_twice_changes_nothing(published_fixtures):
    before = _snapshot()
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    after = _snapshot()
    for label in before:
        assert after[label] == before[label], label
    assert len(after["reform_cases.Case"]) == 13


def test_setup_site_loads_into_an_empty_database(db):
    out = StringIO()
    call_command("setup_site", "--no-demo", stdout=out)
    assert Case.objects.filter(campaign__year=2020).count() == 12
    assert Organisation.objects.filter(kind=OrganisationKind.COUNTY).count() == 90
    assert "Loaded 2 campaigns" in out.getvalue()


def test_setup_site_never_overwrites_what_an_administrator_changed(db):
    call_command("setup_site", "--no-demo", stdout=StringIO())
    case = case_2020("温州市为侨服务“全球通”平台")
    case.title = "温州市为侨服务“全球通”平台(管理员修改)"
    case.save()
    tier = Tier.objects.get(campaign__year=2020, code="excellent")
    tier.quota = 41
    tier.save()

    out = StringIO()
    call_command("setup_site", "--no-demo", stdout=out)

    case.refresh_from_db()
    tier.refresh_from_db()
    assert case.title == "温州市为侨服务“全球通”平台(管理员修改)"
    assert tier.quota == 41
    assert not Case.objects.filter(title="温州市为侨服务“全球通”平台").exists()
    assert "not loaded" in out.getvalue()


def test_setup_site_creates_the_demo_accounts_on_the_embedded_default(db):
    call_command("setup_site", stdout=StringIO())
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    assert set(users) == {"demo-locality", "demo-expert", "demo-admin"}
    assert all(u.check_password("Demo-2020-pass") for u in users.values())
    assert users["demo-locality"].organisation is not None
    assert users["demo-admin"].is_staff
    # Running it again creates nothing twice.
    call_command("setup_site", stdout=StringIO())
    assert User.objects.filter(username__startswith="demo-").count() == 3
    assert Campaign.objects.filter(is_demo=True).count() == 2


# --- Demo data --------------------------------------------------------------


@override_settings(DEMO_DATA_ALLOWED=False)
def test_demo_data_is_refused_under_production_settings(published_fixtures):
    with pytest.raises(ImproperlyConfigured):
        create_demo_data()
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert not Campaign.objects.filter(is_demo=True).exists()


@override_settings(DEMO_DATA_ALLOWED=False)
def test_setup_site_under_production_settings_loads_fixtures_but_no_demo(db):
    call_command("setup_site", stdout=StringIO())
    assert Campaign.objects.filter(is_demo=False).count() == 2
    assert not Campaign.objects.filter(is_demo=True).exists()
    assert not User.objects.exists()


def test_demo_campaigns_are_never_public_even_when_published(client, published_fixtures):
    create_demo_data()
    demo = Campaign.objects.filter(is_demo=True).order_by("year").first()
    demo_case = Case.objects.filter(campaign=demo).first()
    assert demo_case is not None
    # Give the demo case every mark of a public one.
    Campaign.objects.filter(is_demo=True).update(status=CampaignStatus.PUBLISHED)
    Case.objects.filter(pk=demo_case.pk).update(outcome=CaseOutcome.SELECTED)

    assert client.get(f"/results/{demo.year}/").status_code == 404
    assert client.get(f"/results/{demo.year}/export.csv").status_code == 404
    assert client.get(f"/cases/{demo_case.pk}/").status_code == 404
    listing = client.get("/results/").content.decode()
    assert demo.title not in listing
    assert "2020年度浙江省改革创新实践案例" in listing
    home = client.get("/").content.decode()
    assert demo.title not in home
    assert "2020年度浙江省改革创新实践案例" in home


def test_demo_data_records_no_correction_and_touches_no_real_case(published_fixtures):
    before = list(Case.objects.filter(campaign__is_demo=False).order_by("pk").values())
    create_demo_data()
    assert list(Case.objects.filter(campaign__is_demo=False).order_by("pk").values()) == before
    assert not Correction.objects.exists()
