"""A new campaign is given all its tiers in one POST: three blank rows without JavaScript, and
"添加一行" (static/js/forms.js) adds more from the formset's empty form."""

import re

import pytest

from reform_cases.campaigns.forms import NEW_CAMPAIGN_TIER_ROWS
from reform_cases.models import Campaign, CampaignEvent, CampaignEventKind, Tier
from tests.factories import CampaignFactory, TierFactory
from tests.reform_cases.campaigns.test_campaign_admin import campaign_form

FOUR_TIERS = [
    (1, "best", "最佳实践案例", "Best practice", 10),
    (2, "excellent", "优秀实践案例", "Excellent practice", 20),
    (3, "good", "良好实践案例", "Good practice", 30),
    (4, "nominated", "提名案例", "Nominated", 40),
]


@pytest.fixture
def office(client_for):
    return client_for("administrator")


def total_forms(html):
    return int(re.search(r'name="tiers-TOTAL_FORMS" value="(\d+)"', html).group(1))


def test_a_new_campaign_offers_three_blank_tier_rows_and_an_add_row_button(office):
    html = office.get("/manage/campaigns/new/").content.decode()

    assert total_forms(html) == NEW_CAMPAIGN_TIER_ROWS == 3
    rows = re.search(r'<tbody id="tier-rows">(.*?)</tbody>', html, re.S).group(1)
    assert [int(i) for i in re.findall(r'name="tiers-(\d+)-name"', rows)] == [0, 1, 2]
    # The empty form the script copies, inert in a <template>, and the button that uses it
    # (hidden until the script shows it: without JavaScript the three rows remain).
    template = re.search(r'<template id="tier-empty-row">(.*?)</template>', html, re.S).group(1)
    assert 'name="tiers-__prefix__-name"' in template
    button = re.search(r"<button[^>]*data-formset-add[^>]*>[^<]*</button>", html).group(0)
    assert 'data-formset-add="tier-empty-row"' in button and 'data-formset-prefix="tiers"' in button
    assert " hidden" in button and "添加一行" in button
    # The inputs of the table are named for assistive technology.
    assert 'aria-label="名称"' in rows and 'aria-label="名额"' in rows


def test_the_edit_page_keeps_one_blank_row(office, db):
    campaign = CampaignFactory(status="draft", published_at=None)
    TierFactory(campaign=campaign)

    html = office.get(f"/manage/campaigns/{campaign.pk}/edit/").content.decode()

    assert total_forms(html) == 2  # the tier and one blank row


def test_four_tiers_added_on_the_page_are_saved_in_one_post(office):
    # Three rows came with the page, the fourth was added by the script (TOTAL_FORMS = 4).
    r = office.post("/manage/campaigns/new/", campaign_form(tiers=FOUR_TIERS))

    campaign = Campaign.objects.get(year=2031, is_demo=False)
    assert r.status_code == 302 and r["Location"] == f"/manage/campaigns/{campaign.pk}/"
    assert list(
        Tier.objects.filter(campaign=campaign).order_by("order").values_list("code", "quota")
    ) == [("best", 10), ("excellent", 20), ("good", 30), ("nominated", 40)]
    events = CampaignEvent.objects.filter(campaign=campaign, kind=CampaignEventKind.TIERS_CHANGED)
    assert events.count() == 1  # one save, recorded once


def test_blank_rows_left_over_are_ignored(office):
    data = campaign_form(tiers=FOUR_TIERS[:1])
    data["tiers-TOTAL_FORMS"] = "3"  # two rows left blank

    r = office.post("/manage/campaigns/new/", data)

    assert r.status_code == 302
    assert Tier.objects.filter(campaign__year=2031).count() == 1


def test_a_bad_row_keeps_every_typed_row_and_says_why(office):
    tiers = [*FOUR_TIERS[:3], (3, "fourth", "第四等次", "Fourth", 5)]  # order 3 twice

    r = office.post("/manage/campaigns/new/", campaign_form(tiers=tiers))

    assert r.status_code == 200
    html = r.content.decode()
    assert "顺序不能重复。" in html
    assert total_forms(html) == 4
    for _order, code, name, name_en, _quota in tiers:
        assert f'value="{code}"' in html and f'value="{name}"' in html
        assert f'value="{name_en}"' in html
    assert not Campaign.objects.filter(year=2031).exists()
