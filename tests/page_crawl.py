"""Crawl the site as each role, from its start pages, following every link it is shown.

Shared by the page checks (tests/test_csp.py, tests/test_english_chrome.py,
tests/browser/test_accessibility.py); `world` is a fixture: import it with the functions.
"""

import re
from collections import deque
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

from notifications.models import NotificationKind
from notifications.services import notify
from reform_cases.models import CampaignStatus, CaseStatus
from tests.factories import (
    accepted_case_for_ranking,
    add_reviews,
    draft_case,
    make_closed_round,
    make_desk,
    open_campaign,
    ranking_campaign,
    ranking_entry,
    submitted_case,
)
from tests.helpers import client_of

START = ["/", "/results/", "/cases/mine/", "/review/", "/manage/", "/notifications/"]
MAX_PAGES = 400  # per role; the crawl below reaches far fewer
MAX_VARIANTS = 2  # query strings followed per path (filters, sorting, pages)
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/i18n/", "/accounts/logout/")

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
HANDLER = re.compile(r"""\son[a-z]+\s*=""", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
HREF = re.compile(r"""href="([^"#]*)""")


def directives(header):
    """{directive: [sources]} of a Content-Security-Policy header."""
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


def check_policy(url, response):
    header = response.get("Content-Security-Policy")
    assert header, f"{url} ({response.status_code}) has no Content-Security-Policy"
    policy = directives(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], (url, header)
    for directive in ("script-src", "script-src-attr", "script-src-elem", "default-src"):
        assert "'unsafe-inline'" not in policy.get(directive, []), (url, header)
        assert "'unsafe-eval'" not in policy.get(directive, []), (url, header)
    assert policy.get("object-src") == ["'none'"]
    assert policy.get("frame-ancestors") == ["'none'"]


def inline_script_problems(html):
    """What in a page the policy would block: inline script bodies, handlers, javascript: URLs."""
    problems = [
        f"inline <script>: {body.strip()[:80]!r}"
        for body in INLINE_SCRIPT.findall(html)
        if body.strip()
    ]
    for tag in TAG.findall(html):
        if HANDLER.search(tag) or JAVASCRIPT_URL.search(tag):
            problems.append(f"handler or javascript: URL in {tag[:120]!r}")
    return problems


def links(url, html):
    for href in HREF.findall(html):
        target = urlsplit(urljoin(url, href.replace("&amp;", "&")))
        if target.netloc not in ("", "testserver") or not target.path.startswith("/"):
            continue
        if target.path.startswith(SKIP_PREFIXES):
            continue
        yield target.path + (f"?{target.query}" if target.query else "")


def crawl(client, start=START):
    """{url: response} of every page reachable from `start` by following links (GET only)."""
    seen, variants = {}, {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        path = url.split("?")[0]
        if "?" in url:
            variants[path] = variants.get(path, 0) + 1
            if variants[path] > MAX_VARIANTS:
                continue
        response = client.get(url)
        seen[url] = response
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            queue.extend(u for u in links(url, response.content.decode()) if u not in seen)
    return seen


def url_name(url):
    try:
        return resolve(url.split("?")[0]).view_name
    except Resolver404:
        return None


@pytest.fixture
def world(published_fixtures, owning_organisation, make_user):
    """Something on every kind of page: a call open, the locality's cases in every state,
    an expert's review, a campaign being ranked and notifications."""
    campaign = open_campaign(call_for_entries="申报通知(测试)")
    locality = make_user("locality")
    draft_case(campaign, owning_organisation, title="草稿案例(CSP 测试)")
    submitted_case(campaign, owning_organisation, locality)
    returned = submitted_case(campaign, owning_organisation, locality)
    returned.status = CaseStatus.RETURNED
    returned.save(update_fields=["status"])
    notify([locality], kind=NotificationKind.CASE_RETURNED, obj=returned)

    desk = make_desk()  # an expert with a confirmed, pledged assignment in an open round

    ranked = ranking_campaign()
    cases = [accepted_case_for_ranking(ranked, f"排名案例{i}") for i in range(3)]
    review_round = make_closed_round(ranked, cases=cases)
    add_reviews(review_round, {case: [80 - i, 78 - i, 76 - i] for i, case in enumerate(cases)})
    for rank, case in enumerate(cases, start=1):
        ranking_entry(review_round, case, ranked.best if rank == 1 else ranked.excellent, rank=rank)
    ranked.status = CampaignStatus.RANKING
    ranked.submission_closes_at = timezone.now() - timedelta(days=30)
    ranked.save()
    return {"expert": desk.expert, "locality": locality}


def client_for_world(role, client_for, world):
    if role in ("expert", "locality"):
        return client_of(world[role])  # the users who own the world's reviews and cases
    return client_for(role)


# Pages each role must reach, so that the crawl cannot silently shrink.
MUST_REACH = {
    "anonymous": {"home", "results:list", "results:year", "results:stats", "cases:detail",
                  "calls:detail", "results:export-csv", "results:export-xlsx"},
    "locality": {"cases:mine", "cases:new", "cases:mine-detail", "cases:edit",
                 "notifications:inbox", "accounts:password_change"},
    "expert": {"reviews:workspace", "reviews:score", "notifications:inbox"},
    "administrator": {"manage:dashboard", "manage:campaign-detail", "manage:campaign-edit",
                      "manage:submissions", "manage:submissions-export", "manage:case-detail",
                      "manage:ranking", "manage:ranking-export", "manage:rounds", "manage:rubric",
                      "manage:panels", "manage:progress", "manage:assign", "manage:accounts",
                      "manage:account-detail", "manage:account-import", "manage:experts",
                      "manage:expert-import", "manage:results-import", "notifications:outbox"},
}  # fmt: skip
