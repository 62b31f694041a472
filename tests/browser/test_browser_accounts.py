"""The accounts and campaign journey in a real Chromium (Playwright).

An administrator logs in, imports three accounts from a CSV file and confirms
the preview; one invitee opens the link of the invitation (taken from the
e-mail), sets a password and logs in; the administrator creates a campaign
whose window is open now, opens it, and the public call page shows it.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import csv
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import timezone

from accounts.models import Role, User
from notifications.models import Notification, NotificationKind
from reform_cases.models import Campaign, CampaignStatus, CampaignStatusChange
from tests.factories import PASSWORD, CityFactory, CountyFactory, UserFactory
from tests.helpers import mailed_link

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TIMEOUT_MS = 15_000
INVITEE_PASSWORD = "Xihu-Lake-Spring-2024"
YEAR = 2098
TITLE = f"{YEAR}年度浙江省改革创新实践案例(浏览器测试)"


@pytest.fixture
def site(live_server):
    """The live server's URL, with an administrator and two units in its database."""
    admin = UserFactory(administrator=True, username="office", display_name="组织方小王")
    city = CityFactory(name="浏览器测试市")
    CountyFactory(name="浏览器测试县", parent=city)
    CountyFactory(name="浏览器测试区", parent=city)
    return {"url": live_server.url, "admin": admin}


def write_accounts_csv(path: Path) -> Path:
    rows = [
        ["name", "email", "phone", "role", "organisation", "city", "username"],
        ["周申报", "zhou@example.org", "13800138001", "locality", "浏览器测试县", "浏览器测试市", ""],
        ["吴申报", "wu@example.org", "", "申报单位", "浏览器测试区", "浏览器测试市", ""],
        ["郑专家", "zheng@example.org", "13900139002", "expert", "", "", ""],
    ]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


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


def test_import_invite_log_in_and_open_a_campaign(browser, site, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    base = site["url"]
    office = browser.new_context()
    office.set_default_timeout(TIMEOUT_MS)
    page = office.new_page()

    # 1. The administrator logs in through the form.
    log_in(page, base, "office", PASSWORD)
    assert "组织方小王" in page.locator(".navbar").inner_text()

    # 2. Imports three accounts: upload, preview, confirm.
    page.goto(f"{base}/manage/accounts/import/")
    page.set_input_files("input[name=file]", str(write_accounts_csv(tmp_path / "accounts.csv")))
    page.locator("input[type=submit][value='预览']").click()
    page.wait_for_load_state()
    preview = page.locator("main").inner_text()
    assert "将创建 3 个账户" in preview, preview
    assert "周申报" in preview and "吴申报" in preview and "郑专家" in preview
    assert User.objects.filter(role__in=[Role.LOCALITY, Role.EXPERT]).count() == 0
    shot(page, "accounts-import-preview.png")
    page.get_by_role("button", name="确认创建并发送邀请").click()
    page.wait_for_url(f"{base}/manage/accounts/")
    assert "已创建 3 个账户" in page.locator("main").inner_text()
    shot(page, "accounts-list.png")
    invitees = User.objects.filter(
        email__in=["zhou@example.org", "wu@example.org", "zheng@example.org"]
    )
    assert invitees.count() == 3
    assert Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITATION).count() == 3

    # 3. One invitee opens the link from the e-mail, sets a password and logs in.
    zhou = User.objects.get(email="zhou@example.org")
    link = mailed_link(zhou.email, "/accounts/invitation/")  # only the e-mail holds the token
    invitee = browser.new_context()
    invitee.set_default_timeout(TIMEOUT_MS)
    ipage = invitee.new_page()
    ipage.goto(base + urlsplit(link).path)
    assert "周申报" in ipage.locator("main").inner_text()
    ipage.fill("#id_new_password1", INVITEE_PASSWORD)
    ipage.fill("#id_new_password2", INVITEE_PASSWORD)
    shot(ipage, "invitation-set-password.png")
    ipage.locator("input[type=submit][value='设置密码']").click()
    ipage.wait_for_url(re.compile(r".*/accounts/login/$"))
    assert "密码已设置" in ipage.locator("main").inner_text()
    log_in(ipage, base, "zhou@example.org", INVITEE_PASSWORD)
    assert "周申报" in ipage.locator(".navbar").inner_text()
    shot(ipage, "invitee-logged-in.png")
    # The link worked once.
    ipage.goto(base + urlsplit(link).path)
    assert "邀请链接无效" in ipage.locator("main").inner_text()
    invitee.close()

    # 4. The administrator creates a campaign whose window is open now, with one tier.
    now = timezone.now()
    page.goto(f"{base}/manage/campaigns/new/")
    page.fill("#id_year", str(YEAR))
    page.fill("#id_title", TITLE)
    page.fill("#id_submission_opens_at", shanghai(now - timedelta(days=1)))
    page.fill("#id_submission_closes_at", shanghai(now + timedelta(days=30)))
    page.fill("#id_call_for_entries", "## 申报要求\n\n请各地**按时**申报。")
    page.fill("#id_tiers-0-order", "1")
    page.fill("#id_tiers-0-code", "best")
    page.fill("#id_tiers-0-name", "最佳实践案例")
    page.fill("#id_tiers-0-quota", "10")
    shot(page, "campaign-form.png")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/manage/campaigns/\d+/$"))
    campaign = Campaign.objects.get(year=YEAR, is_demo=False)
    assert campaign.status == CampaignStatus.DRAFT
    assert list(campaign.tiers.values_list("code", "quota")) == [("best", 10)]

    # 5. ... and opens it from the campaign page.
    page.get_by_role("button", name="进入“征集中”").click()
    page.wait_for_load_state()
    assert "状态已变更为“征集中”" in page.locator("main").inner_text()
    shot(page, "campaign-opened.png")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    assert CampaignStatusChange.objects.filter(
        campaign=campaign, to_status=CampaignStatus.OPEN, actor=site["admin"]
    ).exists()
    office.close()

    # 6. The public call page shows it, and the home page links to it.
    public = browser.new_page()
    public.set_default_timeout(TIMEOUT_MS)
    public.goto(f"{base}/")
    public.get_by_role("link", name="查看申报通知").click()
    public.wait_for_url(f"{base}/calls/{YEAR}/")
    body = public.locator("main")
    assert TITLE in body.locator("h1").inner_text()
    assert "按时" in body.locator("article strong").inner_text()
    assert "最佳实践案例" in body.inner_text()
    shot(public, "call-for-entries.png")
    public.close()
