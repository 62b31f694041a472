"""The locality's submission and the expert's scoring, with the keyboard alone.

No clicks: every field, button and link is reached with Tab (or Shift+Tab) from where the
focus is, filled by typing, a <select> changed with the arrow keys, a button pressed with
Enter or Space, and the file of an upload chosen in the file chooser that Space opens on
the file field. Each control reached must show where the focus is (an outline or a ring),
and none may need more Tab presses than a page has controls (a trap or a control left out
of the tab order would fail). Confirmations (static/js/confirm.js) are answered "OK", as
Enter would.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere it
is skipped.
"""

import os
import re

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from reform_cases.models import AttachmentKind, Case, CaseStatus
from reviews.models import Pledge, Review, ReviewStatus
from tests.factories import (
    PASSWORD,
    PDF,
    CountyFactory,
    FieldFactory,
    TierFactory,
    UserFactory,
    accepted_case_for_review,
    confirmed,
    make_expert,
    make_open_round,
    make_rubric,
    open_campaign,
    reviewing_campaign,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine_neutral]

TIMEOUT_MS = 15_000
MAX_TABS = 80  # more controls than any of these pages has

IS_FOCUSED = "s => !!document.activeElement && document.activeElement.matches(s)"
FOCUS_SHOWN = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {ring: outline || style.boxShadow !== "none", seen: box.width > 0 && box.height > 0,
          what: el.outerHTML.slice(0, 120)};
}"""
SELECTED_TEXT = "() => document.activeElement.selectedOptions[0]?.textContent.trim() ?? ''"


class Keyboard:
    """A page driven by keys only; dialogs (confirmations) are accepted and recorded."""

    def __init__(self, browser, base):
        self.context = browser.new_context(locale="zh-CN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = base
        self.dialogs = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.accept()

    def open(self, path):
        """Type an address: the only way in that is not a key press on the page."""
        self.page.goto(f"{self.base}{path}")

    def tab_to(self, selector, *, backwards=False):
        """Press Tab (Shift+Tab) until `selector` has the focus, which must be visible."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TABS):
            self.page.keyboard.press(key)
            if self.page.evaluate(IS_FOCUSED, selector):
                shown = self.page.evaluate(FOCUS_SHOWN)
                assert shown["ring"] and shown["seen"], f"focus not visible on {shown['what']}"
                return
        raise AssertionError(f"{selector} not reached with {MAX_TABS} × {key} on {self.page.url}")

    def type_into(self, selector, text):
        self.tab_to(selector)
        self.page.keyboard.type(text)

    def choose(self, selector, label):
        """Move a focused <select> with the arrow keys until `label` is selected."""
        self.tab_to(selector)
        for _ in range(MAX_TABS):
            if self.page.evaluate(SELECTED_TEXT) == label:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{label!r} not reached in {selector}")

    def choose_file(self, path):
        """Space on the focused file field opens the chooser, where the file is picked.

        On a loaded machine Chromium now and then drops the first activation of a file
        field, so a press that opens nothing within a few seconds is repeated (twice at most).
        """
        timeout_error = pytest.importorskip("playwright.sync_api").TimeoutError
        for attempt in range(3):
            assert self.page.evaluate(IS_FOCUSED, "input[type=file]")
            try:
                with self.page.expect_file_chooser(timeout=5_000) as chooser:
                    self.page.keyboard.press("Space")
            except timeout_error:
                if attempt == 2:
                    raise
            else:
                chooser.value.set_files(str(path))
                return

    def press(self, selector, key="Enter"):
        """Reach a button and press it; waits for the page it leads to."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def alerts(self):
        return " ".join(self.page.locator(".alert").all_inner_texts())

    def log_in(self, username, next_path):
        self.open(f"/accounts/login/?next={next_path}")
        self.type_into("#id_username", username)
        self.type_into("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")  # implicit submission from the password field
        assert self.page.url == f"{self.base}{next_path}", self.page.url


@pytest.fixture
def base(live_server, orm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return live_server.url


def test_a_locality_writes_saves_uploads_and_submits_with_the_keyboard(browser, base, tmp_path):
    county = CountyFactory(name="键盘县")
    UserFactory(username="keyboard-county", locality=True, organisation=county)
    field = FieldFactory(name="营商环境(键盘)")
    open_campaign(
        title="键盘测试评选", required_attachment_kinds=[str(AttachmentKind.APPLICATION_FORM)]
    )
    document = tmp_path / "申报书.pdf"
    document.write_bytes(PDF)
    keys = Keyboard(browser, base)
    keys.log_in("keyboard-county", "/cases/new/")

    keys.type_into("#id_title", "键盘填写的案例")
    keys.choose("#id_field", field.name)
    for name in ("summary", "background", "measures", "results", "innovation", "replicability"):
        keys.type_into(f"#id_{name}", f"{name} 的内容,只用键盘输入。")
    keys.type_into("#id_contact_name", "王五")
    keys.type_into("#id_contact_phone", "0571-12345678")
    keys.press("button[name=save]")
    assert "草稿已保存" in keys.alerts(), keys.alerts()
    assert re.search(r"/cases/mine/\d+/edit/$", keys.page.url), keys.page.url
    case = Case.objects.get(title="键盘填写的案例")
    assert case.status == CaseStatus.DRAFT and case.field == field

    # The attachment: its kind with the arrows, the file through the chooser Space opens.
    keys.choose("select[name=kind]", str(AttachmentKind.APPLICATION_FORM.label))
    keys.tab_to("input[type=file][name=file]")
    keys.choose_file(document)
    keys.press("button[name=upload]")
    assert "附件已上传" in keys.alerts(), keys.alerts()
    assert case.attachments.count() == 1

    # After the upload the page opens again at its top: Tab on to the submit button.
    keys.press("button[name=submit]")
    assert "案例已提交" in keys.alerts(), keys.alerts()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.summary == "summary 的内容,只用键盘输入。"


def test_an_expert_pledges_scores_and_submits_with_the_keyboard(browser, base):
    campaign = reviewing_campaign()
    criteria = make_rubric(campaign)
    TierFactory(campaign=campaign, name="最佳实践案例")
    case = accepted_case_for_review(campaign, title="键盘评审的案例")
    review_round = make_open_round(campaign, cases=[case])
    expert = make_expert(name="键盘专家")
    assignment = confirmed(review_round, case, expert)
    keys = Keyboard(browser, base)
    keys.log_in(expert.username, "/review/")

    # A new expert is told to sign the pledge first; its link, the box (Space), the button.
    keys.press(f"a[href^='/review/rounds/{review_round.pk}/pledge/']")
    keys.tab_to("#agree")
    keys.page.keyboard.press("Space")
    assert keys.page.is_checked("#agree")
    keys.press("form:has(#agree) button")
    assert Pledge.objects.filter(round=review_round, expert=expert).exists()

    # The case from the workspace list, then every score, the comment, the tier.
    if "/review/" + str(assignment.pk) not in keys.page.url:
        keys.press(f"a[href$='/review/{assignment.pk}/']")
    assert keys.page.url.endswith(f"/review/{assignment.pk}/"), keys.page.url
    for criterion in criteria:
        keys.type_into(f"#score_{criterion.pk}", str(int(criterion.max_score) - 2))
    keys.type_into("#overall_comment", "做法扎实,成效有数据支撑。")
    keys.choose("#recommended_tier", "最佳实践案例")
    keys.press("button[name=submit]")  # asks first; answered OK

    assert keys.dialogs == ["提交后不能再修改,确定提交吗?"]
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.overall_comment == "做法扎实,成效有数据支撑。"
    assert review.recommended_tier.name == "最佳实践案例"
