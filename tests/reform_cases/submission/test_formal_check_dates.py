"""A return deadline far outside the award's years is refused with a message, not a 500."""

import pytest
from django.test import Client

from reform_cases.models import CaseStatus
from tests.factories import open_campaign, submitted_case
from tests.helpers import message_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(make_user, owning_organisation):
    admin = Client()
    admin.force_login(make_user("administrator"))
    campaign = open_campaign()
    case = submitted_case(campaign, owning_organisation, make_user("locality"))
    return admin, campaign, case


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_return_with_an_absurd_deadline_is_refused(scene, typed):
    admin, _campaign, case = scene
    r = admin.post(f"/manage/cases/{case.pk}/return/", {"reason": "缺少推荐函", "revise_by": typed})

    assert r.status_code == 302
    assert "请填写 2000 年到 2100 年之间的日期。" in message_text(r)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.revise_by is None


def test_bulk_return_with_an_absurd_deadline_is_refused(scene):
    admin, campaign, case = scene
    r = admin.post(
        f"/manage/campaigns/{campaign.pk}/cases/bulk/",
        {
            "action": "return",
            "cases": [case.pk],
            "reason": "缺少推荐函",
            "revise_by": "0001-01-01T00:00",
        },
    )

    assert r.status_code == 302
    assert "请填写 2000 年到 2100 年之间的日期。" in message_text(r)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
