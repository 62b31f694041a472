"""Accessibility: no serious or critical axe-core violation on any page of any role.

Each role (anonymous, locality, expert, administrator) crawls the site through the
Django test client from its start pages, following every link it is shown, exactly as
tests/test_csp.py does (its `world` holds something on every kind of page). Every HTML
page reached is then opened in Chromium, in one context per role signed in with the
same session, and axe-core (axe-playwright-python) runs on it once at desktop width
(1280×800) and once at phone width (390×844). The Django admin is left out: it is
Django's own. GB/T 37668 follows WCAG 2.1 AA, which is what axe's wcag2a/wcag2aa/
wcag21a/wcag21aa rules check (colour contrast 4.5:1, labels, landmarks, headings...).

Run by `make test` with REQUIRE_BROWSER=1, so a missing browser fails the run; elsewhere
it is skipped.
"""

import os

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# here and by the live_server fixture would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.conf import settings

from tests.page_crawl import (
    MUST_REACH,
    client_for_world,
    crawl,
    url_name,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine_neutral]

ROLES = ("anonymous", "locality", "expert", "administrator")
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
TIMEOUT_MS = 15_000
# Every rule axe-core ships (WCAG 2.0/2.1 A and AA and best practices); only violations.
RUN_AXE = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"


def html_pages(pages):
    """The crawled URLs that are HTML pages answered 200, one per view.

    Pages of one view share its template (a second account, case or filter changes only
    the data), so each view is looked at once: the first URL the crawl reached for it.
    """
    chosen = {}
    for url, response in pages.items():
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        chosen.setdefault(url_name(url) or url.split("?")[0], url)
    return list(chosen.values())


def blocking_violations(page):
    """["rule-id (impact): target, target..."] of the page's serious and critical violations."""
    found = []
    for violation in page.evaluate(RUN_AXE):
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
        found.append(f"{violation['id']} ({violation['impact']}): {', '.join(targets)}")
    return found


@pytest.fixture
def axe_script():
    """axe-core as shipped by axe-playwright-python, added to every page before it loads."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def test_no_page_of_any_role_has_a_serious_accessibility_violation(
    browser, live_server, orm, client_for, axe_script, request
):
    scene = request.getfixturevalue("world")  # tests/test_csp.py's: a page of every kind
    failures, seen = [], {}
    for role in ROLES:
        client = client_for_world(role, client_for, scene)
        urls = html_pages(crawl(client))
        seen[role] = {url_name(url) for url in urls}
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(axe_script)
        if settings.SESSION_COOKIE_NAME in client.cookies:
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
        page = context.new_page()
        try:
            for url in urls:
                for width, size in WIDTHS.items():
                    page.set_viewport_size(size)
                    if width == "desktop":
                        response = page.goto(f"{live_server.url}{url}")
                        assert response.status == 200, (role, url, response.status)
                    for problem in blocking_violations(page):
                        failures.append(f"{role} {width} {url}: {problem}")
        finally:
            context.close()

    assert not failures, "\n".join(failures)
    # The crawl reached every page test_csp requires of each role (minus the downloads),
    # so it cannot silently shrink.
    for role in ROLES:
        must = {name for name in MUST_REACH[role] if "export" not in name}
        assert must <= seen[role], (role, sorted(must - seen[role]))
