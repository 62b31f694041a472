"""Nothing typed is ever lost (issue 16), in a real Chromium: the upload that keeps the typed
text, autosave (its note, a second tab's conflict, the closed window) and the warning before
leaving a page with unsaved changes.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere it is
skipped.
"""

import os
from datetime import timedelta
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import timezone

from accounts.models import Role
from reform_cases.models import Campaign, Case
from tests.factories import PASSWORD, PDF, CountyFactory, UserFactory, draft_case, open_campaign

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "autosave"
WAIT_MS = 10_000


@pytest.fixture
def scene(orm, live_server, settings, tmp_path):
    """An open campaign, a county's draft, two users of that county; a PDF on disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    county = CountyFactory(name="自动保存县(浏览器)")
    campaign = open_campaign(title="自动保存测试评选")
    draft = draft_case(campaign, county, title="自动保存的案例", summary="最初的简介。")
    for username in ("county", "county2"):
        UserFactory(username=username, role=Role.LOCALITY, organisation=county)
    document = tmp_path / "佐证材料.pdf"
    document.write_bytes(PDF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {"url": live_server.url, "campaign": campaign, "draft": draft, "pdf": document}


def _edit_page(browser, scene, username="county", *, fake_clock=False):
    base, draft = scene["url"], scene["draft"]
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    if fake_clock:  # the page's Date and timers, which the test may move forward
        page.clock.install()
    page.goto(f"{base}/accounts/login/?next=/cases/mine/{draft.pk}/edit/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{base}/cases/mine/{draft.pk}/edit/")
    return page


def _type(page, selector, text):
    """Type as a person does (real key events: the page counts as used, for beforeunload)."""
    page.click(selector)
    page.keyboard.press("End")
    page.keyboard.type(text)


def _note(page):
    return page.locator("#autosave-status")


def _stored(scene) -> Case:
    return Case.objects.get(pk=scene["draft"].pk)


def _wait_for_note(page, text):
    page.wait_for_function(
        "text => document.getElementById('autosave-status').textContent.includes(text)",
        arg=text,
        timeout=WAIT_MS,
    )


def test_uploading_a_file_keeps_and_saves_the_text_typed_before(browser, scene):
    page = _edit_page(browser, scene)
    page.fill("#id_measures", "上传前写好的做法,还没有点保存。")
    page.fill("#id_results", "上传前写好的成效。")
    page.select_option("select[name=kind]", label="佐证材料")
    page.set_input_files("input[name=file]", str(scene["pdf"]))
    with page.expect_navigation():
        page.click("button[name=upload]")

    assert "附件已上传" in " ".join(page.locator(".alert").all_inner_texts())
    assert page.input_value("#id_measures") == "上传前写好的做法,还没有点保存。"
    assert page.input_value("#id_results") == "上传前写好的成效。"
    assert page.locator("text=佐证材料.pdf").count() == 1
    page.screenshot(path=str(ARTIFACTS / "01-uploaded-with-text.png"), full_page=True)
    case = _stored(scene)
    assert (case.measures, case.results) == (
        "上传前写好的做法,还没有点保存。",
        "上传前写好的成效。",
    )
    assert [a.original_name for a in case.attachments.all()] == ["佐证材料.pdf"]


def test_autosave_on_leaving_a_field_and_a_second_tabs_conflict(browser, scene):
    first = _edit_page(browser, scene)
    second = _edit_page(browser, scene, "county2")  # another window, drawn from version 1

    _type(first, "#id_summary", "甲自动保存的内容。")
    first.keyboard.press("Tab")  # leaving the field saves
    _wait_for_note(first, "已自动保存")
    assert first.locator("#autosave-status[aria-live=polite]").count() == 1
    assert _stored(scene).summary == "最初的简介。甲自动保存的内容。"
    assert first.input_value("input[name=edit_version]") == "2"

    # The same tab goes on typing: its own saves never conflict.
    _type(first, "#id_background", "甲接着写的背景。")
    first.keyboard.press("Tab")
    first.wait_for_function(
        "() => document.querySelector('input[name=edit_version]').value === '3'",
        timeout=WAIT_MS,
    )
    assert "已自动保存" in _note(first).inner_text()
    first.screenshot(path=str(ARTIFACTS / "02-autosaved.png"), full_page=True)

    # A reload shows what was autosaved.
    first.reload()
    assert first.input_value("#id_summary") == "最初的简介。甲自动保存的内容。"
    assert first.input_value("#id_background") == "甲接着写的背景。"

    # The second window still holds version 1: its autosave stops and says why.
    _type(second, "#id_summary", "乙在另一个窗口写的。")
    second.keyboard.press("Tab")
    _wait_for_note(second, "另一窗口")
    note = _note(second).inner_text()
    assert "自动保存已停止" in note and "保存草稿" in note
    second.screenshot(path=str(ARTIFACTS / "03-conflict-note.png"), full_page=True)
    case = _stored(scene)
    assert (case.summary, case.edit_version) == ("最初的简介。甲自动保存的内容。", 3)
    # Typing on does not send again; what was typed is still on the page.
    _type(second, "#id_results", "乙写的成效。")
    second.keyboard.press("Tab")
    second.wait_for_timeout(500)
    assert _stored(scene).results == ""
    assert second.input_value("#id_summary") == "最初的简介。乙在另一个窗口写的。"

    # A normal save shows both texts, side by side, to choose from.
    second.on("dialog", lambda dialog: dialog.accept())
    with second.expect_navigation():
        second.click("button[name=save]")
    conflict = second.locator("#draft-conflict").inner_text()
    assert "甲自动保存的内容。" in conflict and "乙在另一个窗口写的。" in conflict


def test_autosave_stops_when_the_window_has_closed(browser, scene):
    page = _edit_page(browser, scene)
    Campaign.objects.filter(pk=scene["campaign"].pk).update(
        submission_closes_at=timezone.now() - timedelta(minutes=1)
    )
    _type(page, "#id_summary", "截止以后写的。")
    page.keyboard.press("Tab")
    _wait_for_note(page, "自动保存已停止")
    assert "申报截止时间" in _note(page).inner_text()
    assert _stored(scene).summary == "最初的简介。"
    assert page.input_value("#id_summary") == "最初的简介。截止以后写的。"


def test_the_page_warns_before_leaving_only_with_unsaved_changes(browser, scene):
    page = _edit_page(browser, scene)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    elsewhere = f"{scene['url']}/cases/mine/"
    edit = page.url

    # Nothing changed: leaving asks nothing.
    page.goto(elsewhere)
    assert dialogs == []

    # Typed and not saved: leaving asks first.
    page.goto(edit)
    _type(page, "#id_innovation", "还没保存的创新点。")
    page.goto(elsewhere)
    assert dialogs == ["beforeunload"]

    # Saving with the form's own button does not ask.
    page.goto(edit)
    _type(page, "#id_innovation", "这次点了保存。")
    with page.expect_navigation():
        page.click("button[name=save]")
    assert dialogs == ["beforeunload"]
    assert _stored(scene).innovation == "这次点了保存。"

    # Typed, then autosaved: nothing is unsaved any more.
    _type(page, "#id_replicability", "自动保存过的推广价值。")
    page.keyboard.press("Tab")
    _wait_for_note(page, "已自动保存")
    page.goto(elsewhere)
    assert dialogs == ["beforeunload"]
    assert _stored(scene).replicability == "自动保存过的推广价值。"

    # A chosen file not yet uploaded counts as unsaved.
    page.goto(edit)
    page.click("#id_kind")  # a real gesture on the page
    page.set_input_files("input[name=file]", str(scene["pdf"]))
    page.goto(elsewhere)
    assert dialogs == ["beforeunload", "beforeunload"]


RUN_AXE_ON_FORM = (
    "axe.run({include: [['#case-form']]}, {resultTypes: ['violations']})"
    ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')))"
)


def test_the_edit_forms_new_parts_pass_axe(browser, scene, tmp_path):
    """The upload inside the form, its error and the autosave note: no serious violation."""
    from axe_playwright_python.sync_playwright import Axe

    page = _edit_page(browser, scene)
    page.context.add_init_script(Axe().axe_script)
    page.reload()
    _type(page, "#id_summary", "给无障碍检查写的。")
    page.keyboard.press("Tab")
    _wait_for_note(page, "已自动保存")
    assert page.evaluate(RUN_AXE_ON_FORM) == []

    not_a_pdf = tmp_path / "扫描件.pdf"
    not_a_pdf.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.set_input_files("input[name=file]", str(not_a_pdf))
    with page.expect_navigation():
        page.click("button[name=upload]")
    assert "与扩展名不符" in page.locator("#case-form").inner_text()
    assert page.input_value("#id_summary") == "最初的简介。给无障碍检查写的。"
    assert page.evaluate(RUN_AXE_ON_FORM) == []


def test_a_lost_connection_shows_a_note_and_the_next_try_saves(browser, scene):
    page = _edit_page(browser, scene)
    autosave = f"**/cases/mine/{scene['draft'].pk}/autosave/"
    page.route(autosave, lambda route: route.abort())
    _type(page, "#id_summary", "断网时写的。")
    page.keyboard.press("Tab")
    _wait_for_note(page, "网络问题")
    assert _stored(scene).summary == "最初的简介。"
    assert page.input_value("#id_summary") == "最初的简介。断网时写的。"

    # An answer that is not JSON (a proxy's error page) is a failure to retry, not a stop.
    page.unroute(autosave)
    page.route(autosave, lambda route: route.fulfill(status=502, body="<html>Bad gateway</html>"))
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    _wait_for_note(page, "自动保存失败,稍后自动重试")

    page.unroute(autosave)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # leaving a field again: the unsaved text is sent again
    _wait_for_note(page, "已自动保存")
    assert _stored(scene).summary == "最初的简介。断网时写的。"


def test_the_page_itself_stops_autosaving_at_the_deadline(browser, scene):
    closes = timezone.now() + timedelta(seconds=20)  # time enough to log in and open the page
    Campaign.objects.filter(pk=scene["campaign"].pk).update(submission_closes_at=closes)
    page = _edit_page(browser, scene, fake_clock=True)
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "autosave" in request.url else 0)
    # The page's clock passes the deadline (the server's has not: only the page can stop it).
    page.clock.fast_forward(int((closes - timezone.now()).total_seconds() * 1000) + 1000)
    _type(page, "#id_summary", "截止那一刻写的。")
    page.keyboard.press("Tab")
    _wait_for_note(page, "已过,自动保存已停止")
    assert sent == []  # the page knew: nothing was sent
    assert page.input_value("#id_summary") == "最初的简介。截止那一刻写的。"
