"""The expert review journey in a real Chromium (Playwright).

Set up in the database: a campaign in review with two accepted cases, the
default rubric, two experts with profiles and an administrator. In the
browser: the administrator logs in, builds a panel with both experts, creates
a round (open now, two reviewers per case), assigns both experts by hand to
one case and confirms; the first expert logs in, opens /review/, accepts the
pledge, scores the case, saves a draft and submits; the administrator's
progress page then shows the submission.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from reviews.rounds import services as rounds_services

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Panel,
    Pledge,
    Review,
    ReviewEvent,
    ReviewRound,
    ReviewStatus,
)
from tests.factories import (
    PASSWORD,
    CountyFactory,
    UserFactory,
    accepted_case_for_review,
    make_expert,
    reviewing_campaign,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TIMEOUT_MS = 15_000
CASE_TITLE = "“浙里办”一网通办改革(浏览器测试)"
OTHER_TITLE = "基层治理“四个平台”建设(浏览器测试)"
# The default rubric's scores and total (see tests/reviews/ranking/test_statistics.py):
#   0.96 × 20 + 0.96 × 22.5 + 16 + 16/15 × (12 + 10.5) = 19.2 + 21.6 + 16 + 24 = 80.80
SCORES = ["20", "22.5", "16", "12", "10.5"]
TOTAL = "80.80"


@pytest.fixture
def site(live_server):
    """The live server's URL, with a campaign in review, two experts and an administrator."""
    campaign = reviewing_campaign(title="浏览器测试评选")
    criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=None)
    case = accepted_case_for_review(campaign, CountyFactory(name="浏览器申报县"), title=CASE_TITLE)
    other = accepted_case_for_review(campaign, title=OTHER_TITLE)
    first = make_expert(
        name="周专家", username="zhou", affiliation=CountyFactory(name="浏览器专家县")
    )
    second = make_expert(name="吴专家", username="wu", institution="上海某大学")
    admin = UserFactory(administrator=True, username="office", display_name="组织方小王")
    return {
        "url": live_server.url,
        "campaign": campaign,
        "criteria": criteria,
        "case": case,
        "other": other,
        "experts": (first, second),
        "admin": admin,
    }


def log_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("input[type=submit][value='登录']").click()
    page.wait_for_load_state()


def shanghai(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def alerts(page):
    return page.locator("main .alert").all_inner_texts()


def test_panel_round_assignment_pledge_draft_submit_progress(browser, site):
    ARTIFACTS.mkdir(exist_ok=True)
    base = site["url"]
    campaign, case = site["campaign"], site["case"]
    first, second = site["experts"]

    office = browser.new_context()
    office.set_default_timeout(TIMEOUT_MS)
    page = office.new_page()

    # 1. The administrator logs in through the form.
    log_in(page, base, "office", PASSWORD)
    assert "组织方小王" in page.locator(".navbar").inner_text()

    # 2. Builds a panel with both experts, the first one chairing.
    page.goto(f"{base}/manage/campaigns/{campaign.pk}/panels/")
    page.fill("#id_name", "综合组")
    page.select_option("#id_members", [str(first.pk), str(second.pk)])
    page.select_option("#id_chair", str(first.pk))
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "评审组已创建。" in alerts(page)
    card = page.locator(".card", has_text="综合组").inner_text()
    assert "组长:周专家" in card and "周专家" in card and "吴专家" in card
    shot(page, "review-1-panel.png")
    panel = Panel.objects.get(campaign=campaign)
    assert set(panel.members.all()) == {first, second}

    # 3. Creates the first round: open now, two reviewers per case, that panel.
    now = timezone.now()
    page.goto(f"{base}/manage/campaigns/{campaign.pk}/rounds/")
    page.fill("#id_name", "初评")
    page.fill("#id_order", "1")
    page.check(f"input[name=panels][value='{panel.pk}']")
    page.fill("#id_reviewers_per_case", "2")
    page.fill("#id_opens_at", shanghai(now - timedelta(hours=1)))
    page.fill("#id_closes_at", shanghai(now + timedelta(days=7)))
    page.select_option("#id_visibility", "after_own")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "评审轮次已创建,加入 2 个已受理案例。" in alerts(page)
    round = ReviewRound.objects.get(campaign=campaign)
    assert (round.name, round.reviewers_per_case) == ("初评", 2)
    assert round.is_open(timezone.now())
    assert set(round.cases.all()) == {case, site["other"]}
    shot(page, "review-2-round.png")

    # 4. Assigns both experts to the case by hand, then confirms.
    page.locator(".card", has_text="初评").get_by_role("link", name="分配专家").click()
    page.wait_for_load_state()
    board_url = page.url
    page.locator(f"#case-{case.pk}").get_by_role("link", name=case.title).click()
    page.wait_for_load_state()
    card = page.locator(f"#case-{case.pk}")
    for expert in (first, second):
        add = card.locator("form[action$='/assign/add/']")
        add.locator("select[name=expert]").select_option(str(expert.pk))
        add.get_by_role("button", name="分配").click()
        page.wait_for_load_state()
        assert any(f"已分配 {expert} 评审" in text for text in alerts(page)), alerts(page)
    assert card.inner_text().count("(待确认)") == 2
    # Two reviewers reached: no more assigning on this case.
    assert card.locator("form[action$='/assign/add/']").count() == 0
    shot(page, "review-3-assigned.png")
    page.goto(board_url)
    page.get_by_role("button", name="确认 2 项分配并通知专家").click()
    page.wait_for_load_state()
    assert "已确认 2 项分配,并通知了相关专家。" in alerts(page)
    assert "(待确认)" not in page.locator(f"#case-{case.pk}").inner_text()
    assert set(
        Assignment.objects.filter(round=round).values_list("expert_id", "case_id", "status")
    ) == {
        (first.pk, case.pk, AssignmentStatus.CONFIRMED),
        (second.pk, case.pk, AssignmentStatus.CONFIRMED),
    }
    told = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["wu", "zhou"]

    # 5. The first expert logs in and finds the case on their desk.
    desk = browser.new_context()
    desk.set_default_timeout(TIMEOUT_MS)
    expert = desk.new_page()
    log_in(expert, base, "zhou", PASSWORD)
    expert.goto(f"{base}/review/")
    workspace = expert.locator("main").inner_text()
    assert CASE_TITLE in workspace and OTHER_TITLE not in workspace
    assert "未开始" in workspace and "0 / 1" in workspace
    shot(expert, "review-4-workspace.png")

    # 6. Opening it asks for the pledge first.
    expert.get_by_role("link", name=CASE_TITLE).click()
    expert.wait_for_load_state()
    assert "/pledge/" in expert.url
    assert "评审承诺书" in expert.locator("h1").inner_text()
    shot(expert, "review-5-pledge.png")
    expert.check("#agree")
    expert.get_by_role("button", name="接受并开始评审").click()
    expert.wait_for_load_state()
    assert "已记录您的承诺,可以开始评分。" in alerts(expert)
    assert expert.locator("h1").inner_text() == CASE_TITLE
    assert Pledge.objects.filter(round=round, expert=first).exists()
    # The case page shows the organisation (the round is not blind) and its sections.
    body = expert.locator("main").inner_text()
    assert "浏览器申报县" in body and "主要做法" in body

    # 7. Scores, saves a draft: the values come back as typed.
    criteria = site["criteria"]
    for criterion, value in zip(criteria, SCORES, strict=True):
        expert.fill(f"#score_{criterion.pk}", value)
    expert.locator(f"input[name=comment_{criteria[0].pk}]").fill("数据共享做法有首创性")
    expert.fill("#overall_comment", "改革成效明显,建议推广。")
    expert.get_by_role("button", name="保存草稿").click()
    expert.wait_for_load_state()
    assert "草稿已保存。" in alerts(expert)
    for criterion, value in zip(criteria, SCORES, strict=True):
        assert expert.input_value(f"#score_{criterion.pk}") == value
    assert expert.input_value("#overall_comment") == "改革成效明显,建议推广。"
    review = Review.objects.get(assignment__expert=first)
    assert review.status == ReviewStatus.DRAFT
    shot(expert, "review-6-draft.png")

    # 8. Submits (after the confirmation dialog): the form locks and shows the total.
    expert.once("dialog", lambda dialog: dialog.accept())
    expert.get_by_role("button", name="提交评分").click()
    expert.wait_for_load_state()
    assert "评分已提交。" in alerts(expert)
    body = expert.locator("main").inner_text()
    assert f"总分:{TOTAL}" in body
    assert expert.get_by_role("button", name="提交评分").count() == 0
    assert expert.locator(f"#score_{criteria[0].pk}").is_disabled()
    review.refresh_from_db()
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal(TOTAL))
    assert list(ReviewEvent.objects.values_list("kind", flat=True)) == ["submitted"]
    shot(expert, "review-7-submitted.png")
    expert.goto(f"{base}/review/")
    assert "已提交" in expert.locator("main").inner_text()
    # The label sits above the bar (readable at 0%), which it names for assistive technology.
    assert "1 / 1" in expert.locator("[id^=progress-label-]").inner_text()
    assert expert.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"

    # 9. The administrator's progress page shows it.
    page.goto(f"{base}/manage/rounds/{round.pk}/progress/")
    main = page.locator("main").inner_text()
    assert "已提交 1 / 2(50%)" in main
    zhou = page.locator("tr", has=page.locator("td", has_text="周专家")).inner_text()
    wu = page.locator("tr", has=page.locator("td", has_text="吴专家")).inner_text()
    assert zhou.split("\t")[:3] == ["周专家", "1 / 1", "0"], zhou
    assert wu.split("\t")[:3] == ["吴专家", "0 / 1", "0"], wu
    shot(page, "review-8-progress.png")

    desk.close()
    office.close()
