"""Co-implementing organisations (issue 15): at most ten, and the formal check shows the
experts they exclude from reviewing the case."""

import re
import uuid

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reform_cases.models import Case
from reform_cases.submission import services as submission_services
from tests.factories import (
    CityFactory,
    CountyFactory,
    OrganisationFactory,
    draft_case,
    form_data,
    make_expert,
    open_campaign,
    submitted_case,
)
from tests.helpers import client_of, section

LIMIT_MESSAGE = "共同实施单位最多 10 个,当前选择了 11 个。"


@pytest.fixture
def campaign(db):
    return open_campaign()


@pytest.fixture
def locality(make_user):
    return make_user("locality")


@pytest.fixture
def partners(db):
    city = CityFactory(name="合作市")
    return [CountyFactory(name=f"合作县{i:02d}", parent=city) for i in range(11)]


def selected(html: str) -> set[int]:
    """Ids of the options selected in the co-implementing organisations list."""
    select = re.search(r'<select name="co_organisations".*?</select>', html, re.S).group(0)
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"\s+selected', select)}


def test_eleven_on_a_new_case_are_refused_and_kept(campaign, locality, partners):
    response = client_of(locality).post(
        reverse("cases:new"),
        {
            "title": "十一个合作单位",
            "summary": "合作单位太多。",
            "co_organisations": [o.pk for o in partners],
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert LIMIT_MESSAGE in html
    assert "十一个合作单位" in html and "合作单位太多。" in html
    assert selected(html) == {o.pk for o in partners}
    assert not Case.objects.exists()


def test_eleven_on_a_draft_are_refused_and_the_draft_unchanged(campaign, locality, partners):
    draft = draft_case(campaign, locality.organisation, title="已有草稿")
    draft.co_organisations.set(partners[:2])
    data = form_data(draft, summary="新写的简介。", co_organisations=[o.pk for o in partners])
    response = client_of(locality).post(reverse("cases:edit", kwargs={"pk": draft.pk}), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert LIMIT_MESSAGE in html and "新写的简介。" in html
    assert selected(html) == {o.pk for o in partners}
    draft.refresh_from_db()
    assert draft.summary == "" and set(draft.co_organisations.all()) == set(partners[:2])


def test_ten_are_accepted(campaign, locality, partners):
    draft = draft_case(campaign, locality.organisation, title="十个合作单位")
    data = form_data(draft, co_organisations=[o.pk for o in partners[:10]])
    response = client_of(locality).post(reverse("cases:edit", kwargs={"pk": draft.pk}), data)
    assert response.status_code == 302
    assert draft.co_organisations.count() == 10


def test_the_service_refuses_eleven_too(campaign, locality, partners):
    with pytest.raises(ValidationError) as caught:
        submission_services.create_draft(
            campaign=campaign, by=locality, data={"title": "服务层"}, co_organisations=partners
        )
    assert caught.value.message_dict == {"co_organisations": [LIMIT_MESSAGE]}
    draft = draft_case(campaign, locality.organisation, title="服务层草稿")
    with pytest.raises(ValidationError):
        submission_services.update_draft(
            case=draft, by=locality, data={}, co_organisations=partners
        )
    assert not draft.co_organisations.exists()
    # The case's own organisation does not count (it is dropped from the list).
    submission_services.update_draft(
        case=draft, by=locality, data={}, co_organisations=[*partners[:10], locality.organisation]
    )
    assert draft.co_organisations.count() == 10


# The formal check page --------------------------------------------------------------------


def _submitted_with(campaign, locality, co):
    case = submitted_case(campaign, locality.organisation, locality)
    case.co_organisations.set(co)
    return case


def test_the_formal_check_shows_co_organisations_and_the_experts_they_exclude(
    campaign, locality, make_user
):
    city = CityFactory(name="合作市")
    partner = CountyFactory(name="合作县", parent=city)
    bureau = OrganisationFactory(name="合作县下属局", parent=partner)
    quiet = CountyFactory(name="无人回避县")
    case = _submitted_with(campaign, locality, [partner, quiet])
    make_expert(affiliation=partner, name="本单位专家")
    make_expert(affiliation=city, name="上级单位专家")
    make_expert(affiliation=bureau, name="下级单位专家")
    make_expert(affiliation=CountyFactory(name="无关县"), name="无关专家")
    make_expert(name="省外专家")
    make_expert(affiliation=partner, name="停用的专家", is_active=False)

    html = (
        client_of(make_user("administrator"))
        .get(reverse("manage:case-detail", kwargs={"pk": case.pk}))
        .content.decode()
    )

    shown = section(html, "co-organisation-conflicts")
    assert "合作县" in shown and "无人回避县" in shown
    assert "本单位专家:专家所在单位“合作县”是该案例的申报或共同实施单位。" in shown
    assert "上级单位专家:案例单位“合作县”是专家所在单位的下级单位。" in shown
    assert "下级单位专家:案例单位“合作县”是专家所在单位的上级单位。" in shown
    assert "没有因此需要回避的专家。" in shown  # 无人回避县
    for name in ("无关专家", "省外专家", "停用的专家"):
        assert name not in shown


def test_a_case_without_co_organisations_has_no_such_section(campaign, locality, make_user):
    case = _submitted_with(campaign, locality, [])
    html = (
        client_of(make_user("administrator"))
        .get(reverse("manage:case-detail", kwargs={"pk": case.pk}))
        .content.decode()
    )
    assert 'id="co-organisation-conflicts"' not in html


def test_the_formal_check_page_costs_the_same_whatever_the_units_and_experts(
    campaign, locality, make_user
):
    office = client_of(make_user("administrator"))

    def queries(n):
        co = [CountyFactory() for _ in range(n)]
        case = _submitted_with(campaign, locality, co)
        for organisation in co:
            make_expert(affiliation=organisation)
            make_expert(affiliation=organisation)
        cache.clear()  # both pages counted cold (the unread count is cached per user)
        with CaptureQueriesContext(connection) as ctx:
            response = office.get(reverse("manage:case-detail", kwargs={"pk": case.pk}))
        assert response.status_code == 200
        assert response.content.decode().count("是该案例的申报或共同实施单位") == 2 * n
        return len(ctx.captured_queries)

    assert queries(1) == queries(8)
