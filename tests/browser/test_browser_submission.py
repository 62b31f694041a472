"""The submission journey in a real Chromium (Playwright): write, attach, submit, return,
revise, resubmit, accept.

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import os
import re
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from accounts.models import Role
from reform_cases.models import Case, CaseEventKind, CaseStatus
from tests.factories import (
    PASSWORD,
    PDF,
    CityFactory,
    CountyFactory,
    FieldFactory,
    UserFactory,
    open_campaign,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "submission"
REASON = "推荐函未加盖公章,请补充成效数据。"
TITLE = "企业开办“一件事”全程网办"


@pytest.fixture
def scene(orm, live_server, settings, tmp_path):
    """An open campaign, a county's user, a partner unit, an administrator; a PDF on disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    city = CityFactory(name="测试市(浏览器)")
    county = CountyFactory(name="测试县(浏览器)", parent=city)
    partner = CountyFactory(name="合作县(浏览器)", parent=city)
    field = FieldFactory(name="营商环境(浏览器)")
    campaign = open_campaign(title="浏览器测试评选")
    locality = UserFactory(
        username="county", role=Role.LOCALITY, organisation=county, display_name="县改革办"
    )
    admin = UserFactory(username="office", role=Role.ADMINISTRATOR, display_name="组织方")
    document = tmp_path / "申报书.pdf"
    document.write_bytes(PDF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {
        "url": live_server.url,
        "campaign": campaign,
        "field": field,
        "partner": partner,
        "locality": locality,
        "admin": admin,
        "pdf": document,
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


def _upload(page, kind_label, path):
    form = page.locator("form[enctype='multipart/form-data']")
    form.locator("select[name=kind]").select_option(label=kind_label)
    form.locator("input[name=file]").set_input_files(str(path))
    with page.expect_navigation():
        form.locator("button[name=upload]").click()  # sends the typed text too
    assert "附件已上传" in _alerts(page), _alerts(page)


def test_locality_submits_and_the_office_checks(browser, scene):
    base = scene["url"]

    # The locality logs in through the form and writes a case.
    county = _log_in(browser, base, "county", "/cases/new/")
    assert "浏览器测试评选" in county.locator("main").inner_text()
    county.fill("#id_title", TITLE)
    county.select_option("#id_field", label=scene["field"].name)
    search = county.locator("input[type=search]")
    search.fill("合作县")
    assert county.locator("#id_co_organisations option:not([hidden])").count() == 1
    county.select_option("#id_co_organisations", label=f"测试市(浏览器) · {scene['partner'].name}")
    sections = {
        "summary": "企业开办从 5 个环节压缩为 1 个环节。",
        "background": "企业开办环节多、材料多。",
        "measures": "一网通办、一窗通取。",
        "results": "开办时间压缩至 1 个工作日。",
        "innovation": "电子营业执照与印章同步发放。",
        "replicability": "已在全市推广。",
    }
    for name, text in sections.items():
        county.fill(f"#id_{name}", text)
    counter = county.locator("#id_summary + .char-counter")
    assert counter.inner_text() == f"{len(sections['summary'])} / 500"
    county.fill("#id_contact_name", "李四")
    county.fill("#id_contact_phone", "0571-87654321")
    _shot(county, "01-locality-writes")
    with county.expect_navigation():
        county.click("button[name=save]")
    assert re.search(r"/cases/mine/\d+/edit/$", county.url), county.url
    assert "草稿已保存" in _alerts(county)
    case = Case.objects.get(title=TITLE)
    assert case.status == CaseStatus.DRAFT
    assert list(case.co_organisations.all()) == [scene["partner"]]

    # Attach the PDF as each required kind, then submit.
    _upload(county, "申报书", scene["pdf"])
    _upload(county, "推荐函(加盖公章)", scene["pdf"])
    assert county.locator("text=申报书.pdf").count() == 2
    _shot(county, "02-locality-attached")
    with county.expect_navigation():
        county.click("button[name=submit]")
    assert "案例已提交" in _alerts(county), _alerts(county)
    assert county.url == f"{base}/cases/mine/{case.pk}/"
    _shot(county, "03-locality-submitted")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.attachments.count() == 2

    # The administrator finds it in the formal-check list and returns it with a reason.
    office = _log_in(browser, base, "office", f"/manage/campaigns/{scene['campaign'].pk}/cases/")
    with office.expect_navigation():
        office.click(f"text={TITLE}")
    assert office.url == f"{base}/manage/cases/{case.pk}/"
    office.fill("#id_return_reason", REASON)
    _shot(office, "04-office-returns")
    with office.expect_navigation():
        office.click("button:has-text('退回修改')")
    assert "已退回" in _alerts(office), _alerts(office)
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED

    # The locality sees the reason, revises and resubmits.
    county.goto(f"{base}/cases/mine/{case.pk}/")
    assert REASON in county.locator(".alert-warning").inner_text()
    _shot(county, "05-locality-sees-reason")
    with county.expect_navigation():
        county.click("a:has-text('编辑')")
    county.fill("#id_results", "开办时间压缩至 0.5 个工作日,全年新设企业 1.2 万家。")
    with county.expect_navigation():
        county.click("button[name=submit]")
    assert "案例已提交" in _alerts(county), _alerts(county)
    _shot(county, "06-locality-resubmitted")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert "1.2 万家" in case.results

    # The administrator accepts.
    office.goto(f"{base}/manage/cases/{case.pk}/")
    with office.expect_navigation():
        office.click("button:has-text('受理')")
    assert "已受理" in _alerts(office), _alerts(office)
    _shot(office, "07-office-accepted")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert list(case.events.values_list("kind", "actor__username")) == [
        (CaseEventKind.CREATED, "county"),
        (CaseEventKind.SUBMITTED, "county"),
        (CaseEventKind.RETURNED, "office"),
        (CaseEventKind.RESUBMITTED, "county"),
        (CaseEventKind.ACCEPTED, "office"),
    ]

    # The locality's page shows the outcome and the whole record.
    county.goto(f"{base}/cases/mine/{case.pk}/")
    body = county.locator("main").inner_text()
    assert "已受理" in body and REASON in body
    _shot(county, "08-locality-sees-accepted")
