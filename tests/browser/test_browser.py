"""End-to-end check of the public results page in a real Chromium (Playwright).

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run;
elsewhere it is skipped. Screenshots land in artifacts/ (git-ignored).
"""

import os
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.core.management import call_command

from site_setup.fixtures_list import FIXTURE_FILES as FIXTURES

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PHONE = {"width": 390, "height": 844}
RESULTS_PATH = "/results/2020/"
HEADING = "最佳实践案例"
CASE_TITLE = "嘉善县推进示范区政务服务一体化建设"


@pytest.fixture
def results_url(live_server):
    # live_server implies a transactional database; load the demo data into it.
    call_command("loaddata", *FIXTURES, verbosity=0)
    return f"{live_server.url}{RESULTS_PATH}"


def test_results_page_lists_best_practice_cases(browser, results_url):
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page()
    response = page.goto(results_url)
    assert response is not None and response.ok, response and response.status
    body = page.locator("body")
    assert HEADING in body.inner_text()
    assert CASE_TITLE in body.inner_text()
    page.screenshot(path=str(ARTIFACTS / "results-2020.png"), full_page=True)
    page.close()

    phone = browser.new_page(viewport=PHONE)
    phone.goto(results_url)
    assert CASE_TITLE in phone.locator("body").inner_text()
    phone.screenshot(path=str(ARTIFACTS / "results-2020-phone.png"), full_page=True)
    phone.close()


def test_results_page_has_no_horizontal_scroll_on_phone(browser, results_url):
    page = browser.new_page(viewport=PHONE)
    page.goto(results_url)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert scroll_width <= PHONE["width"] + 1, f"page is {scroll_width}px wide on a 390px screen"
