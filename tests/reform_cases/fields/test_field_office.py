"""The office keeps the fields of reform (申报领域) without the Django admin: list with case
counts in the forms' order, create, edit, delete when unused, every change chained, and the
name of a field that public results show never changed quietly."""

import io
import json

import pytest
from django.core.management import call_command

from audit import chain
from audit.models import AuditRecord
from reform_cases.audit_records import FieldRecord
from reform_cases.fields import services
from reform_cases.models import CampaignStatus, Field
from reform_cases.publication.manifest import freeze_manifest
from reform_cases.submission.forms import CaseForm
from reviews.models import Panel
from tests.factories import CaseFactory, FieldFactory, UserFactory, make_expert, open_campaign
from tests.helpers import message_text

LIST, NEW = "/manage/fields/", "/manage/fields/new/"


def detail(field):
    return f"/manage/fields/{field.pk}/"


def delete_url(field):
    return f"/manage/fields/{field.pk}/delete/"


def records(pk):
    return list(
        AuditRecord.objects.filter(object_type="reform_cases.field", object_id=str(pk))
        .order_by("seq")
        .values_list("kind", "content")
    )


def form_of(field, **changes):
    return {
        "name": field.name,
        "name_en": field.name_en,
        "order": field.order,
        "reason": "",
    } | changes


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def test_the_list_counts_cases_in_the_order_forms_use(office, django_assert_max_num_queries):
    late = FieldFactory(name="数字化改革", order=20)
    early = FieldFactory(name="营商环境", order=10)
    CaseFactory.create_batch(3, field=late)
    with django_assert_max_num_queries(5):
        html = office.get(LIST).content.decode()
    assert html.index("营商环境") < html.index("数字化改革")
    row = html[html.index("数字化改革") :].split("</tr>")[0]
    assert row.rstrip().endswith('<td class="text-end">3</td>')
    FieldFactory.create_batch(30)
    with django_assert_max_num_queries(5):
        assert office.get(LIST).status_code == 200

    # Moving a field in the list moves it in the case form.
    r = office.post(detail(late), form_of(late, order=1))
    assert r.status_code == 302
    choices = [label for _value, label in CaseForm().fields["field"].choices if _value]
    assert choices.index("数字化改革") < choices.index(early.name)


def test_creating_a_field_is_recorded_and_the_same_post_twice_is_a_field_error(office):
    data = {"name": "基层治理", "name_en": "Grassroots governance", "order": "7"}
    r = office.post(NEW, data)
    assert r.status_code == 302 and "已新建" in message_text(r)
    field = Field.objects.get(name="基层治理")
    assert [k for k, _c in records(field.pk)] == [FieldRecord.CREATED]
    again = office.post(NEW, data)
    html = again.content.decode()
    assert again.status_code == 200 and "已有同名领域" in html
    assert 'value="Grassroots governance"' in html
    assert Field.objects.filter(name="基层治理").count() == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "这个字段是必填项"),
        ({"name": "领" * 61}, "不超过 60 字符"),
        ({"name": "基层\x00治理"}, "空字符(NUL)"),
        ({"order": "-1"}, "大于或等于0"),
        ({"order": str(2**63)}, "小于或等于32767"),
        ({"order": "abc"}, "输入整数"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(office, changes, message):
    data = {"name": "基层治理", "name_en": "Kept 𠀀", "order": "7"} | changes
    r = office.post(NEW, data)
    html = r.content.decode()
    assert r.status_code == 200 and message in html and "Kept 𠀀" in html
    assert not Field.objects.filter(name_en="Kept 𠀀").exists()


def test_editing_an_unpublished_field_is_recorded_and_shown(office):
    field = FieldFactory(name="旧领域")
    r = office.post(detail(field), form_of(field, name="新领域", reason="统一名称"))
    assert r.status_code == 302
    field.refresh_from_db()
    assert field.name == "新领域"
    kind, content = records(field.pk)[-1]
    assert kind == FieldRecord.CHANGED and json.loads(content)["reason"] == "统一名称"
    html = office.get(detail(field)).content.decode()
    assert "名称:旧领域 → 新领域" in html
    other = FieldFactory()
    r = office.post(detail(other), form_of(other, name="新领域"))
    assert r.status_code == 200 and "已有同名领域" in r.content.decode()


@pytest.fixture
def published_case(db):
    case = CaseFactory(campaign__status=CampaignStatus.PUBLISHED)
    freeze_manifest(campaign=case.campaign, by=UserFactory(administrator=True), reason="发布")
    return case


def test_a_field_named_in_published_results_keeps_its_name(office, published_case):
    field = published_case.field
    r = office.post(detail(field), form_of(field, name="改名领域", reason="想改"))
    html = r.content.decode()
    assert r.status_code == 200 and "已公示或已发布" in html and "更正" in html
    assert 'value="改名领域"' in html
    field.refresh_from_db()
    assert field.name != "改名领域" and records(field.pk) == []

    # Its English name changes with a reason only; its place in the list freely.
    r = office.post(detail(field), form_of(field, name_en="Better English"))
    assert "须填写理由" in r.content.decode()
    r = office.post(detail(field), form_of(field, name_en="Better English", reason="译名规范"))
    assert r.status_code == 302
    r = office.post(detail(field), form_of(field, name_en="Better English", order=3))
    assert r.status_code == 302
    out = io.StringIO()
    call_command("verify_results", str(published_case.campaign_id), "--id", stdout=out)
    assert "核验通过" in out.getvalue()
    assert chain.verify() == []


def test_an_unused_field_is_deleted_once(office):
    field = FieldFactory()
    assert delete_url(field) in office.get(detail(field)).content.decode()
    pk = field.pk
    r = office.post(delete_url(field))
    assert r.status_code == 302 and "已删除" in message_text(r)
    assert not Field.objects.filter(pk=pk).exists()
    assert [k for k, _c in records(pk)][-1] == FieldRecord.DELETED
    again = office.post(f"/manage/fields/{pk}/delete/")
    assert again.status_code == 302 and "已不存在" in message_text(again)


@pytest.mark.parametrize("use", ["case", "expert", "panel"])
def test_a_field_in_use_is_never_deleted(office, use):
    field = FieldFactory()
    if use == "case":
        CaseFactory(field=field, campaign__status=CampaignStatus.OPEN)
    elif use == "expert":
        make_expert().expert_profile.fields.add(field)
    else:
        Panel.objects.create(campaign=open_campaign(), name="某组").fields.add(field)
    html = office.get(detail(field)).content.decode()
    assert delete_url(field) not in html and "不能删除" in html
    r = office.post(delete_url(field))
    assert r.status_code == 302 and "不能删除" in message_text(r)
    assert Field.objects.filter(pk=field.pk).exists()
    # The service refuses on its own too.
    with pytest.raises(services.InvalidTransition):
        services.delete_field(field=field, by=office.user)


def test_the_django_admin_also_keeps_a_published_fields_name(office, published_case):
    def fields(field):
        r = office.get(f"/admin/reform_cases/field/{field.pk}/change/")
        return set(r.context["adminform"].form.fields)

    assert "name" not in fields(published_case.field)
    assert "name" in fields(FieldFactory())
