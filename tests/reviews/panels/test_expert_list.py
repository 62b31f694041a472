"""The expert list shows what the account already says until a profile is saved."""

import re

import pytest

from reviews.models import ExpertProfile
from tests.factories import CountyFactory, UserFactory, make_expert


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def row_of(html, name):
    match = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(name)}</a>.*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_an_expert_without_a_profile_shows_the_accounts_details(office):
    unit = CountyFactory(name="资料测试县")
    UserFactory(
        expert=True,
        display_name="未填资料专家",
        email="new.expert@example.org",
        phone="13800000001",
        organisation=unit,
    )

    row = row_of(office.get("/manage/experts/").content.decode(), "未填资料专家")

    assert "资料未填写" in row
    assert "new.expert@example.org" in row and "13800000001" in row
    assert "资料测试县 (账户所属单位)" in row
    assert f"{ExpertProfile.DEFAULT_MAX_CASES} (默认)" in row


def test_an_expert_with_a_profile_shows_the_profile(office):
    make_expert(name="已填资料专家", institution="省外某大学", max_cases=12)

    row = row_of(office.get("/manage/experts/").content.decode(), "已填资料专家")

    assert "资料未填写" not in row and "(默认)" not in row
    assert "省外某大学" in row and "12" in row


def test_the_profile_form_starts_from_the_accounts_organisation(office):
    unit = CountyFactory(name="预填测试县")
    expert = UserFactory(expert=True, display_name="预填专家", organisation=unit)

    html = office.get(f"/manage/experts/{expert.pk}/").content.decode()

    assert re.search(rf'<option value="{unit.pk}" selected>', html)
    assert not ExpertProfile.objects.filter(user=expert).exists()  # a GET saves nothing


def test_the_expert_list_reads_a_bounded_number_of_queries(office, django_assert_max_num_queries):
    for n in (3, 30):
        for i in range(n):
            if i % 2:
                make_expert(name=f"查询专家{n}-{i}")
            else:
                UserFactory(expert=True, organisation=CountyFactory())
        with django_assert_max_num_queries(8):
            assert office.get("/manage/experts/").status_code == 200
