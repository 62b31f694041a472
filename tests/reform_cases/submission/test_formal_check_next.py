"""The formal check's "通过并查看下一个" / "退回并查看下一个": decide, then open the next submitted
case in the list's order; and the decision panel in a keyboard-friendly order."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from reform_cases.models import Case, CaseStatus
from tests.factories import CountyFactory, UserFactory, open_campaign, submitted_case
from tests.helpers import message_text


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def office(client_for):
    return client_for("administrator")


@pytest.fixture
def waiting(db):
    """Four submitted cases, in the list's order (newest submission first): a, b, c, d."""
    campaign = open_campaign()
    organisation = CountyFactory()
    locality = UserFactory(locality=True, organisation=organisation)
    cases = [submitted_case(campaign, organisation, locality) for _ in range(4)]
    now = timezone.now()
    for age, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(submitted_at=now - timedelta(hours=age))
    return campaign, cases


def detail(case):
    return f"/manage/cases/{case.pk}/"


def list_order(office, campaign):
    html = office.get(f"/manage/campaigns/{campaign.pk}/cases/").content.decode()
    return [int(pk) for pk in re.findall(r'<a href="/manage/cases/(\d+)/">', html)]


def test_the_list_order_is_the_order_followed(office, waiting):
    campaign, cases = waiting
    assert list_order(office, campaign) == [c.pk for c in cases]


def test_accept_and_next_opens_the_next_case_in_the_list(office, waiting):
    _campaign, (_a, b, c, _d) = waiting

    r = office.post(f"/manage/cases/{b.pk}/accept/", {"then": "next"})

    assert r.status_code == 302 and r["Location"] == detail(c)
    assert "已受理" in message_text(r)
    b.refresh_from_db()
    assert b.status == CaseStatus.ACCEPTED


def test_return_and_next_opens_the_next_case_in_the_list(office, waiting):
    _campaign, (a, b, _c, _d) = waiting

    r = office.post(f"/manage/cases/{a.pk}/return/", {"reason": "请补充数据。", "then": "next"})

    assert r.status_code == 302 and r["Location"] == detail(b)
    a.refresh_from_db()
    assert a.status == CaseStatus.RETURNED


def test_after_the_last_case_the_next_is_the_first_still_waiting(office, waiting):
    _campaign, (a, _b, _c, d) = waiting

    r = office.post(f"/manage/cases/{d.pk}/accept/", {"then": "next"})

    assert r["Location"] == detail(a)


def test_when_none_is_left_the_list_says_so(office, waiting):
    campaign, cases = waiting
    for case in cases[:-1]:
        office.post(f"/manage/cases/{case.pk}/accept/")

    r = office.post(f"/manage/cases/{cases[-1].pk}/accept/", {"then": "next"})

    assert r["Location"] == f"/manage/campaigns/{campaign.pk}/cases/"
    assert "没有其他待审查的案例了。" in message_text(r)


def test_plain_accept_stays_on_the_case(office, waiting):
    _campaign, (a, *_rest) = waiting
    r = office.post(f"/manage/cases/{a.pk}/accept/")
    assert r["Location"] == detail(a)


def test_a_refused_return_stays_on_the_case_with_the_reason(office, waiting):
    _campaign, (a, *_rest) = waiting

    r = office.post(f"/manage/cases/{a.pk}/return/", {"reason": "", "then": "next"})

    assert r["Location"] == detail(a)
    assert message_text(r)  # why (the reason is required)
    a.refresh_from_db()
    assert a.status == CaseStatus.SUBMITTED


def test_the_decision_panel_comes_in_reading_order_with_a_way_to_reach_it(office, waiting):
    _campaign, (a, *_rest) = waiting

    html = office.get(detail(a)).content.decode()

    main = html[html.index("<main") :]
    # A link near the top jumps over the case's text to the decisions.
    assert main.index('href="#formal-check"') < main.index('id="formal-check"')
    panel = main[main.index('id="formal-check"') :]
    order = ["受理", "通过并查看下一个", "退回理由", "重新提交截止", "退回修改", "退回并查看下一个"]
    positions = [panel.index(label) for label in order]
    assert positions == sorted(positions)
    assert '<button class="btn btn-outline-success text-wrap" name="then" value="next">' in panel
    assert 'name="then" value="next">退回并查看下一个' in panel
    assert "accesskey" not in html and 'tabindex="1' not in html  # the page's own order


def test_decided_cases_offer_no_decision_buttons(office, waiting):
    _campaign, (a, *_rest) = waiting
    office.post(f"/manage/cases/{a.pk}/accept/")

    html = office.get(detail(a)).content.decode()

    assert "通过并查看下一个" not in html and 'href="#formal-check"' not in html
