"""Content-Security-Policy: every page of every role carries it, and no page needs inline script.

Each role crawls the site from its start pages, following every link it is shown
(public results, the locality's cases, the expert's reviews, the office's pages and
the Django admin). Every answer carries the policy, whose script-src allows neither
inline script nor eval; no HTML page holds an inline <script> with a body, an on…=
event handler or a javascript: link, which the policy would block. The browser side
(the confirmations still appear, no violation is reported) is tests/browser/test_browser_csp.py.
"""

import re

import pytest

from tests.helpers import ROLES
from tests.page_crawl import (
    MUST_REACH,
    check_policy,
    client_for_world,
    crawl,
    inline_script_problems,
    url_name,
)

# The same pages on PostgreSQL would check nothing more: the SQLite pass runs it.
pytestmark = pytest.mark.engine_neutral


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_carries_the_policy_and_no_inline_script(role, client_for, world):
    pages = crawl(client_for_world(role, client_for, world))

    for url, response in pages.items():
        assert response.status_code != 500, url
        check_policy(url, response)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            problems = inline_script_problems(response.content.decode())
            assert not problems, (url, problems)
    reached = {url_name(url) for url, r in pages.items() if r.status_code == 200}
    assert MUST_REACH.get(role, {"home"}) <= reached, sorted(MUST_REACH[role] - reached)


def test_the_admin_works_under_the_policy(superuser_client, world):
    """The Django admin brings its own scripts as static files, which 'self' allows."""
    index = superuser_client.get("/admin/")
    check_policy("/admin/", index)
    changelists = sorted(
        set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index.content.decode()))
    )
    assert len(changelists) > 10
    cases = superuser_client.get("/admin/reform_cases/case/").content.decode()
    a_change_page = re.search(r'href="(/admin/reform_cases/case/\d+/change/)"', cases).group(1)
    for url in [*changelists, a_change_page]:
        response = superuser_client.get(url, follow=True)
        assert response.status_code == 200, url
        check_policy(url, response)
        html = response.content.decode()
        assert not inline_script_problems(html), url
        for src in re.findall(r'<script[^>]*src="([^"]+)"', html):
            assert src.startswith("/"), (url, src)  # same origin: allowed by 'self'
