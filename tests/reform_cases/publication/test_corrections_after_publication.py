"""Corrections after publication: only public cases are named publicly, titles stay unique."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from reform_cases.models import Case, CaseOutcome, Correction
from reform_cases.publication import services as publication_services
from tests.factories import CampaignFactory, CaseFactory, UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(administrator=True)


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def campaign(db):
    return CampaignFactory()  # published


@pytest.fixture
def awarded(campaign):
    return CaseFactory(campaign=campaign, title="数字政府“一网通办”")


@pytest.fixture
def not_awarded(campaign):
    return CaseFactory(campaign=campaign, title="乡村振兴共富工坊", outcome=CaseOutcome.NOT_AWARDED)


def correct_url(case):
    return f"/manage/cases/{case.pk}/correct/"


def corrections_section(html):
    match = re.search(r'<section[^>]*id="corrections".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_a_not_awarded_case_corrected_after_publication_is_not_named_publicly(
    campaign, awarded, not_awarded, admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publication_services.correct_case(
            case=not_awarded,
            by=admin,
            reason="名称笔误。",
            changes={"title": "乡村振兴共富工坊(更正)"},
        )
        publication_services.correct_case(
            case=awarded, by=admin, reason="名称规范。", changes={"title": "数字政府“一网通办”改革"}
        )
    assert Correction.objects.count() == 2

    r = client.get(f"/results/{campaign.year}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "乡村振兴共富工坊" not in html
    assert "名称笔误" not in html
    section = corrections_section(html)
    assert "数字政府“一网通办”改革" in section and "名称规范。" in section

    assert client.get(f"/cases/{not_awarded.pk}/").status_code == 404
    data = client.get(f"/api/results/{campaign.year}.json")
    assert data.status_code == 200
    assert "乡村振兴共富工坊" not in data.content.decode("utf-8")


def test_a_case_taken_off_the_list_keeps_its_award_correction_public(
    campaign, awarded, admin, client
):
    publication_services.correct_case(
        case=awarded, by=admin, reason="复核:不予奖励。", changes={"award": (None, "not_awarded")}
    )
    section = corrections_section(client.get(f"/results/{campaign.year}/").content.decode())
    assert awarded.title in section and "复核:不予奖励。" in section


def test_correcting_to_a_title_another_case_has_is_refused_and_keeps_what_was_typed(
    campaign, awarded, not_awarded, admin_client
):
    form = {"tier": "", "title": f" {not_awarded.title} ", "summary": "新的简介。"}
    reason = "按申报单位来函更正名称。"

    r = admin_client.post(correct_url(awarded), {**form, "reason": reason})

    assert r.status_code == 200
    html = r.content.decode()
    assert f"本年度已有同名案例“{not_awarded.title}”。" in html
    assert reason in html and "新的简介。" in html
    assert not Correction.objects.exists()
    awarded.refresh_from_db()
    assert awarded.title == "数字政府“一网通办”" and awarded.summary == "测试用案例。"


def test_a_title_differing_only_in_quotes_and_spaces_is_the_same_title(
    campaign, awarded, not_awarded, admin
):
    with pytest.raises(ValidationError) as caught:
        publication_services.correct_case(
            case=not_awarded, by=admin, reason="更正。", changes={"title": '数字政府 "一网通办"'}
        )
    assert caught.value.message_dict == {"title": [f"本年度已有同名案例“{awarded.title}”。"]}
    assert Case.objects.get(pk=not_awarded.pk).title == "乡村振兴共富工坊"


def test_the_same_title_in_another_year_may_be_used(campaign, awarded, admin):
    other_year = CaseFactory(campaign=CampaignFactory(), title="另一年度的案例")
    publication_services.correct_case(
        case=other_year, by=admin, reason="更正。", changes={"title": awarded.title}
    )
    assert Case.objects.get(pk=other_year.pk).title == awarded.title
