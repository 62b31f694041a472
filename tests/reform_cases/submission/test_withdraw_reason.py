"""A withdrawal reason that is too long or holds NUL is refused with a message, not cut."""

import pytest
from django.test import Client
from django.urls import reverse

from reform_cases.models import CaseStatus
from tests.factories import open_campaign, submitted_case
from tests.helpers import message_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("撤" * 1001, "撤回理由:不能超过 1000 个字"), ("重复\x00申报", "撤回理由:含有不允许的空字符")],
)
def test_bad_withdrawal_reason_is_refused_and_the_case_stays(
    make_user, owning_organisation, typed, expected
):
    locality = make_user("locality")
    case = submitted_case(open_campaign(), owning_organisation, locality)
    client = Client()
    client.force_login(locality)

    r = client.post(reverse("cases:withdraw", kwargs={"pk": case.pk}), {"reason": typed})

    assert r.status_code == 302
    assert expected in message_text(r)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
