"""The whole award, end to end, in a real Chromium (Playwright) — issues 10 and 16.

Every page is reached the way its user reaches it: by the links and buttons of the
page before, starting from where each role lands after logging in (administrators
on /manage/, experts on /review/, localities on /cases/mine/). Only the log-in page
and the site's home page (an anonymous visitor's first page) are typed in.

An administrator creates a campaign with both its tiers at once (best 1 / excellent
1, the second row added with "添加一行"; window open now; only the application form
required) and opens it; two localities submit three cases with a PDF each (one
section typed and left unsaved while the PDF is uploaded: the upload keeps it); the
administrator accepts them on the formal-check page, closes the call early and starts
the review; builds a panel and a round (two experts per case), assigns automatically
and confirms; both experts sign the pledge and score every case (confirming each
submission; two cases tie for first place on purpose); the administrator moves to
ranking, computes it, settles the tie across the best/excellent boundary by overrides
with reasons, locks (its confirmation page showing the cases per tier), publishes the
notice (likewise) and extends it with a written reason, which the public results page
shows; the localities see their proposed tier on notice; the notice period over, the
administrator publishes the results (likewise), the public page shows the tiers and
the awarded titles, the localities read their tier and rank, and each step left its
notification in the outbox.

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
}
# Typed on the edit page and not saved when the PDF is uploaded: the upload keeps it.
UNSAVED = ("replicability", "已在全省推广。")
LANDING = {"office": "/manage/", "expert": "/review/", "locality": "/cases/mine/"}
NOTICE_REASON = "收到较多咨询,公示期延长两天以便充分听取意见。"


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


def log_in(browser, base, username, role):
    """Log in on the log-in page (the one page typed in) and land where `role` lands.

    Every confirmation dialog (data-confirm) is accepted and its message kept in
    `page.dialogs`, so a test can tell that it was asked."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.dialogs = []

    def accept(dialog):
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, alerts(page)
    assert page.url == f"{base}{LANDING[role]}", page.url
    return page


def alerts(page):
    return " ".join(page.locator("main .alert").all_inner_texts())


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def click(page, role_name, *, exact=True):
    """Click a button by its name and wait for the page that follows."""
    with page.expect_navigation():
        page.get_by_role("button", name=role_name, exact=exact).click()


def follow(page, link_name, *, exact=True, within=None):
    """Click a link by its visible name and wait for the page it opens."""
    scope = page.locator(within) if within else page
    with page.expect_navigation():
        scope.get_by_role("link", name=link_name, exact=exact).click()


def rows(table):
    """A table's body rows as lists of cell texts (header cells included)."""
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def to_campaign(page):
    """From any office page: the "管理" nav link, then the campaign on the dashboard."""
    follow(page, "管理", within="nav")
    follow(page, TITLE, within="main")
    assert page.locator("h1").inner_text().startswith(TITLE)


def submit_case(page, scene, title):
    """From "我的案例": a new case, saved as a draft; on its edit page one more section is
    typed and, unsaved, sent with the PDF's upload; then saved and submitted."""
    follow(page, "我的案例", within="nav")
    follow(page, "申报新案例")
    assert TITLE in page.locator("main").inner_text()
    page.fill("#id_title", title)
    page.select_option("#id_field", label=scene["field"].name)
    for name, text in SECTIONS.items():
        page.fill(f"#id_{name}", text)
    page.fill("#id_contact_name", "王五")
    page.fill("#id_contact_phone", "0571-87000000")
    click(page, "保存草稿")
    assert re.search(r"/cases/mine/\d+/edit/$", page.url), page.url
    case = Case.objects.get(title=title)
    section, text = UNSAVED
    assert getattr(case, section) == ""
    # A section is typed, then the PDF chosen and uploaded. The page's autosave cannot reach
    # the server meanwhile (its requests fail, as on a bad network), so the typed text is
    # still unsaved when the upload is clicked: the upload itself must keep and save it.
    page.route("**/autosave/", lambda route: route.abort())
    page.fill(f"#id_{section}", text)
    form = page.locator("#case-form")
    form.locator("select[name=kind]").select_option(label="申报书")
    form.locator("input[name=file]").set_input_files(str(scene["pdf"]))
    case.refresh_from_db()
    assert getattr(case, section) == ""
    click(page, "上传")
    page.unroute("**/autosave/")
    assert "附件已上传" in alerts(page), alerts(page)
    assert page.locator(f"#id_{section}").input_value() == text  # still on the page
    case.refresh_from_db()
    assert getattr(case, section) == text  # and saved
    assert case.attachments.count() == 1
    assert "申报书.pdf" in page.locator("#case-form").inner_text()
    click(page, "保存并提交")
    assert "案例已提交" in alerts(page), alerts(page)


def change_status(page, label, *, tick_early_close=False):
    form = page.locator("form", has=page.get_by_role("button", name=f"进入“{label}”"))
    if tick_early_close:
        form.locator("input[name=confirm]").check()
    click(page, f"进入“{label}”")
    assert f"状态已变更为“{label}”" in alerts(page), alerts(page)


def visit_results_as_public(browser, base):
    """An anonymous visitor: the home page, then its link to this year's results."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    response = page.goto(f"{base}/")
    assert response is not None and response.ok, response and response.status
    follow(page, f"{YEAR} 年度结果")
    assert page.url == f"{base}/results/{YEAR}/", page.url
    return page


def own_cases(page):
    """The locality's "我的案例" (its nav link): {case title: the text of its line}."""
    follow(page, "我的案例", within="nav")
    return {
        title: page.locator(".list-group-item", has_text=title).inner_text()
        for title, _who, _s in CASES
        if page.locator(".list-group-item", has_text=title).count()
    }


def test_the_whole_award(browser, scene):
    base = scene["url"]
    admin = log_in(browser, base, "office", "office")

    # 1. The administrator creates the campaign from the dashboard: window open now, both
    #    tiers at once (the second in a row added by "添加一行"), only the application form
    #    required.
    now = timezone.now()
    follow(admin, "新建评选活动")
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
    blank_rows = admin.locator("#tier-rows tr").count()
    admin.get_by_role("button", name="添加一行").click()
    added = admin.locator("#tier-rows tr").nth(blank_rows)
    assert admin.locator("#tier-rows tr").count() == blank_rows + 1
    for field, value in (
        ("order", "2"), ("code", "excellent"), ("name", "优秀实践案例"), ("quota", "1"),
    ):  # fmt: skip
        added.locator(f"input[name=tiers-{blank_rows}-{field}]").fill(value)
    click(admin, "保存")
    assert "评选活动已保存" in alerts(admin), alerts(admin)
    campaign = Campaign.objects.get(year=YEAR, is_demo=False)
    assert list(campaign.tiers.order_by("order").values_list("code", "quota")) == [
        ("best", 1),
        ("excellent", 1),
    ]
    assert campaign.required_attachment_kinds == ["application_form"]
    change_status(admin, "征集中")
    shot(admin, "01-campaign-open")

    # 2. Two localities log in and submit three cases, a PDF each.
    localities = {
        key: log_in(browser, base, f"county-{key}", "locality") for key in ("east", "west")
    }
    for title, who, _scores in CASES:
        submit_case(localities[who], scene, title)
    shot(localities["east"], "02-locality-submitted")
    cases = {c.title: c for c in Case.objects.filter(campaign=campaign)}
    assert set(cases) == {title for title, _who, _s in CASES}
    assert {c.status for c in cases.values()} == {CaseStatus.SUBMITTED}
    assert all(c.attachments.count() == 1 for c in cases.values())
    assert {c.replicability for c in cases.values()} == {UNSAVED[1]}

    # 3. The administrator accepts all three on the formal-check page.
    to_campaign(admin)
    follow(admin, "申报案例与形式审查")
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
    follow(admin, f"← {TITLE}")
    change_status(admin, "形式审查", tick_early_close=True)
    change_status(admin, "专家评审")

    # 5. Default rubric, a panel of both experts, round 1 with two experts per case.
    follow(admin, "评分指标")
    click(admin, "使用默认指标", exact=False)
    assert campaign.criteria.count() == 5
    follow(admin, f"← {TITLE}")
    first, second = scene["experts"]
    follow(admin, "评审组")
    admin.fill("#id_name", "综合组")
    admin.select_option("#id_members", [str(first.pk), str(second.pk)])
    click(admin, "保存")
    assert "评审组已创建" in alerts(admin), alerts(admin)
    panel = campaign.panels.get()
    follow(admin, f"← {TITLE}")
    follow(admin, "评审轮次与排名")
    admin.fill("#id_name", "初评")
    admin.fill("#id_order", "1")
    admin.check(f"input[name=panels][value='{panel.pk}']")
    admin.fill("#id_reviewers_per_case", "2")
    admin.fill("#id_opens_at", shanghai(now - timedelta(hours=1)))
    admin.fill("#id_closes_at", shanghai(now + timedelta(days=7)))
    click(admin, "保存")
    assert "评审轮次已创建,加入 3 个已受理案例" in alerts(admin), alerts(admin)
    round_ = ReviewRound.objects.get(campaign=campaign)

    # 6. Automatic assignment, then confirmation (the experts are told).
    follow(admin, "分配专家")
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

    # 7. Each expert logs in, signs the pledge and scores every case from the workspace,
    #    confirming each submission.
    criteria = list(campaign.criteria.order_by("order"))
    for expert in (first, second):
        desk = log_in(browser, base, expert.username, "expert")
        follow(desk, "签署承诺")
        desk.check("#agree")
        click(desk, "接受并开始评审")
        assert "已记录您的承诺" in alerts(desk), alerts(desk)
        for title, _who, scores in CASES:
            follow(desk, title, exact=False, within="main")
            assert desk.locator("h1").inner_text() == title
            for criterion, value in zip(criteria, scores, strict=True):
                desk.fill(f"#score_{criterion.pk}", value)
            desk.fill("#overall_comment", "做法扎实,成效明显。")
            asked = len(desk.dialogs)
            click(desk, "提交评分")
            assert desk.dialogs[asked:] == ["提交后不能再修改,确定提交吗?"], desk.dialogs
            assert "评分已提交" in alerts(desk), alerts(desk)
            follow(desk, "我的评审", within="nav")
        assert "已提交 3 / 3" in desk.locator("main").inner_text()
        shot(desk, f"05-expert-{expert.username}")
        desk.context.close()
    assert (
        Review.objects.filter(assignment__round=round_, status=ReviewStatus.SUBMITTED).count() == 6
    )

    # 8. Ranking: compute; the two equal cases are tied across the best/excellent boundary,
    #    left undecided and settled by hand, with a reason each.
    to_campaign(admin)
    change_status(admin, "排名")
    follow(admin, "评审轮次与排名")
    follow(admin, "排名")
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

    # 9. Lock, after its confirmation page's numbers per tier.
    follow(admin, "锁定排名")
    assert rows(admin.locator("#lock-summary table")) == [
        ["最佳实践案例", "1", "1"],
        ["优秀实践案例", "1", "1"],
        ["不获奖", "1", ""],
    ]
    click(admin, "确认锁定排名")
    assert "排名已锁定" in alerts(admin), alerts(admin)

    # 10. The public notice, ending a few minutes from now (Beijing time), after the numbers
    #     of its confirmation page.
    follow(admin, "发布公示")
    admin.fill("#id_ends_at", shanghai(timezone.now() + timedelta(minutes=5)))
    click(admin, "重新计算")
    assert rows(admin.locator("#impact")) == [
        ["最佳实践案例", "1"],
        ["优秀实践案例", "1"],
        ["不获奖", "1"],
    ]
    assert admin.locator("#notice-end").is_visible()
    click(admin, "确认发布公示")
    assert "公示已发布" in alerts(admin), alerts(admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOTICE
    shot(admin, "07-notice")

    # 11. The notice is extended once, with a written reason, from the campaign's page.
    extended_to = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        second=0, microsecond=0
    )
    follow(admin, "调整公示期")
    admin.get_by_label("新的公示截止时间").fill(shanghai(extended_to))
    admin.get_by_label("调整理由").fill(NOTICE_REASON)
    click(admin, "保存新的公示期")
    assert "公示期已调整" in alerts(admin), alerts(admin)
    campaign.refresh_from_db()
    assert campaign.notice_ends_at == extended_to
    shot(admin, "08-notice-extended")

    # 12. An anonymous visitor finds the proposed list from the home page, with the change
    #     of the notice period and its reason.
    page = visit_results_as_public(browser, base)
    body = page.locator("main").inner_text()
    assert "公示中" in body and "拟入选名单" in body
    change = page.locator("#notice-change").inner_text()
    assert "公示期延长至" in change and NOTICE_REASON in change, change
    assert top.title in body and tied.title in body and third.title not in body
    shot(page, "09-public-notice")
    page.context.close()

    # 13. During the notice each locality sees 公示中 and its proposed tier on 我的案例.
    east = own_cases(localities["east"])
    west = own_cases(localities["west"])
    assert set(east) == {top.title, third.title} and set(west) == {tied.title}
    assert "公示中" in east[top.title] and "拟评为“最佳实践案例”" in east[top.title]
    assert "公示中" in west[tied.title] and "拟评为“优秀实践案例”" in west[tied.title]
    assert "公示中" in east[third.title] and "未列入拟入选名单" in east[third.title]
    shot(localities["east"], "10-locality-on-notice")

    # 14. The notice period is over (the clock moved on: its end set in the past here), and
    #     the results are published after the numbers of their confirmation page.
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_ends_at=timezone.now() - timedelta(minutes=1)
    )
    to_campaign(admin)
    follow(admin, "发布评选结果")
    assert rows(admin.locator("#impact")) == [
        ["最佳实践案例", "1"],
        ["优秀实践案例", "1"],
        ["不获奖", "1"],
    ]
    assert "将通知 2 个申报单位" in admin.locator("#impact-notified").inner_text()
    click(admin, "确认发布评选结果")
    assert "评选结果已发布" in alerts(admin), alerts(admin)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    outcomes = dict(Case.objects.filter(campaign=campaign).values_list("title", "outcome"))
    assert outcomes == {
        top.title: CaseOutcome.AWARDED,
        tied.title: CaseOutcome.AWARDED,
        third.title: CaseOutcome.NOT_AWARDED,
    }

    # 15. The public results page shows the tiers and the awarded titles, nothing else.
    page = visit_results_as_public(browser, base)
    body = page.locator("main").inner_text()
    assert "公示中" not in body
    assert "最佳实践案例" in body and "优秀实践案例" in body
    assert body.index("最佳实践案例") < body.index(top.title)
    assert body.index("优秀实践案例") < body.index(tied.title)
    assert top.title in body and tied.title in body and third.title not in body
    shot(page, "11-public-results")
    page.context.close()

    # 16. Each locality reads its tier and rank on 我的案例, no longer "waiting".
    east = own_cases(localities["east"])
    west = own_cases(localities["west"])
    for line in (*east.values(), *west.values()):
        assert "等待结果" not in line and "公示中" not in line, line
    assert "最佳实践案例" in east[top.title] and "排名第 1 位" in east[top.title]
    assert "优秀实践案例" in west[tied.title] and "排名第 2 位" in west[tied.title]
    assert "未获奖" in east[third.title], east[third.title]
    shot(localities["west"], "12-locality-published")

    # 17. Each step left its notification in the outbox, for the right people.
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
