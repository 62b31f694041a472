"""Hostile input: every POST form that each role reaches by following links, attacked.

For each role (anonymous, locality, expert, administrator) the crawler (tests/hostile/crawler.py)
opens the role's start pages and follows the site's links breadth-first (at most a few pages
per URL name; no log-out, language switch or download), and attacks each <form method=post>
it finds once per (URL name, set of fields):

1. every visible field at once with each text value: NUL, astral-plane CJK "𠀀𪚥", a
   right-to-left override, CR/LF, "=1+1", "@SUM(A1)";
2. every date field at once with 0001-01-01T00:00 and 9999-12-31T23:59;
3. every number, select, radio button and checkbox at once with the ids -1, 0, 2**63, "abc";
4. the form's own values (what the page sends, required empty fields filled with plain
   values) with one field at a time made hostile: 200,000 characters in each text field, and
   one more value per field taken in turn from the whole list; hidden fields (not the CSRF
   token) with the ids in turn;
5. for a file input, a file named like what it accepts that is a PNG, one that is text, an
   empty one (and a PDF named .csv for the imports);
6. the valid POST twice, with each named submit button (a double click).

Each form's attacks run in a savepoint rolled back afterwards, so every form meets the scene
as tests/hostile/conftest.py built it.

What is asserted, request by request:
* no 5xx, and nothing logged at ERROR level with a traceback (django.request and the root
  logger);
* a refused request changes no data: refused is a 4xx, a 200 page showing a form error, or a
  redirect carrying an error message; the database's fingerprint (counts and per-column sums of
  every table of the project's apps, one query) is the same before and after. A 200 without
  an error (a preview) must not change data either;
* NUL and 200,000 characters are refused with a message (never stored, cut or passed on);
* "kept": when a 200 page refuses the request, each text field (text, textarea, e-mail,
  telephone, URL) that carried the hostile value shows it again — whitespace runs (CR/LF)
  compared as one space and the right-to-left override ignored, so a form may strip or
  normalise them. NUL and the 200,000 characters need not be shown again (the message says
  what is wrong); passwords are never shown; selects, numbers and dates cannot show an
  impossible value and are not checked; nor is a request that altered a hidden field.

And once for the whole site: every URL name of the URL configuration whose view accepts POST
(`crawler.accepts_post`) was POSTed to by some role, except NOT_FORMS_OF_THIS_SITE.

KNOWN_FAULTS lists the faults found in code that other work owns at the moment, as
(URL name, "<value label>@<fields>", what); the lead empties it when those are fixed (an entry
that no longer occurs fails the coverage test, so the list cannot go stale).
"""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD
from tests.helpers import client_of
from tests.hostile.conftest import totp_code
from tests.hostile.crawler import Crawler, accepts_post, url_names

CRAWL_ROLES = ("anonymous", "locality", "expert", "administrator")

# Not followed: they end the session, change the language, or download a file.
SKIP_LINKS = frozenset(
    {
        "accounts:logout",
        "set_language",
        "cases:attachment",
        "calls:file",
        "manage:objection-file",
        "manage:submissions-export",
        "manage:ranking-export",
        "manage:bundle-download",
        "cases:application-form",
        "manage:case-application-form",
        "results:export-csv",
        "results:export-xlsx",
        "api:results",
        "api:manifest",
    }
)

# URL names that take POST but are not forms of this site, and why.
NOT_FORMS_OF_THIS_SITE = {
    # Django's own log-out: a button with no input, and it would end the crawl's session.
    "accounts:logout",
    # Django's language switch: changes a cookie, nothing else (CSRF-exempt, see config/urls.py).
    "set_language",
}
# The Django admin (admin:…) is read-only for the award's records and Django's own code: not
# crawled, not counted.
NOT_FORMS_PREFIXES = ("admin:",)

# Faults found by this crawl in code that other work owns at the time of writing, each as
# (URL name, hostile value label, what went wrong, the databases where it happens); a problem
# matches when its request carried that value (in whichever fields) and its report starts with
# "what". Empty it as they are fixed: an entry that no longer occurs fails
# test_every_url_that_takes_post_was_posted_to.
KNOWN_FAULTS: set[tuple[str, str, str, tuple[str, ...]]] = set()


def is_known(problem) -> bool:
    return any(known_fault_matches(entry, problem) for entry in KNOWN_FAULTS)


def known_fault_matches(entry, problem) -> bool:
    url_name, label, what, vendors = entry
    return (
        connection.vendor in vendors
        and problem.url_name == url_name
        and problem.key.startswith(f"{label}@")
        and problem.what.startswith(what)
    )


NEW_PASSWORD = "Hostile-crawl-2024!"

CRAWLS: dict[str, Crawler] = {}


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def valid_files(scene):
    """A file each import accepts (previewed, then applied by the crawl)."""
    unit = scene.users["locality"].organisation
    accounts = _csv(
        [
            ["name", "email", "phone", "role", "organisation", "city", "username"],
            ["孙导入", "sun.import@example.org", "", "locality", unit.name, unit.parent.name, ""],
        ]
    )
    experts = _csv([["name", "email"], ["周专家", "zhou.expert@example.org"]])
    results = _csv(
        [
            ["year", "tier", "title", "units", "region", "field", "evidence"],
            ["2020", "excellent", "导入的测试案例", "嘉善县", "嘉兴市", "政府数字化转型", "S1"],
        ]
    )
    return {
        "manage:account-import": lambda f: SimpleUploadedFile("accounts.csv", accounts),
        "manage:expert-import": lambda f: SimpleUploadedFile("experts.csv", experts),
        "manage:results-import": lambda f: SimpleUploadedFile("results.csv", results),
    }


def valid_overrides(scene, role):
    """Values a valid submission needs that a page does not carry (passwords, codes)."""
    user = scene.users.get(role) or scene.users["expert"]  # anonymous logs in as the expert
    new_password = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    def code(form):
        return {"code": totp_code(scene.totp_key)}

    return {
        "accounts:login": lambda form: {"username": user.username, "password": PASSWORD},
        "accounts:login_code": code,
        "accounts:password_change": lambda form: {"old_password": PASSWORD, **new_password},
        "accounts:password_reset_confirm": lambda form: new_password,
        "accounts:invitation": lambda form: new_password,
        "accounts:password_reset": lambda form: {"email": user.email},
        "accounts:two_factor_recovery_codes": code,
        "accounts:two_factor_disable": lambda form: {**code(form), "password": PASSWORD},
    }


def start_pages(scene, role):
    pages = ["/", "/accounts/login/", "/accounts/password/reset/"]
    if role == "anonymous":
        return [*pages, scene.invitation_path, scene.reset_path]
    return [
        "/",
        "/cases/mine/",
        "/review/",
        "/manage/",
        "/notifications/",
        "/accounts/password/change/",
    ]


def run_crawl(scene, role) -> Crawler:
    user = scene.users.get(role)
    client = client_of(user) if user else Client()
    started, cpu = time.perf_counter(), time.process_time()
    crawler = Crawler(
        client,
        role=role,
        user=user,
        skip_links=SKIP_LINKS,
        skip_forms=frozenset(NOT_FORMS_OF_THIS_SITE),
        valid_overrides=valid_overrides(scene, role),
        valid_files=valid_files(scene),
    ).run(start_pages(scene, role))
    crawler.seconds = time.perf_counter() - started
    crawler.cpu_seconds = time.process_time() - cpu
    CRAWLS[role] = crawler
    print(
        f"\n[{role}] {len(crawler.pages)} pages, {len(crawler.attacked)} forms, "
        f"{crawler.hostile_sent} hostile requests ({crawler.requests_sent} requests in all) "
        f"in {crawler.seconds:.1f} s ({crawler.cpu_seconds:.1f} s of CPU)"
    )
    return crawler


def unknown(problems):
    return [p for p in problems if not is_known(p)]


@pytest.mark.parametrize("role", CRAWL_ROLES)
def test_every_form_a_role_reaches_survives_hostile_input(scene, role):
    crawler = run_crawl(scene, role)

    assert crawler.hostile_sent > 0
    problems = unknown(crawler.problems)
    assert not problems, f"{len(problems)} problems:\n\n" + "\n\n".join(map(str, problems))


def post_url_names() -> set[str]:
    return {
        name
        for name, callback in url_names()
        if accepts_post(callback)
        and name not in NOT_FORMS_OF_THIS_SITE
        and not name.startswith(NOT_FORMS_PREFIXES)
    }


def test_every_url_that_takes_post_was_posted_to(scene):
    for role in CRAWL_ROLES:
        if role not in CRAWLS:  # this test run alone
            run_crawl(scene, role)
    posted = set().union(*(CRAWLS[role].posted for role in CRAWL_ROLES))
    total = sum(CRAWLS[role].hostile_sent for role in CRAWL_ROLES)
    print(f"\n{total} hostile requests in all, to {len(posted)} URL names")

    missing = post_url_names() - posted
    assert not missing, f"never POSTed to by the crawl: {sorted(missing)}"
    all_names = {name for name, _callback in url_names()}
    assert all_names >= NOT_FORMS_OF_THIS_SITE, NOT_FORMS_OF_THIS_SITE - all_names
    problems = [p for role in CRAWL_ROLES for p in CRAWLS[role].problems]
    fixed = {
        entry
        for entry in KNOWN_FAULTS
        if connection.vendor in entry[3]
        and not any(known_fault_matches(entry, p) for p in problems)
    }
    assert not fixed, f"fixed, remove from KNOWN_FAULTS: {fixed}"


def test_the_post_detector_finds_the_sites_forms():
    """The detector sees POST in the kinds of view this site has (a guard on the guard)."""
    names = post_url_names()
    assert {
        "cases:new",  # a function view that binds request.POST
        "manage:case-accept",  # require_POST
        "accounts:login",  # a class-based view
        "manage:results-import",  # hands the request to common.import_session.upload_step
        "reviews:score",
    } <= names
    assert not {"home", "results:year", "cases:detail", "manage:dashboard"} & names
