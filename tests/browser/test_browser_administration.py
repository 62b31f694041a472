"""Smoother administration in a real Chromium: tier rows added on the page, the organisation
filter used from the keyboard, no truncated button on the ranking page at phone and desktop
widths, and the expert's progress label readable at 0%."""

import os

# Playwright's sync API runs an event loop in this thread (see test_browser_csp.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from accounts.models import Organisation
from reform_cases.models import Campaign, CampaignStatus, Tier
from reviews.ranking import services as ranking
from tests.browser.test_browser_csp import Watched
from tests.factories import (
    CountyFactory,
    UserFactory,
    accepted_case_for_ranking,
    accepted_case_for_review,
    add_reviews,
    confirmed,
    make_closed_round,
    make_expert,
    make_open_round,
    make_rubric,
    ranking_campaign,
    reviewing_campaign,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def base(live_server):
    return live_server.url


def test_tier_rows_are_added_on_the_page_and_saved_in_one_post(browser, base, orm):
    watched = Watched(browser, base, UserFactory(administrator=True))
    watched.goto("/manage/campaigns/new/")
    page = watched.page
    assert page.locator("#tier-rows tr").count() == 3

    page.get_by_role("button", name="添加一行").click()
    assert page.locator("#tier-rows tr").count() == 4
    assert page.input_value("input[name=tiers-TOTAL_FORMS]") == "4"
    # The new row's first input has the focus, so typing goes on from the keyboard.
    assert page.evaluate("document.activeElement.name") == "tiers-3-order"

    page.fill("#id_year", "2097")
    page.fill("#id_title", "2097年度测试评选")
    page.fill("#id_max_cases_per_organisation", "3")
    for i, (code, name, quota) in enumerate(
        [
            ("best", "最佳", "2"),
            ("excellent", "优秀", "4"),
            ("good", "良好", "6"),
            ("fine", "入围", "8"),
        ]
    ):
        page.fill(f"[name=tiers-{i}-order]", str(i + 1))
        page.fill(f"[name=tiers-{i}-code]", code)
        page.fill(f"[name=tiers-{i}-name]", name)
        page.fill(f"[name=tiers-{i}-quota]", quota)
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()

    assert "/campaigns/new/" not in page.url, page.inner_text("main")[:3000]
    campaign = Campaign.objects.get(year=2097)
    assert list(campaign.tiers.order_by("order").values_list("code", flat=True)) == [
        "best",
        "excellent",
        "good",
        "fine",
    ]
    assert Tier.objects.filter(campaign=campaign).count() == 4
    watched.assert_clean()


def test_an_organisation_is_found_by_typing_and_chosen_with_enter(browser, base, orm):
    for i in range(30):
        CountyFactory(name=f"筛选测试县{i:02d}")
    target = CountyFactory(name="独一无二的开化县")
    watched = Watched(browser, base, UserFactory(administrator=True))
    watched.goto("/manage/accounts/new/")
    page = watched.page

    box = page.get_by_role("searchbox", name="所属单位 · 输入名称筛选")
    box.focus()
    page.keyboard.type("独一无二")
    visible = page.evaluate(
        "Array.from(document.querySelector('#id_organisation').options)"
        ".filter(o => !o.hidden && o.value).map(o => o.text)"
    )
    assert visible == [f"{target.parent.name} · {target.name}"]
    page.keyboard.press("Enter")  # takes the match, moves to the list, submits nothing

    assert page.evaluate("document.activeElement.id") == "id_organisation"
    assert page.input_value("#id_organisation") == str(target.pk)
    assert page.url.endswith("/manage/accounts/new/")
    assert Organisation.objects.count() > 30
    watched.assert_clean()


def _truncated(page):
    """Buttons (and button-like links) of the main area whose text does not fit."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("main .btn")).filter(b => {
            const r = b.getBoundingClientRect();
            return r.width > 0 && (b.scrollWidth > b.clientWidth + 1 || r.right > window.innerWidth + 1);
        }).map(b => b.textContent.trim())"""
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("status", [CampaignStatus.REVIEWING, CampaignStatus.RANKING])
def test_no_button_of_the_ranking_page_is_truncated(browser, base, orm, viewport, status):
    admin = UserFactory(administrator=True)
    campaign = ranking_campaign(best=1, excellent=2)
    cases = [accepted_case_for_ranking(campaign, f"宽度测试案例{i}") for i in range(4)]
    review_round = make_closed_round(campaign, cases=cases)
    add_reviews(review_round, {case: [90 - 4 * i] * 3 for i, case in enumerate(cases)})
    ranking.compute_ranking(review_round=review_round, by=admin)
    make_open_round(campaign, name="复评", order=2)  # the shortlist form shows too
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    watched = Watched(browser, base, admin)
    watched.page.set_viewport_size(viewport)

    watched.goto(f"/manage/rounds/{review_round.pk}/ranking/")
    offered = "进入排名阶段" if status == CampaignStatus.REVIEWING else "锁定排名"
    assert offered in watched.page.inner_text("main")
    assert _truncated(watched.page) == []
    if status == CampaignStatus.RANKING:
        watched.goto(f"/manage/rounds/{review_round.pk}/ranking/lock/")
        assert _truncated(watched.page) == []
    watched.assert_clean()


def test_the_progress_label_is_readable_at_zero(browser, base, orm):
    campaign = reviewing_campaign()
    make_rubric(campaign)
    case = accepted_case_for_review(campaign)
    review_round = make_open_round(campaign, cases=[case])
    expert = make_expert(name="新专家")
    confirmed(review_round, case, expert)
    watched = Watched(browser, base, expert)
    watched.goto("/review/")
    page = watched.page

    assert "第一步:签署承诺" in page.inner_text("main")
    label = page.locator(f"#progress-label-{review_round.pk}")
    assert "已提交 0 / 1" in label.inner_text()
    # Dark text on the page's background, outside the (empty) bar.
    colour = label.evaluate("e => getComputedStyle(e).color")
    assert colour in ("rgb(33, 37, 41)", "rgba(33, 37, 41, 1)"), colour
    assert page.locator(".progress-bar").inner_text() == ""
    with page.expect_navigation():
        page.get_by_role("link", name="签署承诺").click()
    assert f"/review/rounds/{review_round.pk}/pledge/" in page.url
    watched.assert_clean()
