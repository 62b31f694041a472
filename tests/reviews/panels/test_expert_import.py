"""Importing experts (issue 5): accounts and profiles from a file, all or nothing."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, User
from notifications.models import Notification, NotificationKind
from reviews.models import ExpertProfile
from tests.factories import CityFactory, CountyFactory, FieldFactory

# --- expert import ------------------------------------------------------------------------------

IMPORT_HEADER = ["name", "email", "phone", "affiliation", "city", "institution", "inside", "fields", "max_cases"]  # fmt: skip


def csv_upload(rows, name="experts.csv"):
    out = io.StringIO()
    csv.writer(out).writerows([IMPORT_HEADER, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def import_world(db):
    city = CityFactory(name="导入测试市")
    county = CountyFactory(name="导入测试县", parent=city)
    fields = [FieldFactory(name="营商环境"), FieldFactory(name="数字政府")]
    return {"city": city, "county": county, "fields": fields}


def test_expert_import_creates_accounts_and_profiles(import_world, office_client):
    rows = [
        [
            "钱专家",
            "Qian@Example.org",
            "13800138011",
            "导入测试县",
            "导入测试市",
            "",
            "是",
            "营商环境;数字政府",
            "12",
        ],
        ["孙专家", "sun@example.org", "", "", "", "上海交通大学", "否", "数字政府", ""],
    ]
    response = office_client.post(reverse("manage:expert-import"), {"file": csv_upload(rows)})
    assert response.status_code == 200
    preview = response.content.decode()
    assert "钱专家" in preview and "孙专家" in preview and "确认导入并发送邀请" in preview
    assert not User.objects.filter(role=Role.EXPERT).exists()  # nothing until confirmed

    response = office_client.post(
        reverse("manage:expert-import-apply"), {"token": response.context["token"]}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:experts")
    qian = User.objects.get(email="qian@example.org")
    assert (qian.role, qian.display_name, qian.phone) == (Role.EXPERT, "钱专家", "13800138011")
    assert not qian.has_usable_password()
    profile = qian.expert_profile
    assert profile.affiliation == import_world["county"]
    assert profile.inside_province is True
    assert profile.max_cases_per_round == 12
    assert sorted(profile.fields.values_list("name", flat=True)) == ["数字政府", "营商环境"]
    sun = User.objects.get(email="sun@example.org").expert_profile
    assert (sun.affiliation, sun.institution, sun.inside_province) == (None, "上海交通大学", False)
    assert sun.max_cases_per_round == 30
    assert list(sun.fields.values_list("name", flat=True)) == ["数字政府"]
    invited = Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITATION)
    assert sorted(invited.values_list("recipient__email", flat=True)) == [
        "qian@example.org",
        "sun@example.org",
    ]
    listing = office_client.get(reverse("manage:experts")).content.decode()
    assert "导入测试县" in listing and "上海交通大学" in listing


def test_expert_import_reads_the_optional_keywords_column(import_world, office_client):
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            [*IMPORT_HEADER, "keywords"],
            ["周专家", "zhou@example.org", *[""] * 7, " 未来社区、垃圾分类 "],
        ]
    )
    upload = SimpleUploadedFile("experts.csv", out.getvalue().encode("utf-8"))
    preview = office_client.post(reverse("manage:expert-import"), {"file": upload})
    office_client.post(reverse("manage:expert-import-apply"), {"token": preview.context["token"]})

    profile = User.objects.get(email="zhou@example.org").expert_profile
    assert profile.expertise_keywords == "未来社区、垃圾分类"


@pytest.mark.parametrize(
    "bad_row,error",
    [
        (
            ["李专家", "li@example.org", "", "不存在的单位", "", "", "", "", ""],
            "第 3 行:单位“不存在的单位”不存在或不唯一",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "否", "航天", ""],
            "第 3 行:领域“航天”不存在。",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "否", "", "0"],
            "第 3 行:max_cases 应为 1 到 1000 之间的整数。",
        ),
        (
            ["李专家", "li@example.org", "", "", "", "某大学", "也许", "", ""],
            "第 3 行:inside 列应填“是”或“否”。",
        ),
        (
            ["李专家", "not-an-email", "", "", "", "某大学", "", "", ""],
            "第 3 行:邮箱“not-an-email”格式不正确。",
        ),
        (
            ["李专家", "QIAN@example.org", "", "", "", "某大学", "", "", ""],
            "第 3 行:邮箱 qian@example.org 与第 2 行重复。",
        ),
    ],
)
def test_expert_import_with_a_bad_row_creates_nothing(import_world, office_client, bad_row, error):
    rows = [
        ["钱专家", "qian@example.org", "", "导入测试县", "导入测试市", "", "是", "营商环境", ""],
        bad_row,
    ]
    users, profiles = User.objects.count(), ExpertProfile.objects.count()

    response = office_client.post(reverse("manage:expert-import"), {"file": csv_upload(rows)})

    html = response.content.decode()
    assert "发现问题,未导入任何专家。" in html
    assert error in html
    assert "确认导入并发送邀请" not in html
    # Posting the apply step anyway (the token is in the session) still creates nothing.
    token = office_client.session["expert_import"]["token"]
    response = office_client.post(reverse("manage:expert-import-apply"), {"token": token})
    assert error in response.content.decode()
    assert (User.objects.count(), ExpertProfile.objects.count()) == (users, profiles)
    assert not Notification.objects.exists()


def test_expert_import_refuses_a_file_without_the_required_columns(import_world, office_client):
    upload = SimpleUploadedFile("experts.csv", "姓名,邮箱\n钱专家,qian@example.org\n".encode())
    response = office_client.post(reverse("manage:expert-import"), {"file": upload})
    assert response.status_code == 200
    assert "缺少列:name, email。" in response.content.decode()
    assert not User.objects.filter(role=Role.EXPERT).exists()
