"""The whole award, end to end, in a real Chromium (Playwright) — issue 10.

An administrator creates a campaign (window open now; tiers best 1 / excellent 1;
only the application form required) and opens it; two localities submit three
cases with a PDF each; the administrator accepts them on the formal-check page,
closes the call early and starts the review; builds a panel and a round (two
experts per case), assigns automatically and confirms; both experts accept the
pledge and score every case (two cases tie for first place on purpose); the
administrator moves to ranking, computes it, settles the tie across the
best/excellent boundary by overrides with reasons, locks, publishes the notice,
and — the notice period over — publishes the results. The public results page
shows the tiers and the awarded titles, and each step left its notification in
the outbox.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome, CaseStatus
from reviews.models import (
    Assignment,
    AssignmentStatus,
    RankingEntry,
    Review,
    ReviewRound,
    ReviewStatus,
    TierOverride,
)
from tests.factories import (
    PASSWORD,
    PDF,
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    make_expert,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
TIMEOUT_MS = 20_000
YEAR = 2031
TITLE = "2031年度改革创新实践案例评选(端到端)"
# Case titles, their locality, and the scores both experts give (default rubric:
# 25 / 25 / 20 / 15 / 15, weights 1.2 / 1.2 / 1 / 0.8 / 0.8). The first two tie.
CASES = [
    ("“一件事”集成改革(端到端甲)", "east", ["22", "22", "18", "13", "13"]),
    ("基层智治“一网统管”(端到端乙)", "west", ["22", "22", "18", "13", "13"]),
    ("公共数据授权运营(端到端丙)", "east", ["15", "15", "12", "9", "9"]),
]
SECTIONS = {
    "summary": "以数字化改革撬动各领域改革。",
    "background": "群众办事多头跑、材料反复交。",
    "measures": "一窗受理、集成服务、数据共享。",
    "results": "办理时间平均缩短 60%。",
    "innovation": "首创跨部门“一件事”清单。",
    "replicability": "已在全省推广。",
}


@pytest.fixture
def scene(orm, live_server, settings, tmp_path):
    """People only: an administrator, two localities in two counties, two outside experts."""
    settings.MEDIA_ROOT = tmp_path / "media"
    city = CityFactory(name="端到端市")
    counties = {
        "east": CountyFactory(name="端到端东县", parent=city),
        "west": CountyFactory(name="端到端西县", parent=city),
    }
    localities = {
        key: UserFactory(
            username=f"county-{key}",
            locality=True,
            organisation=org,
            display_name=f"{org.name}改革办",
        )
        for key, org in counties.items()
    }
    experts = [
        make_expert(name="钱专家", username="qian", institution="上海某大学"),
        make_expert(name="孙专家", username="sun", institution="江苏某研究院"),
    ]
    admin = UserFactory(username="office", administrator=True, display_name="组织方小李")
    document = tmp_path / "申报书.pdf"
    document.write_bytes(PDF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {
        "url": live_server.url,
        "field": FieldFactory(name="数字化改革(端到端)"),
        "localities": localities,
        "experts": experts,
        "admin": admin,
        "pdf": document,
    }


def shanghai(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def log_in(browser, base, username):
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, alerts(page)
    return page


def alerts(page):
    return " ".join(page.locator("main .alert").all_inner_texts())


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def click(page, role_name, *, exact=True):
    """Click a button by its name and wait for the page that follows."""
    with page.expect_navigation():
        page.get_by_role("button", name=role_name, exact=exact).click()


def submit_case(page, base, scene, title):
    page.goto(f"{base}/cases/new/")
    assert TITLE in page.locator("main").inner_text()
    page.fill("#id_title", title)
    page.select_option("#id_field", label=scene["field"].name)
    for name, text in SECTIONS.items():
        page.fill(f"#id_{name}", text)
    page.fill("#id_contact_name", "王五")
    page.fill("#id_contact_phone", "0571-87000000")
    with page.expect_navigation():
        page.click("button[name=save]")
    assert re.search(r"/cases/mine/\d+/edit/$", page.url), page.url
    form = page.locator("form[enctype='multipart/form-data']")
    form.locator("select[name=kind]").select_option(label="申报书")
    form.locator("input[name=file]").set_input_files(str(scene["pdf"]))
    with page.expect_navigation():
        form.locator("button").click()
    assert "附件已上传" in alerts(page), alerts(page)
    with page.expect_navigation():
        page.click("button[name=submit]")
    assert "案例已提交" in alerts(page), alerts(page)


def change_status(page, label, *, tick_early_close=False):
    form = page.locator("form", has=page.get_by_role("button", name=f"进入“{label}”"))
    if tick_early_close:
        form.locator("input[name=confirm]").check()
    click(page, f"进入“{label}”")
    assert f"状态已变更为“{label}”" in alerts(page), alerts(page)


def test_the_whole_award(browser, scene):
    base = scene["url"]
    admin = log_in(browser, base, "office")

    # 1. The administrator creates the campaign: window open now, two tiers of one place
    #    each (the form offers one new tier row at a time), only the application form required.
    now = timezone.now()
    admin.goto(f"{base}/manage/campaigns/new/")
    admin.fill("#id_year", str(YEAR))
    admin.fill("#id_title", TITLE)
    admin.fill("#id_submission_opens_at", shanghai(now - timedelta(hours=1)))
    admin.fill("#id_submission_closes_at", shanghai(now + timedelta(days=14)))
    admin.check("input[name=required_attachment_kinds][value=application_form]")
    admin.fill("#id_call_for_entries", "请各地按时申报。")
    for field, value in (
        ("order", "1"),
        ("code", "best"),
        ("name", "最佳实践案例"),
        ("quota", "1"),
    ):
        admin.fill(f"#id_tiers-0-{field}", value)
    click(admin, "保存")
    assert "评选活动已保存" in alerts(admin), alerts(admin)
    campaign = Campaign.objects.get(year=YEAR, is_demo=False)
    admin.get_by_role("link", name="编辑设置").click()
    admin.wait_for_load_state()
    for field, value in (
        ("order", "2"), ("code", "excellent"), ("name", "优秀实践案例"), ("quota", "1"),
    ):  # fmt: skip
        admin.fill(f"#id_tiers-1-{field}", value)
    click(admin, "保存")
    assert list(campaign.tiers.order_by("order").values_list("code", "quota")) == [
        ("best", 1),
        ("excellent", 1),
    ]
    campaign.refresh_from_db()
    assert campaign.required_attachment_kinds == ["application_form"]
    change_status(admin, "征集中")
    shot(admin, "01-campaign-open")

    # 2. Two localities log in and submit three cases, a PDF each.
    localities = {key: log_in(browser, base, f"county-{key}") for key in ("east", "west")}
    for title, who, _scores in CASES:
        submit_case(localities[who], base, scene, title)
    shot(localities["east"], "02-locality-submitted")
    cases = {c.title: c for c in Case.objects.filter(campaign=campaign)}
    assert set(cases) == {title for title, _who, _s in CASES}
    assert {c.status for c in cases.values()} == {CaseStatus.SUBMITTED}
    assert all(c.attachments.count() == 1 for c in cases.values())

    # 3. The administrator accepts all three on the formal-check page.
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/cases/")
    for box in admin.locator("input[name=cases]").all():
        box.check()
    admin.select_option("#bulk-action", "accept")
    click(admin, "执行")
    assert "已处理 3 个案例" in alerts(admin), alerts(admin)
    assert set(Case.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        CaseStatus.ACCEPTED
    }
    shot(admin, "03-accepted")

    # 4. Closes the call early (confirmed) and starts the expert review.
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/")
    change_status(admin, "形式审查", tick_early_close=True)
    change_status(admin, "专家评审")

    # 5. Default rubric, a panel of both experts, round 1 with two experts per case.
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/rubric/")
    click(admin, "使用默认指标", exact=False)
    assert campaign.criteria.count() == 5
    first, second = scene["experts"]
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/panels/")
    admin.fill("#id_name", "综合组")
    admin.select_option("#id_members", [str(first.pk), str(second.pk)])
    with admin.expect_navigation():
        admin.locator("input[type=submit][value='保存']").click()
    assert "评审组已创建" in alerts(admin), alerts(admin)
    panel = campaign.panels.get()
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/rounds/")
    admin.fill("#id_name", "初评")
    admin.fill("#id_order", "1")
    admin.check(f"input[name=panels][value='{panel.pk}']")
    admin.fill("#id_reviewers_per_case", "2")
    admin.fill("#id_opens_at", shanghai(now - timedelta(hours=1)))
    admin.fill("#id_closes_at", shanghai(now + timedelta(days=7)))
    with admin.expect_navigation():
        admin.locator("input[type=submit][value='保存']").click()
    assert "评审轮次已创建,加入 3 个已受理案例" in alerts(admin), alerts(admin)
    round_ = ReviewRound.objects.get(campaign=campaign)

    # 6. Automatic assignment, then confirmation (the experts are told).
    admin.goto(f"{base}/manage/rounds/{round_.pk}/assign/")
    click(admin, "自动分配")
    assert "已生成分配方案:新增 6 项" in alerts(admin), alerts(admin)
    click(admin, "确认 6 项分配并通知专家")
    assert "已确认 6 项分配" in alerts(admin), alerts(admin)
    shot(admin, "04-assigned")
    assignments = Assignment.objects.filter(round=round_)
    assert assignments.count() == 6
    assert set(assignments.values_list("status", flat=True)) == {AssignmentStatus.CONFIRMED}
    assert {(a.expert_id, a.case_id) for a in assignments} == {
        (e.pk, c.pk) for e in (first, second) for c in cases.values()
    }

    # 7. Each expert logs in, accepts the pledge and scores every case.
    criteria = list(campaign.criteria.order_by("order"))
    for expert in (first, second):
        desk = log_in(browser, base, expert.username)
        for n, (title, _who, scores) in enumerate(CASES):
            desk.goto(f"{base}/review/")
            with desk.expect_navigation():
                desk.get_by_role("link", name=title).click()
            if n == 0:
                assert "/pledge/" in desk.url
                desk.check("#agree")
                click(desk, "接受并开始评审")
                assert "已记录您的承诺" in alerts(desk), alerts(desk)
            assert desk.locator("h1").inner_text() == title
            for criterion, value in zip(criteria, scores, strict=True):
                desk.fill(f"#score_{criterion.pk}", value)
            desk.fill("#overall_comment", "做法扎实,成效明显。")
            desk.once("dialog", lambda dialog: dialog.accept())
            click(desk, "提交评分")
            assert "评分已提交" in alerts(desk), alerts(desk)
        desk.goto(f"{base}/review/")
        assert "3 / 3" in desk.locator("main").inner_text()
        shot(desk, f"05-expert-{expert.username}")
        desk.context.close()
    assert (
        Review.objects.filter(assignment__round=round_, status=ReviewStatus.SUBMITTED).count() == 6
    )

    # 8. Ranking: compute; the two equal cases are tied across the best/excellent boundary,
    #    left undecided and settled by hand, with a reason each.
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/")
    change_status(admin, "排名")
    admin.goto(f"{base}/manage/rounds/{round_.pk}/ranking/")
    click(admin, "计算排名")
    assert "排名已计算:3 个案例" in alerts(admin), alerts(admin)
    top, tied, third = (cases[title] for title, _who, _s in CASES)
    entries = {e.case_id: e for e in RankingEntry.objects.filter(round=round_)}
    assert "boundary_tie" in entries[top.pk].flags and "boundary_tie" in entries[tied.pk].flags
    assert entries[top.pk].rank == entries[tied.pk].rank == 1 and entries[third.pk].rank == 3
    for case in (top, tied):
        assert "待定" in admin.locator(f"#entry-{entries[case.pk].pk}").inner_text()
    shot(admin, "06-ranking-tie")
    for case, tier, reason in (
        (top, "最佳实践案例", "集成度更高,经评审组合议列为最佳。"),
        (tied, "优秀实践案例", "经评审组合议列为优秀。"),
    ):
        row = admin.locator(f"#entry-{entries[case.pk].pk}")
        row.locator("summary").click()
        row.locator("select[name=tier]").select_option(label=tier)
        row.locator("input[name=reason]").fill(reason)
        with admin.expect_navigation():
            row.get_by_role("button", name="保存").click()
        assert "等次已调整并记录" in alerts(admin), alerts(admin)
    assert TierOverride.objects.filter(entry__round=round_).count() == 2
    assert "待定" not in admin.locator("table").inner_text()

    # 9. Lock, then the public notice (ends a few minutes from now, Beijing time).
    admin.once("dialog", lambda dialog: dialog.accept())
    click(admin, "锁定排名")
    assert "排名已锁定" in alerts(admin), alerts(admin)
    admin.fill("#notice-ends", shanghai(timezone.now() + timedelta(minutes=5)))
    click(admin, "发布公示")
    assert "公示已发布" in alerts(admin), alerts(admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    shot(admin, "07-notice")

    # 10. The notice period is over (moved into the past here), and the results are published.
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    admin.goto(f"{base}/manage/campaigns/{campaign.pk}/")
    click(admin, "发布评选结果")
    assert "评选结果已发布" in alerts(admin), alerts(admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    outcomes = dict(Case.objects.filter(campaign=campaign).values_list("title", "outcome"))
    assert outcomes == {
        top.title: CaseOutcome.AWARDED,
        tied.title: CaseOutcome.AWARDED,
        third.title: CaseOutcome.NOT_AWARDED,
    }

    # 11. The public results page shows the tiers and the awarded titles, nothing else.
    public = browser.new_context(locale="zh-CN")
    page = public.new_page()
    response = page.goto(f"{base}/results/{YEAR}/")
    assert response is not None and response.ok, response and response.status
    body = page.locator("main").inner_text()
    assert "最佳实践案例" in body and "优秀实践案例" in body
    assert body.index("最佳实践案例") < body.index(top.title)
    assert body.index("优秀实践案例") < body.index(tied.title)
    assert top.title in body and tied.title in body and third.title not in body
    shot(page, "08-public-results")
    public.close()

    # 12. Each step left its notification in the outbox, for the right people.
    def sent(kind):
        return set(
            Notification.objects.filter(kind=kind).values_list("recipient__username", "target")
        )

    locality_of = {title: f"county-{who}" for title, who, _s in CASES}
    per_case = {(locality_of[c.title], f"reform_cases.case:{c.pk}") for c in cases.values()}
    assert sent(NotificationKind.CASE_SUBMITTED) == per_case
    assert sent(NotificationKind.CASE_ACCEPTED) == per_case
    assert sent(NotificationKind.CASE_OUTCOME) == per_case
    assert sent(NotificationKind.EXPERT_ASSIGNED) == {
        (e.username, f"reviews.reviewround:{round_.pk}") for e in (first, second)
    }
    for context in {p.context for p in localities.values()} | {admin.context}:
        context.close()
