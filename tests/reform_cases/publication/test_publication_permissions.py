"""Who may open the office's notice and publication pages: every role × every URL.

The campaign is on notice (conftest.py's scene): the administrator sees each page; every
other role is sent to log in (anonymous, deactivated) or refused (403); a refused POST
changes nothing.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from reform_cases.models import Campaign, CampaignEvent, CampaignStatus
from tests.helpers import ROLES

LOGIN = "login"
#              anonymous locality other_locality expert administrator deactivated
OFFICE_PAGE = [LOGIN, 403, 403, 403, 200, LOGIN]
OFFICE_ACTION = [LOGIN, 403, 403, 403, 302, LOGIN]

PAGES = [
    ("manage:publish", "campaign"),  # GET: the confirmation (here: why not yet)
    ("manage:notice-change", "campaign"),
    ("manage:ranking-notice", "round"),  # GET: the confirmation (here: already on notice)
]


def _cases(expected_by_role, urls):
    return [
        pytest.param(name, obj, role, expected, id=f"{name}-{role}")
        for name, obj in urls
        for role, expected in zip(ROLES, expected_by_role, strict=True)
    ]


def _url(name, obj, noticed):
    target = noticed["campaign"] if obj == "campaign" else noticed["round"]
    return reverse(name, kwargs={"pk": target.pk})


def _check(r, url, expected):
    if expected == LOGIN:
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")
    else:
        assert r.status_code == expected, (url, r.status_code)


@pytest.mark.parametrize("name,obj,role,expected", _cases(OFFICE_PAGE, PAGES))
def test_get(noticed, client_for, name, obj, role, expected):
    url = _url(name, obj, noticed)
    _check(client_for(role).get(url), url, expected)


POSTS = [
    ("manage:publish", "campaign", {"announced_on": "2031-01-28"}),
    ("manage:notice-change", "campaign", {"ends_at": "2031-05-08T17:00", "reason": "延长。"}),
]


@pytest.mark.parametrize(
    "name,obj,data,role,expected",
    [
        pytest.param(name, obj, data, role, expected, id=f"{name}-{role}")
        for name, obj, data in POSTS
        for role, expected in zip(ROLES, OFFICE_ACTION, strict=True)
    ],
)
def test_post(noticed, client_for, name, obj, data, role, expected):
    campaign = noticed["campaign"]
    before = (campaign.status, campaign.notice_ends_at, campaign.announced_on)
    url = _url(name, obj, noticed)

    r = client_for(role).post(url, data)

    _check(r, url, expected)
    campaign.refresh_from_db()
    if expected != 302:
        assert (campaign.status, campaign.notice_ends_at, campaign.announced_on) == before
        assert not CampaignEvent.objects.exists()
    elif name == "manage:notice-change":
        assert campaign.notice_ends_at.year == 2031
    else:  # the notice is still running: refused with a message, nothing published
        assert campaign.status == CampaignStatus.NOTICE


def test_the_administrator_publishes_once_the_notice_is_over(noticed, client_for):
    campaign = noticed["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(notice_ends_at=timezone.now())
    r = client_for("administrator").post(
        reverse("manage:publish", kwargs={"pk": campaign.pk}), {"announced_on": "2031-01-28"}
    )
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
