"""The office keeps its units (单位) without the Django admin: list, create, edit, delete,
every change chained, nothing that public results name renamed quietly."""

import io
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accounts.audit_records import OrganisationRecord
from accounts.models import Organisation, OrganisationKind
from accounts.organisations import services
from audit import chain
from audit.models import AuditRecord
from common.exceptions import InvalidTransition
from reform_cases.models import CampaignStatus
from reform_cases.publication.manifest import freeze_manifest
from tests.factories import (
    CaseFactory,
    CityFactory,
    CountyFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.helpers import message_text

LIST = "/manage/organisations/"
NEW = "/manage/organisations/new/"


def detail(unit):
    return f"/manage/organisations/{unit.pk}/"


def records(unit):
    return list(
        AuditRecord.objects.filter(object_type="accounts.organisation", object_id=str(unit.pk))
        .order_by("seq")
        .values_list("kind", "content")
    )


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def form_of(unit, **changes):
    data = {
        "name": unit.name,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "reason": "",
    }
    return data | changes


# --- the list ---------------------------------------------------------------------------


def test_the_list_counts_accounts_and_cases_and_filters(office):
    city = CityFactory(name="丽水市")
    unit = CountyFactory(name="云和县", parent=city, name_en="Yunhe County")
    UserFactory.create_batch(2, locality=True, organisation=unit)
    CaseFactory(organisation=unit)
    CaseFactory(co_organisations=[unit])
    OrganisationFactory(name="省发展改革委", kind=OrganisationKind.DEPARTMENT)

    html = office.get(LIST, {"q": "云和"}).content.decode()
    row = html[html.index("云和县") :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")][-4:-1]
    assert cells == ["2", "1", "1"]  # accounts, cases, co-implemented
    assert "省发展改革委" not in html

    assert "省发展改革委" in office.get(LIST, {"kind": "department"}).content.decode()
    under_city = office.get(LIST, {"parent": str(city.pk)}).content.decode()
    assert "云和县" in under_city and ">丽水市</a>" not in under_city
    top = office.get(LIST, {"parent": "top"}).content.decode()
    assert ">丽水市</a>" in top and ">云和县</a>" not in top
    for hostile in ("abc", "-1", "9" * 30, "\x00"):  # ignored, never a 500
        assert (
            office.get(LIST, {"parent": hostile, "kind": hostile, "page": hostile}).status_code
            == 200
        )


def test_the_list_reads_the_same_number_of_queries_at_two_sizes(
    office, django_assert_max_num_queries
):
    for n in (5, 80):
        city = CityFactory()
        for unit in CountyFactory.create_batch(n, parent=city):
            CaseFactory(organisation=unit, co_organisations=[city])
            UserFactory(locality=True, organisation=unit)
        with django_assert_max_num_queries(6):
            assert office.get(LIST).status_code == 200


# --- create -----------------------------------------------------------------------------


def test_creating_a_unit_records_it_and_the_same_post_twice_is_a_field_error(office):
    city = CityFactory(name="衢州市")
    data = {"name": "开化县", "name_en": "Kaihua County", "kind": "county", "parent": city.pk}

    r = office.post(NEW, data)
    unit = Organisation.objects.get(name="开化县")
    assert r.status_code == 302 and r["Location"] == detail(unit)
    [(kind, content)] = records(unit)
    assert kind == OrganisationRecord.CREATED
    assert json.loads(content)["after"]["parent_name"] == "衢州市"

    again = office.post(NEW, data)
    assert again.status_code == 200
    html = again.content.decode()
    assert "“衢州市”下已有同名单位“开化县”" in html and 'value="Kaihua County"' in html
    assert Organisation.objects.filter(name="开化县").count() == 1
    # The same name under another parent is another unit.
    assert office.post(NEW, data | {"parent": CityFactory().pk}).status_code == 302


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "这个字段是必填项"),
        ({"name": "   "}, "这个字段是必填项"),
        ({"name": "名" * 121}, "不超过 120 字符"),
        ({"name": "开化\x00县"}, "空字符(NUL)"),
        ({"parent": "999999"}, "选择一个有效的选项"),
        ({"parent": str(2**63)}, "选择一个有效的选项"),
        ({"parent": "abc"}, "选择一个有效的选项"),
        ({"kind": "planet"}, "选择一个有效的选项"),
        ({"name": "开化\r\n县"}, "不能包含换行"),
        ({"name": "开化\u202e县"}, "控制字符"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(office, changes, message):
    data = {"name": "开化县", "name_en": "Kaihua 𠀀", "kind": "county", "parent": ""} | changes
    r = office.post(NEW, data)
    assert r.status_code == 200
    html = r.content.decode()
    assert message in html
    assert "Kaihua 𠀀" in html  # what was typed elsewhere stays
    assert not Organisation.objects.filter(name_en="Kaihua 𠀀").exists()


# --- edit -------------------------------------------------------------------------------


def test_renaming_an_unpublished_unit_is_recorded_and_shown(office):
    unit = CountyFactory(name="旧名县")
    r = office.post(detail(unit), form_of(unit, name="新名区", reason="撤县设区"))
    assert r.status_code == 302 and "已保存" in message_text(r)
    unit.refresh_from_db()
    assert unit.name == "新名区"
    kind, content = records(unit)[-1]
    content = json.loads(content)
    assert kind == OrganisationRecord.CHANGED
    assert (content["before"]["name"], content["after"]["name"]) == ("旧名县", "新名区")
    assert content["reason"] == "撤县设区"
    html = office.get(detail(unit)).content.decode()
    assert "名称:旧名县 → 新名区" in html and "撤县设区" in html
    # The same POST again changes nothing and records nothing.
    again = office.post(detail(unit), form_of(unit, name="新名区", reason="撤县设区"))
    assert "没有改动" in message_text(again) and len(records(unit)) == 1
    assert chain.verify() == []


def test_a_parent_is_never_the_unit_itself_nor_below_it(office):
    city = CityFactory()
    county = CountyFactory(parent=city)
    town = OrganisationFactory(parent=county)
    by = office.user

    # Offered choices leave them out; a forged POST is an invalid choice, kept on the page.
    html = office.get(detail(city)).content.decode()
    # The parent is chosen with the keyboard too: a type-to-filter box (static/js/forms.js).
    assert re.search(r'<select[^>]*name="parent"[^>]*data-searchable', html) or re.search(
        r'<select[^>]*data-searchable[^>]*name="parent"', html
    )
    assert f'value="{county.pk}"' not in html and f'value="{city.pk}"' not in html
    r = office.post(detail(city), form_of(city, parent=town.pk, name_en="kept 𪚥"))
    assert r.status_code == 200 and "kept 𪚥" in r.content.decode()
    # And the service refuses on its own, whoever calls it.
    for parent, message in ((city, "不能是自身"), (county, "下级单位"), (town, "下级单位")):
        with pytest.raises(ValidationError) as exc:
            services.update_organisation(
                organisation=city, by=by, name=city.name, name_en="", kind=city.kind, parent=parent
            )
        assert message in exc.value.message_dict["parent"][0]
    city.refresh_from_db()
    assert city.parent_id is None


def test_moving_into_a_parent_with_the_same_name_is_a_field_error(office):
    a, b = CityFactory(), CityFactory()
    OrganisationFactory(name="同名单位", parent=b)
    unit = OrganisationFactory(name="同名单位", parent=a)
    r = office.post(detail(unit), form_of(unit, parent=b.pk))
    assert r.status_code == 200 and "已有同名单位" in r.content.decode()
    unit.refresh_from_db()
    assert unit.parent == a


def test_only_the_office_changes_units(db):
    locality = UserFactory(locality=True)
    with pytest.raises(PermissionDenied):
        services.create_organisation(by=locality, name="某单位", kind="other")


# --- published results are not changed quietly -------------------------------------------


@pytest.fixture
def published_unit(db):
    """A county named by an award of a published campaign with a frozen manifest."""
    admin = UserFactory(administrator=True)
    case = CaseFactory(campaign__status=CampaignStatus.PUBLISHED)
    freeze_manifest(campaign=case.campaign, by=admin, reason="发布")
    return case


def verify_results(campaign):
    out = io.StringIO()
    call_command("verify_results", str(campaign.pk), "--id", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_unit_named_in_published_results_keeps_its_name(office, published_unit):
    unit = published_unit.organisation
    old = unit.name
    r = office.post(detail(unit), form_of(unit, name="改过的名字", reason="更名"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "已公示或已发布的评选结果" in html and "更正" in html
    assert 'value="改过的名字"' in html  # input kept
    unit.refresh_from_db()
    assert unit.name == old and records(unit) == []
    # The case's region (its city) keeps its name, kind and parent: they place it in the
    # results' region filter.
    region = published_unit.region
    for changes in ({"name": "新市"}, {"kind": "other"}, {"parent": CityFactory().pk}):
        r = office.post(detail(region), form_of(region, reason="调整", **changes))
        assert "已公示或已发布" in r.content.decode(), changes
    region.refresh_from_db()
    assert region.kind == OrganisationKind.CITY and region.parent is None


def test_other_changes_to_a_published_unit_need_a_reason_and_results_still_verify(
    office, published_unit
):
    unit = published_unit.organisation
    r = office.post(detail(unit), form_of(unit, name_en="Renamed County"))
    assert r.status_code == 200 and "须填写理由" in r.content.decode()
    r = office.post(detail(unit), form_of(unit, name_en="Renamed County", reason="英文译名规范"))
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.name_en == "Renamed County"
    assert "核验通过" in verify_results(published_unit.campaign)
    assert chain.verify() == []


def test_a_unit_only_in_unpublished_campaigns_may_be_renamed(office, published_unit):
    case = CaseFactory(campaign__status=CampaignStatus.RANKING)
    r = office.post(detail(case.organisation), form_of(case.organisation, name="改名县"))
    assert r.status_code == 302
    assert "核验通过" in verify_results(published_unit.campaign)


# --- delete -----------------------------------------------------------------------------


def test_an_unused_unit_is_deleted_once_and_the_record_outlives_it(office):
    unit = OrganisationFactory(name="多余单位")
    assert f"/manage/organisations/{unit.pk}/delete/" in office.get(detail(unit)).content.decode()
    pk = unit.pk
    r = office.post(f"/manage/organisations/{pk}/delete/")
    assert r.status_code == 302 and "已删除" in message_text(r)
    assert not Organisation.objects.filter(pk=pk).exists()
    assert [k for k, _c in records(Organisation(pk=pk))] == [OrganisationRecord.DELETED]
    again = office.post(f"/manage/organisations/{pk}/delete/")
    assert again.status_code == 302 and "已不存在" in message_text(again)
    assert chain.verify() == []


@pytest.mark.parametrize("use", ["account", "case", "co_link", "child", "region"])
def test_a_unit_in_use_has_no_delete_button_and_a_forged_post_is_refused(office, use):
    unit = CityFactory()
    if use == "account":
        UserFactory(locality=True, organisation=unit)
    elif use == "case":
        CaseFactory(organisation=unit, region=None, campaign__status=CampaignStatus.OPEN)
    elif use == "co_link":
        CaseFactory(co_organisations=[unit], campaign__status=CampaignStatus.OPEN)
    elif use == "child":
        CountyFactory(parent=unit)
    else:
        CaseFactory(region=unit, campaign__status=CampaignStatus.OPEN)
    html = office.get(detail(unit)).content.decode()
    assert "/delete/" not in html and "不能删除" in html
    r = office.post(f"/manage/organisations/{unit.pk}/delete/")
    assert r.status_code == 302 and "不能删除" in message_text(r)
    assert Organisation.objects.filter(pk=unit.pk).exists()
    with pytest.raises(InvalidTransition):
        services.delete_organisation(organisation=unit, by=office.user)


@pytest.mark.parametrize("role", ["anonymous", "locality", "expert", "deactivated"])
def test_only_the_office_may_post_and_a_refused_post_changes_nothing(client_for, role):
    client = client_for(role)
    unit = OrganisationFactory(name="原名单位")
    posts = [
        (NEW, {"name": "新单位", "kind": "other"}),
        (detail(unit), form_of(unit, name="改名单位")),
        (f"/manage/organisations/{unit.pk}/delete/", {}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code in (302, 403)
    unit.refresh_from_db()
    assert unit.name == "原名单位"
    assert not Organisation.objects.filter(name="新单位").exists()
    assert not AuditRecord.objects.filter(kind__startswith="accounts.unit.").exists()


def test_the_django_admin_also_keeps_a_published_units_name(office, published_unit):
    def fields(unit):
        r = office.get(f"/admin/accounts/organisation/{unit.pk}/change/")
        return set(r.context["adminform"].form.fields)

    assert "name" not in fields(published_unit.organisation)
    assert {"name", "kind", "parent"}.isdisjoint(fields(published_unit.region))
    assert "name" in fields(OrganisationFactory())
