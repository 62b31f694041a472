"""The 申报书 in a real Chromium (Playwright): the unit opens its draft, downloads the form
from the link on its case page, and the PDF holds its title, every section in order and the
draft mark; its pages are drawn by PDFium into pictures (artifacts/documents/).

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere it is
skipped. Screenshots land in artifacts/documents/ (git-ignored). The certificate has its own
file (test_certificate.py).
"""

import io
import os
import re
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from pypdf import PdfReader

from reform_cases.models import CaseOutcome, CaseStatus
from tests.factories import PASSWORD, CaseFactory, CountyFactory, UserFactory, open_campaign
from tests.helpers import embedded_fonts, ink_share, rasterise_pdf

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
HEADINGS = ["案例简介", "背景", "主要做法", "成效", "创新点", "推广价值"]


def test_the_unit_downloads_its_draft_application_form_from_its_case_page(
    browser, orm, live_server
):
    unit = CountyFactory(name="安吉县")
    case = CaseFactory(
        campaign=open_campaign(year=2261, title="2261年度改革创新实践案例评选"),
        title="“两山”转化改革实践",
        organisation=unit,
        co_organisations=[CountyFactory(name="德清县")],
        status=CaseStatus.DRAFT,
        outcome=CaseOutcome.PENDING,
        summary="探索生态产品价值实现机制。",
        background="绿水青山如何转化为金山银山。",
        measures="建立生态资源储蓄平台,集中收储、整合提升。\n" * 40,
        results="村集体经营性收入全部超过五十万元。",
        innovation="以“两山合作社”统一运营生态资源。",
        replicability="已在全省山区县推广。",
        contact_name="李四",
        contact_phone="13900139000",
    )
    UserFactory(username="anji-form", locality=True, organisation=unit)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    own_page = f"/cases/mine/{case.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={own_page}")
    page.fill("#id_username", "anji-form")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}{own_page}")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载申报书")).click()
    assert download.value.suggested_filename == "申报书-“两山”转化改革实践.pdf"
    data = Path(download.value.path()).read_bytes()
    pages = [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) >= 2
    assert all("草稿" in p for p in pages)
    text = "".join(pages)
    for fact in ("“两山”转化改革实践", "安吉县", "德清县", "李四", "盖章处"):
        assert fact in text, fact
    positions = [text.index(f"{n}.{h}") for n, h in enumerate(HEADINGS, start=1)]
    assert positions == sorted(positions)

    # The PDF itself, drawn by PDFium (Chromium shows no PDF when headless): every page has
    # ink, the first its title at the top, and the glyphs are drawn, not empty boxes — the
    # embedded font is the documents' own.
    pictures = rasterise_pdf(data, ARTIFACTS, "application-form")
    assert len(pictures) == len(pages)
    assert all(ink_share(p) > 0.005 for p in pictures)
    assert ink_share(pictures[0], box=(0.1, 0.05, 0.9, 0.25)) > 0.01
    assert {f.replace("-", "") for f in embedded_fonts(data)} <= {
        "WenQuanYiMicroHei",
        "WenQuanYiMicroHeiBold",
    }
