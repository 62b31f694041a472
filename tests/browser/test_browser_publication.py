"""From a computed ranking to published results in a real Chromium (Playwright): the office
overrides a tier with a reason, locks, publishes the notice; a visitor objects; the office
answers and publishes; the public results and statistics pages show the tiers.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import timezone

from notifications.models import Notification
from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome, Objection
from reviews.models import RankingEntry, TierOverride
from reviews.ranking import services as ranking
from tests.factories import (
    PASSWORD,
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    make_closed_round,
    ranking_campaign,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "publication"
REASON = "评审委员会复核:该案例群众获得感突出,调整为优秀实践案例。"
OBJECTION = "该案例的成效数据与统计公报不一致,请组织方核实。"
ANSWER = "经核实,成效数据来自统计公报,异议不成立。"


@pytest.fixture
def scene(orm, live_server):
    """A campaign in `ranking` (best 1, excellent 2) with four reviewed cases and a ranking.

    甲 90 91 93 → best; 乙 80 82 85 and 丙 70 75 78 → excellent; 丁 60 61 63 → no tier.
    """
    admin = UserFactory(username="office", administrator=True, display_name="组织方")
    campaign = ranking_campaign(best=1, excellent=2, title="浏览器测试改革创新实践案例")
    city = CityFactory(name="测试市(公示)")
    field = FieldFactory(name="数字化改革(公示)")
    units = [CountyFactory(name=f"测试县{k}(公示)", parent=city) for k in "甲乙丙丁"]
    locality = UserFactory(username="county", locality=True, organisation=units[3])
    titles = [
        "甲:数字政府一网通办",
        "乙:基层治理四平台",
        "丙:营商环境一窗受理",
        "丁:乡村振兴共富工坊",
    ]
    cases = [
        accepted_case_for_ranking(campaign, t, organisation=u, region=city, field=field)
        for t, u in zip(titles, units, strict=True)
    ]
    round = make_closed_round(campaign)
    add_reviews(
        round,
        dict(zip(cases, [[90, 91, 93], [80, 82, 85], [70, 75, 78], [60, 61, 63]], strict=True)),
    )
    ranking.compute_ranking(review_round=round, by=admin)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {
        "url": live_server.url,
        "campaign": campaign,
        "round": round,
        "cases": cases,
        "locality": locality,
    }


def _log_in(browser, base, username, next_path):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")
    return page


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _alerts(page):
    return " ".join(page.locator(".alert").all_inner_texts())


def _section(page, code):
    return page.locator(f"section#tier-{code}").inner_text()


def test_ranking_to_published_results_through_notice_and_objection(browser, scene):
    base, campaign, round = scene["url"], scene["campaign"], scene["round"]
    first, second, third, fourth = scene["cases"]
    ranking_path = f"/manage/rounds/{round.pk}/ranking/"

    # The office opens the ranking and moves 丁 into 优秀 with a written reason.
    office = _log_in(browser, base, "office", ranking_path)
    entry = RankingEntry.objects.get(round=round, case=fourth)
    row = office.locator(f"#entry-{entry.pk}")
    assert (
        "—" in row.inner_text()
        and "91.33"
        in office.locator(
            f"#entry-{RankingEntry.objects.get(round=round, case=first).pk}"
        ).inner_text()
    )
    row.locator("summary").click()
    row.locator("select[name=tier]").select_option(str(campaign.excellent.pk))
    row.locator("input[name=reason]").fill(REASON)
    _shot(office, "01-office-overrides")
    with office.expect_navigation():
        row.locator("button").click()
    assert "等次已调整并记录" in _alerts(office), _alerts(office)
    row = office.locator(f"#entry-{entry.pk}")
    assert "— → 优秀实践案例" in row.inner_text() and REASON in row.inner_text()
    override = TierOverride.objects.get()
    assert (override.entry, override.new_tier, override.reason) == (
        entry,
        campaign.excellent,
        REASON,
    )
    assert override.actor.username == "office"

    # Lock (on its confirmation page).
    with office.expect_navigation():
        office.click("a:has-text('锁定排名')")
    with office.expect_navigation():
        office.click("button:has-text('确认锁定排名')")
    assert "排名已锁定" in _alerts(office), _alerts(office)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LOCKED

    # Publish the notice, ending a few minutes from now, typed in Shanghai time.
    ends = timezone.localtime(timezone.now() + timedelta(minutes=3)).replace(
        second=0, microsecond=0
    )
    with office.expect_navigation():
        office.click("a:has-text('发布公示')")
    # The confirmation page: the period (7 days by default, or an end time), what goes on
    # notice in numbers, then the real step.
    assert "将通知 0 个申报单位、0 位专家" in office.locator("main").inner_text()
    office.fill("#id_ends_at", ends.strftime("%Y-%m-%dT%H:%M"))
    with office.expect_navigation():
        office.click("button:has-text('重新计算')")
    _shot(office, "02-office-notice")
    with office.expect_navigation():
        office.click("button:has-text('确认发布公示')")
    assert "公示已发布" in _alerts(office), _alerts(office)
    assert office.url == f"{base}/manage/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    assert campaign.notice_ends_at == ends
    assert Case.objects.get(pk=fourth.pk).tier == campaign.excellent

    # A visitor reads the proposed list and objects from the results page.
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(f"{base}/results/{campaign.year}/")
    text = visitor.locator("main").inner_text()
    assert "公示中" in text and f"{ends.month}月{ends.day}日 {ends:%H:%M}" in text
    assert first.title in _section(visitor, "best")
    assert fourth.title in _section(visitor, "excellent")
    assert "91.33" not in visitor.content()
    _shot(visitor, "03-visitor-notice")
    with visitor.expect_navigation():
        visitor.click("a:has-text('提出异议')")
    visitor.select_option("select[name=case]", label=fourth.title)
    visitor.fill("input[name=name]", "张先生")
    visitor.fill("input[name=contact]", "zhang@example.invalid")
    visitor.fill("textarea[name=text]", OBJECTION)
    _shot(visitor, "04-visitor-objects")
    with visitor.expect_navigation():
        visitor.click("button:has-text('提交异议')")
    assert "异议已收到" in _alerts(visitor), _alerts(visitor)
    objection = Objection.objects.get()
    assert (objection.case_id, objection.text) == (fourth.pk, OBJECTION)

    # The office cannot publish yet; it answers the objection.
    office.goto(f"{base}/manage/campaigns/{campaign.pk}/")
    with office.expect_navigation():
        office.click("a:has-text('发布评选结果')")
    assert "结束后才能发布" in _alerts(office), _alerts(office)
    office.goto(f"{base}/manage/campaigns/{campaign.pk}/objections/")
    assert OBJECTION in office.locator("main").inner_text()
    office.fill("textarea[name=answer]", ANSWER)
    office.select_option("select[name=decision]", "dismissed")
    _shot(office, "05-office-answers")
    with office.expect_navigation():
        office.click("button:has-text('保存答复')")
    assert "答复已保存" in _alerts(office), _alerts(office)
    assert ANSWER in office.locator("main").inner_text()

    # The notice has ended (moved in the database rather than waited for); publish.
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    office.goto(f"{base}/manage/campaigns/{campaign.pk}/")
    with office.expect_navigation():
        office.click("a:has-text('发布评选结果')")
    assert "将通知" in office.locator("main").inner_text()
    with office.expect_navigation():
        office.click("button:has-text('确认发布评选结果')")
    assert "评选结果已发布" in _alerts(office), _alerts(office)
    _shot(office, "06-office-published")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED and campaign.published_at is not None
    outcome = Notification.objects.get(kind="case_outcome", recipient=scene["locality"])
    assert "获评“优秀实践案例”" in outcome.body

    # The public page shows the final tiers; the statistics page counts them.
    visitor.goto(f"{base}/results/{campaign.year}/")
    text = visitor.locator("main").inner_text()
    assert "公示中" not in text
    assert first.title in _section(visitor, "best")
    for case in (second, third, fourth):
        assert case.title in _section(visitor, "excellent")
    assert Case.objects.filter(campaign=campaign, outcome=CaseOutcome.AWARDED).count() == 4
    _shot(visitor, "07-visitor-results")
    visitor.goto(f"{base}/results/{campaign.year}/stats/")
    stats = visitor.locator("main").inner_text()
    assert "按地区" in stats and "按领域" in stats
    assert "最佳实践案例" in stats and "优秀实践案例" in stats
    # 测试市(公示): 4 cases, 1 best, 3 excellent, 0 selected.
    region_row = visitor.locator("tr", has_text="测试市(公示)").first.inner_text()
    assert re.findall(r"\d+", region_row) == ["4", "1", "3", "0"]
    assert visitor.locator("svg rect").count() == 2
    _shot(visitor, "08-visitor-stats")
