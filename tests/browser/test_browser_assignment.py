"""The automatic assignment journey in a real Chromium (Playwright), issue 6.

Set up in the database: a campaign in review with four accepted cases, a round
(two reviewers per case) with one panel of five experts, one of whom works for
the organisation of the first case (a conflict). In the browser: the
administrator runs the automatic assignment on the assign page, sees the
proposal, swaps one reviewer (the conflicted expert is offered but disabled),
confirms; each expert logs in and finds exactly their cases under /review/.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/assignment/ (git-ignored).
"""

import os
from collections import defaultdict
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from notifications.models import Notification, NotificationKind
from reviews.assignment.conflicts import conflict_reason
from reviews.models import Assignment, AssignmentStatus, Panel
from tests.factories import (
    PASSWORD,
    CountyFactory,
    FieldFactory,
    UserFactory,
    accepted_case_for_review,
    make_expert,
    make_open_round,
    reviewing_campaign,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "assignment"
TIMEOUT_MS = 15_000
TITLES = [
    "“最多跑一次”改革(分配浏览器测试)",
    "企业开办一件事(分配浏览器测试)",
    "基层治理四平台(分配浏览器测试)",
    "数字化改革驾驶舱(分配浏览器测试)",
]


@pytest.fixture
def scene(orm, live_server):
    campaign = reviewing_campaign(title="分配浏览器测试评选")
    field = FieldFactory(name="综合(分配浏览器)")
    home = CountyFactory(name="浏览器甲县")
    cases = [
        accepted_case_for_review(campaign, home if i == 0 else None, title=title, field=field)
        for i, title in enumerate(TITLES)
    ]
    experts = [
        make_expert(name="甲县专家", username="jia", affiliation=home),
        make_expert(name="钱专家", username="qian", affiliation=CountyFactory()),
        make_expert(name="孙专家", username="sun", affiliation=CountyFactory()),
        make_expert(name="李专家", username="li", institution="上海某大学"),
        make_expert(name="周专家", username="zhou", institution="南京某大学"),
    ]
    for expert in experts:
        expert.expert_profile.fields.set([field])
    panel = Panel.objects.create(campaign=campaign, name="综合组(分配)")
    panel.fields.set([field])
    panel.members.set(experts)
    round = make_open_round(campaign, cases=cases, k=2, panels=[panel])
    UserFactory(administrator=True, username="office", display_name="组织方小王")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {"url": live_server.url, "round": round, "cases": cases, "experts": experts}


def log_in(browser, base, username):
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("input[type=submit][value='登录']").click()
    return page


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def alerts(page):
    return " ".join(page.locator("main .alert").all_inner_texts())


def active_pairs(round):
    return set(
        Assignment.objects.filter(
            round=round, status__in=(AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED)
        ).values_list("case_id", "expert_id")
    )


def test_office_runs_swaps_confirms_and_experts_find_their_cases(browser, scene):
    base, round, cases, experts = scene["url"], scene["round"], scene["cases"], scene["experts"]
    conflicted = experts[0]

    # 1. The administrator opens the assign page of the round: nothing assigned yet.
    office = log_in(browser, base, "office")
    office.goto(f"{base}/manage/rounds/{round.pk}/assign/")
    assert office.locator("main").inner_text().count("尚未分配") == 4
    assert office.get_by_role("button", name="确认 0 项分配并通知专家").is_disabled()
    shot(office, "01-empty")

    # 2. Runs the automatic assignment.
    with office.expect_navigation():
        office.get_by_role("button", name="自动分配").click()
    text = alerts(office)
    assert "已生成分配方案:新增 8 项(保留已确认 0 项),避开 1 对回避关系" in text, text
    assert "专家负荷 1–2 件" in text, text
    assert office.locator("main").inner_text().count("(待确认)") == 8
    pairs = active_pairs(round)
    assert len(pairs) == 8
    assert (cases[0].pk, conflicted.pk) not in pairs
    # The load bars: one per expert, each showing 1 or 2.
    bars = office.locator("[role=progressbar]")
    assert bars.count() == 5
    assert sorted(int(bars.nth(i).get_attribute("aria-valuenow")) for i in range(5)) == [
        1,
        1,
        2,
        2,
        2,
    ]
    shot(office, "02-proposed")

    # 3. Swaps one reviewer of the first case on its own page. Its conflicted expert is offered but disabled.
    office.goto(f"{base}/manage/rounds/{round.pk}/assign/case/{cases[0].pk}/")
    card = office.locator(f"#case-{cases[0].pk}")
    card.locator("summary", has_text="换人").first.click()
    swap = card.locator("form[action$='/swap/']").first
    option = swap.locator(f"option[value='{conflicted.pk}']")
    assert option.is_disabled()
    assert "回避" in option.inner_text()
    on_case = {e for c, e in pairs if c == cases[0].pk}
    old_pk = int(swap.get_attribute("action").rstrip("/").split("/")[-2])
    old = Assignment.objects.get(pk=old_pk)
    target = next(e for e in experts[1:] if e.pk not in on_case)
    swap.locator("select[name=expert]").select_option(str(target.pk))
    shot(office, "03-swap")
    with office.expect_navigation():
        swap.get_by_role("button", name="换").click()
    assert f"已换为 {target}。" in alerts(office), alerts(office)
    pairs = active_pairs(round)
    assert (cases[0].pk, target.pk) in pairs
    assert (cases[0].pk, old.expert_id) not in pairs
    assert len(pairs) == 8

    # 4. Confirms on the round's page: every expert with a case is told once.
    office.goto(f"{base}/manage/rounds/{round.pk}/assign/")
    with office.expect_navigation():
        office.get_by_role("button", name="确认 8 项分配并通知专家").click()
    assert "已确认 8 项分配,并通知了相关专家。" in alerts(office), alerts(office)
    assert "(待确认)" not in office.locator("main").inner_text()
    shot(office, "04-confirmed")
    by_expert = defaultdict(set)
    for a in Assignment.objects.filter(round=round).select_related("case", "expert"):
        assert a.status == AssignmentStatus.CONFIRMED
        assert conflict_reason(a.expert, a.case) is None
        by_expert[a.expert.username].add(a.case.title)
    told = Notification.objects.filter(kind=NotificationKind.EXPERT_ASSIGNED)
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(by_expert)

    # 5. Each expert logs in and finds exactly their cases under /review/.
    for expert in experts:
        page = log_in(browser, base, expert.username)
        page.goto(f"{base}/review/")
        workspace = page.locator("main").inner_text()
        mine = by_expert.get(expert.username, set())
        for title in TITLES:
            assert (title in workspace) == (title in mine), (expert.username, title)
        if expert.pk == target.pk:
            assert TITLES[0] in workspace
            shot(page, f"05-workspace-{expert.username}")
        page.context.close()
    office.context.close()
