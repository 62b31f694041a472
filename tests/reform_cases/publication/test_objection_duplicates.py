"""An objection sent twice (a double click, a resent form) is stored and counted once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from reform_cases.models import CampaignStatus, Objection
from reform_cases.publication import services as publication_services
from tests.factories import CampaignFactory, CaseFactory, UserFactory
from tests.helpers import message_text

TEXT = "该案例申报材料中的成效数据与统计公报不一致,请核实。"
ADDRESS = "203.0.113.9"


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        status=CampaignStatus.NOTICE,
        published_at=None,
        notice_ends_at=timezone.now() + timedelta(days=7),
    )


@pytest.fixture
def case(campaign):
    return CaseFactory(campaign=campaign)


def url(campaign):
    return f"/results/{campaign.year}/objection/"


def data(case, **overrides):
    return {"case": case.pk, "name": "王先生", "contact": "13800000000", "text": TEXT, **overrides}


def submit(campaign, case, **overrides):
    values = {"name": "王先生", "contact": "13800000000", "text": TEXT, "ip": ADDRESS}
    values.update(overrides)
    return publication_services.submit_objection(campaign=campaign, case=case, **values)


def test_two_identical_objections_store_one_row_and_say_received_both_times(campaign, case, client):
    UserFactory(administrator=True)
    first = client.post(url(campaign), data(case), REMOTE_ADDR=ADDRESS, follow=True)
    second = client.post(url(campaign), data(case), REMOTE_ADDR=ADDRESS, follow=True)

    for r in (first, second):
        assert r.redirect_chain[-1][0] == f"/results/{campaign.year}/"
        assert "异议已收到" in message_text(r)
    assert Objection.objects.count() == 1
    # The administrators are told once.
    assert Notification.objects.filter(kind="objection_received").count() == 1


def test_a_duplicate_counts_once_against_the_daily_limit(campaign, case):
    first = submit(campaign, case)
    assert submit(campaign, case).pk == first.pk
    limit = publication_services.OBJECTIONS_PER_IP_PER_DAY
    for n in range(limit - 1):
        submit(campaign, case, text=f"{TEXT}(补充第{n + 1}点)")
    assert Objection.objects.count() == limit
    assert publication_services.objections_today(ADDRESS) == limit


def test_a_different_text_is_another_objection(campaign, case):
    first = submit(campaign, case)
    second = submit(campaign, case, text=f"{TEXT}另外,推荐函日期有误。")
    assert first.pk != second.pk
    assert Objection.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [{"ip": "203.0.113.10"}, {"name": "李女士"}, {"contact": "13900000000"}, {"case": None}],
    ids=["other-address", "other-name", "other-contact", "no-case"],
)
def test_a_different_sender_or_case_is_another_objection(campaign, case, change):
    submit(campaign, case)
    values = {"case": case, **change}
    submit(campaign, **values)
    assert Objection.objects.count() == 2


def test_the_same_objection_after_ten_minutes_is_stored_again(campaign, case):
    first = submit(campaign, case)
    Objection.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert submit(campaign, case).pk != first.pk
    assert Objection.objects.count() == 2
