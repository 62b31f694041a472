"""Two-factor log-in in a real Chromium (Playwright), with the staff policy on.

An administrator logs in with the password, is sent to enrolment, reads the
secret from the page as an authenticator app would from the QR code, confirms
with the app's code, sees the ten recovery codes once, logs out, and logs in
again with the password and a fresh code.

Run by `make test` with REQUIRE_BROWSER=1; elsewhere skipped when Chromium is
missing. Screenshots land in artifacts/ (git-ignored).
"""

import os
import re
from base64 import b32decode
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountEventKind
from tests.factories import PASSWORD, UserFactory
from tests.helpers import totp_code

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture
def site(live_server, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True  # the live server thread reads the same settings
    admin = UserFactory(administrator=True, username="office-2fa", display_name="组织方小李")
    return {"url": live_server.url, "admin": admin}


def submit(page, label):
    page.locator(f"input[type=submit][value='{label}']").click()
    page.wait_for_load_state()


def log_in_with_password(page, base, username):
    page.goto(f"{base}/accounts/login/?next=/manage/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page, "登录")


def test_administrator_enrols_and_logs_in_with_a_code(browser, orm, site):
    ARTIFACTS.mkdir(exist_ok=True)
    base, admin = site["url"], site["admin"]
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    # 1. The password is right, but staff must enrol before anything else.
    log_in_with_password(page, base, admin.username)
    page.wait_for_url(re.compile(r".*/accounts/two-factor/\?next=%2Fmanage%2F$"))
    main = page.locator("main")
    assert "组织方账户必须启用两步验证" in main.inner_text()
    assert page.locator("#two-factor-qr svg").is_visible()
    page.screenshot(path=str(ARTIFACTS / "two-factor-enrol.png"), full_page=True)
    page.goto(f"{base}/manage/")  # any other page sends the user back
    page.wait_for_url(re.compile(r".*/accounts/two-factor/\?next=%2Fmanage%2F$"))

    # 2. The "app" reads the secret and shows a code; a wrong code is refused first.
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    key = b32decode(secret).hex()
    page.fill("#id_code", "000000" if totp_code(key) != "000000" else "111111")
    submit(page, "确认启用")
    assert "验证码不正确" in main.inner_text()
    assert not TOTPDevice.objects.filter(user=admin).exists()
    page.fill("#id_code", totp_code(key))
    submit(page, "确认启用")
    assert "两步验证已启用" in main.inner_text()
    shown = page.locator("#recovery-code-list li").all_inner_texts()
    assert len(shown) == 10
    assert set(shown) == set(
        StaticToken.objects.filter(device__user=admin).values_list("token", flat=True)
    )
    assert admin.account_events.filter(kind=AccountEventKind.TWO_FACTOR_ENABLED).exists()
    page.screenshot(path=str(ARTIFACTS / "two-factor-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="我已保存,继续").click()
    page.wait_for_url(f"{base}/manage/")

    # 3. Log out, then log in again: the password, then a fresh code from the app.
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    log_in_with_password(page, base, admin.username)
    page.wait_for_url(f"{base}/accounts/login/code/")
    assert "6 位数字" in main.inner_text()
    page.screenshot(path=str(ARTIFACTS / "two-factor-code-step.png"), full_page=True)
    # The enrolment code's time step is used up; the app's next code is within tolerance.
    page.fill("#id_code", totp_code(key, steps_ahead=1))
    submit(page, "验证")
    page.wait_for_url(f"{base}/manage/")
    assert "组织方小李" in page.locator(".navbar").inner_text()
    page.goto(f"{base}/admin/")
    assert page.url == f"{base}/admin/"  # the Django admin opens for the verified session
    context.close()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
