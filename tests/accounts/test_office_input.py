"""What the office types on an account's page: a reason too long or holding NUL, an unknown
unit. Refused with a message, what was typed kept, nothing changed (found by the hostile-input
crawl, tests/hostile/)."""

import pytest
from django.test import Client

from accounts.models import AccountEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.force_login(make_user("administrator"))
    return client


@pytest.mark.parametrize(
    ("typed", "message"),
    [("甲\x00乙", "不允许是用空字符串"), ("因" * 501, "不超过 500 字符")],
)
def test_deactivating_with_a_bad_reason_is_refused_not_cut(admin_client, typed, message):
    user = UserFactory(expert=True)

    r = admin_client.post(f"/manage/accounts/{user.pk}/active/", {"active": "0", "reason": typed})

    assert r.status_code == 200
    html = r.content.decode()
    assert message in html
    assert 'class="form-control form-control-sm is-invalid"' in html
    user.refresh_from_db()
    assert user.is_active
    assert not AccountEvent.objects.filter(user=user).exists()


def test_the_typed_reason_comes_back_with_the_error(admin_client):
    user = UserFactory(expert=True)
    typed = "离职" * 251  # 502 characters

    r = admin_client.post(f"/manage/accounts/{user.pk}/active/", {"active": "0", "reason": typed})

    assert f'value="{typed}"' in r.content.decode()


def test_an_unknown_unit_is_refused_and_the_reason_kept(admin_client):
    user = UserFactory(locality=True)
    unit = user.organisation

    r = admin_client.post(
        f"/manage/accounts/{user.pk}/move/",
        {"organisation": str(2**63), "reason": "机构调整后划转"},
    )

    assert r.status_code == 200
    html = r.content.decode()
    assert "选择一个有效的选项" in html
    assert 'value="机构调整后划转"' in html
    user.refresh_from_db()
    assert user.organisation == unit


def test_the_move_form_is_not_nested_in_another_form(admin_client):
    user = UserFactory(locality=True)

    html = admin_client.get(f"/manage/accounts/{user.pk}/").content.decode()

    start = html.index(f'action="/manage/accounts/{user.pk}/move/"')
    assert "<form" not in html[start : html.index("</form>", start)]
