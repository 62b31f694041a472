"""Under the Content-Security-Policy the confirmations still ask, in a real Chromium.

The withdraw (locality) and submit (expert) buttons ask for a confirmation through
static/js/confirm.js (data-confirm), the lock (office) on a page of its own, and "select all" on the formal check ticks
every case (static/js/forms.js). Cancelling changes nothing; confirming goes ahead. On
none of those pages does the browser report a Content-Security-Policy violation.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere it
is skipped.
"""

import os

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.conf import settings
from django.test import Client

from reform_cases.models import Campaign, CampaignStatus, Case, CaseStatus
from reviews.models import Review, ReviewStatus
from tests.factories import (
    CountyFactory,
    UserFactory,
    accepted_case_for_ranking,
    add_reviews,
    draft_case,
    make_closed_round,
    make_desk,
    open_campaign,
    ranking_campaign,
    ranking_entry,
    submitted_case,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine_neutral]

TIMEOUT_MS = 15_000

# Every violation of the policy, as the page itself sees it (the console message may vary).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Watched:
    """A page whose dialogs, console errors and CSP violations are recorded."""

    def __init__(self, browser, base, user):
        self.context = browser.new_context()
        self.context.set_default_timeout(TIMEOUT_MS)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
        )
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.base = base
        self.dialogs, self.console_errors = [], []
        self.answer = "dismiss"
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))

    def _dialog(self, dialog):
        self.dialogs.append((dialog.type, dialog.message))
        dialog.accept() if self.answer == "accept" else dialog.dismiss()

    def _console(self, message):
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def goto(self, path):
        response = self.page.goto(f"{self.base}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]

    def violations(self):
        return self.page.evaluate("window.__cspViolations") + [
            text for text in self.console_errors if "Content Security Policy" in text
        ]

    def assert_clean(self):
        assert self.violations() == [], self.violations()
        assert self.console_errors == [], self.console_errors


@pytest.fixture
def base(live_server):
    return live_server.url


def test_the_policy_is_enforced_so_a_violation_would_be_seen(browser, base, orm):
    """The watcher is not blind: an inline handler added to a page is refused and reported."""
    watched = Watched(browser, base, UserFactory(administrator=True))
    watched.goto("/")
    watched.page.evaluate(
        "document.body.setAttribute('onclick', 'window.__ran = true'); document.body.click()"
    )
    assert watched.page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in watched.violations()), watched.violations()


def test_withdraw_asks_first(browser, base, orm):
    organisation = CountyFactory()
    locality = UserFactory(locality=True, organisation=organisation)
    case = draft_case(open_campaign(), organisation, title="撤回确认测试案例")
    watched = Watched(browser, base, locality)
    watched.goto(f"/cases/mine/{case.pk}/")

    watched.page.click("button:has-text('撤回')")  # cancelled: nothing happens
    watched.page.wait_for_timeout(300)
    assert watched.dialogs == [("confirm", "确定撤回这个案例吗?撤回后不能再提交。")]
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    watched.answer = "accept"
    with watched.page.expect_navigation():
        watched.page.click("button:has-text('撤回')")
    assert len(watched.dialogs) == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    watched.assert_clean()


def test_submitting_scores_asks_first_and_saving_a_draft_does_not(browser, base, orm):
    desk = make_desk()
    watched = Watched(browser, base, desk.expert)
    watched.goto(f"/review/{desk.assignment.pk}/")
    for criterion, value in zip(desk.criteria, ["20", "15", "10"], strict=True):
        watched.page.fill(f"#score_{criterion.pk}", value)
    watched.page.fill("#overall_comment", "做法扎实,成效有数据支撑。")

    with watched.page.expect_navigation():
        watched.page.click("button[name=save]")  # no confirmation for a draft
    assert watched.dialogs == []

    watched.page.click("button[name=submit]")  # cancelled: still a draft
    watched.page.wait_for_timeout(300)
    assert watched.dialogs == [("confirm", "提交后不能再修改,确定提交吗?")]
    assert Review.objects.get(assignment=desk.assignment).status == ReviewStatus.DRAFT

    watched.answer = "accept"
    with watched.page.expect_navigation():
        watched.page.click("button[name=submit]")
    assert Review.objects.get(assignment=desk.assignment).status == ReviewStatus.SUBMITTED
    watched.assert_clean()


def test_locking_the_ranking_asks_first_on_its_own_page(browser, base, orm):
    """The lock asks on a confirmation page (numbers per tier), with no script dialog."""
    campaign = ranking_campaign()
    cases = [accepted_case_for_ranking(campaign, f"锁定确认测试案例{i}") for i in range(3)]
    review_round = make_closed_round(campaign, cases=cases)
    add_reviews(review_round, {case: [80 - 5 * i] * 3 for i, case in enumerate(cases)})
    for rank, case in enumerate(cases, start=1):
        ranking_entry(
            review_round, case, campaign.best if rank < 3 else campaign.excellent, rank=rank
        )
    watched = Watched(browser, base, UserFactory(administrator=True))
    watched.goto(f"/manage/rounds/{review_round.pk}/ranking/")

    with watched.page.expect_navigation():
        watched.page.click("a:has-text('锁定排名')")
    assert "进入“结果锁定”阶段" in watched.page.inner_text("main")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RANKING
    with watched.page.expect_navigation():
        watched.page.click("a:has-text('取消,返回排名')")  # cancelled: still being ranked
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RANKING

    watched.goto(f"/manage/rounds/{review_round.pk}/ranking/lock/")
    watched.page.focus("#lock-note")
    watched.page.keyboard.type("会议确认")
    watched.page.keyboard.press("Tab")  # the keyboard reaches the button next
    with watched.page.expect_navigation():
        watched.page.keyboard.press("Enter")
    assert watched.dialogs == []
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.LOCKED
    watched.assert_clean()


def test_select_all_ticks_every_submitted_case(browser, base, orm):
    organisation = CountyFactory()
    locality = UserFactory(locality=True, organisation=organisation)
    campaign = open_campaign()
    for _ in range(3):
        submitted_case(campaign, organisation, locality)
    watched = Watched(browser, base, UserFactory(administrator=True))
    watched.goto(f"/manage/campaigns/{campaign.pk}/cases/")
    boxes = watched.page.locator("input[name=cases]")
    assert boxes.count() == 3 == Case.objects.filter(status=CaseStatus.SUBMITTED).count()

    watched.page.check("input[data-select-all]")
    assert all(boxes.nth(i).is_checked() for i in range(3))
    watched.page.uncheck("input[data-select-all]")
    assert not any(boxes.nth(i).is_checked() for i in range(3))
    watched.assert_clean()
