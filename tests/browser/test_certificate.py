"""The award certificate in a real Chromium (Playwright): the unit opens its awarded case,
downloads the certificate from the link on the page, and the PDF names its case and award;
its page is drawn by PDFium into a picture (artifacts/documents/).

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere it is
skipped. Screenshots land in artifacts/documents/ (git-ignored).
"""

import datetime
import io
import os
import re
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from pypdf import PdfReader

from tests.factories import PASSWORD, CampaignFactory, CaseFactory, CountyFactory, UserFactory
from tests.helpers import ink_share, rasterise_pdf

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"


def test_the_unit_downloads_its_certificate_from_its_case_page(browser, orm, live_server):
    campaign = CampaignFactory(
        year=2241,
        title="2241年度改革创新实践案例评选",
        organiser_name="浙江省改革办",
        announced_on=datetime.date(2242, 1, 28),
    )
    unit = CountyFactory(name="安吉县")
    case = CaseFactory(
        campaign=campaign,
        title="“两山”转化改革实践",
        tier__name="最佳实践案例",
        tier__campaign=campaign,
        organisation=unit,
        co_organisations=[CountyFactory(name="德清县")],
    )
    UserFactory(username="anji", locality=True, organisation=unit)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    own_page = f"/cases/mine/{case.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={own_page}")
    page.fill("#id_username", "anji")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}{own_page}")
    page.screenshot(path=str(ARTIFACTS / "certificate-case-page.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载获奖证书")).click()
    assert download.value.suggested_filename == "获奖证书-“两山”转化改革实践.pdf"
    data = Path(download.value.path()).read_bytes()
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(data)).pages[0].extract_text())
    for fact in (
        "获奖证书",
        "安吉县",
        "德清县",
        "“‘两山’转化改革实践”",
        "最佳实践案例",
        "浙江省改革办",
    ):
        assert fact in text, fact

    # The PDF itself, drawn by PDFium (Chromium shows no PDF when headless): one landscape
    # page with ink in its upper part (the heading) and its lower right (the organiser).
    (picture,) = rasterise_pdf(data, ARTIFACTS, "certificate")
    from PIL import Image

    with Image.open(picture) as drawn:
        assert drawn.width > drawn.height
    assert ink_share(picture, box=(0.2, 0.05, 0.8, 0.3)) > 0.01
    assert ink_share(picture, box=(0.5, 0.6, 0.95, 0.95)) > 0.002
