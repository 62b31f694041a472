"""Who may do what in the accounts and campaign administration: every URL × every role.

Each row is one request (method, path, data) and the exact answer for each of
anonymous, locality, expert, administrator and a deactivated user (an
administrator who was signed in, then switched off: the session must count for
nothing). A refused request must also change nothing in the database.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent, User
from notifications.models import Notification
from reform_cases.models import Campaign, CampaignFile, CampaignStatus, CampaignStatusChange
from tests.factories import CampaignFactory, CountyFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "login"  # 302 to /accounts/login/?next=<the path>
ROLES = ("anonymous", "locality", "expert", "administrator", "deactivated")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Placeholders, filled in by the `world` fixture.
C = "{campaign}"  # an open, non-demo campaign with a tier and a template file
Y = "{year}"  # its year
F = "{file}"  # its template file
DRAFT_Y = "{draft_year}"  # a draft campaign's year (no public call)
DRAFT_F = "{draft_file}"  # a file of the draft campaign
A = "{account}"  # an active locality account (not the one signed in)
GONE = "{inactive_account}"  # a deactivated account
MISSING = "999999"


def detail(pk=C):
    return f"/manage/campaigns/{pk}/"


def account(pk=A):
    return f"/manage/accounts/{pk}/"


# fmt: off
#  method, path, data,                                                  anonymous, locality, expert, administrator,                  deactivated
ROWS = [
    # --- the dashboard and campaigns (administrators only) ---
    ("get",    "/manage/", None,                                        LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/", {},                                          LOGIN, 403, 403, 200, LOGIN),
    ("get",    "/manage/campaigns/new/", None,                          LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/campaigns/new/", {},                            LOGIN, 403, 403, 200, LOGIN),  # the form again, with errors
    ("put",    "/manage/campaigns/new/", None,                          LOGIN, 403, 403, 405, LOGIN),
    ("get",    detail(), None,                                          LOGIN, 403, 403, 200, LOGIN),
    ("get",    detail(MISSING), None,                                   LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{detail()}edit/", None,                                LOGIN, 403, 403, 200, LOGIN),
    ("post",   f"{detail()}edit/", {},                                  LOGIN, 403, 403, 200, LOGIN),
    ("delete", f"{detail()}edit/", None,                                LOGIN, 403, 403, 405, LOGIN),
    ("get",    f"{detail(MISSING)}edit/", None,                         LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{detail()}organiser/", None,                           LOGIN, 403, 403, 200, LOGIN),
    ("post",   f"{detail()}organiser/", {"organiser_name": " "},        LOGIN, 403, 403, 200, LOGIN),  # refused: the form again
    ("put",    f"{detail()}organiser/", None,                           LOGIN, 403, 403, 405, LOGIN),
    ("get",    f"{detail()}status/", None,                              LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{detail()}status/", {"to": "checking", "confirm": "on"}, LOGIN, 403, 403, detail(), LOGIN),
    ("post",   f"{detail(MISSING)}status/", {"to": "checking"},         LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{detail()}files/", None,                               LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{detail()}files/", {},                                 LOGIN, 403, 403, detail(), LOGIN),
    ("post",   f"{detail(MISSING)}files/", {},                          LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{detail()}files/{F}/delete/", None,                    LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{detail()}files/{F}/delete/", {},                      LOGIN, 403, 403, detail(), LOGIN),
    ("post",   f"{detail()}files/{DRAFT_F}/delete/", {},                LOGIN, 403, 403, 404, LOGIN),  # another campaign's file
    # --- results import (administrators only) ---
    ("get",    "/manage/results/import/", None,                         LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/results/import/", {},                           LOGIN, 403, 403, 200, LOGIN),
    ("get",    "/manage/results/import/apply/", None,                   LOGIN, 403, 403, 405, LOGIN),
    ("post",   "/manage/results/import/apply/", {},                     LOGIN, 403, 403, "/manage/results/import/", LOGIN),
    # --- accounts (administrators only) ---
    ("get",    "/manage/accounts/", None,                               LOGIN, 403, 403, 200, LOGIN),
    ("get",    "/manage/accounts/new/", None,                           LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/accounts/new/", {},                             LOGIN, 403, 403, 200, LOGIN),
    ("put",    "/manage/accounts/new/", None,                           LOGIN, 403, 403, 405, LOGIN),
    ("get",    "/manage/accounts/import/", None,                        LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/accounts/import/", {},                          LOGIN, 403, 403, 200, LOGIN),
    ("delete", "/manage/accounts/import/", None,                        LOGIN, 403, 403, 405, LOGIN),
    ("get",    "/manage/accounts/import/apply/", None,                  LOGIN, 403, 403, 405, LOGIN),
    ("post",   "/manage/accounts/import/apply/", {"token": "x"},        LOGIN, 403, 403, "/manage/accounts/import/", LOGIN),
    # --- a person's data on request (issue 17): found nothing, so the page again ---
    ("get",    "/manage/personal-data/", {"q": "nobody@example.org"},   LOGIN, 403, 403, 200, LOGIN),
    ("post",   "/manage/personal-data/", {"q": "nobody@example.org"},   LOGIN, 403, 403, 200, LOGIN),
    ("put",    "/manage/personal-data/", None,                          LOGIN, 403, 403, 405, LOGIN),
    ("get",    account(), None,                                         LOGIN, 403, 403, 200, LOGIN),
    ("get",    account(GONE), None,                                     LOGIN, 403, 403, 200, LOGIN),
    ("get",    account(MISSING), None,                                  LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{account()}active/", None,                             LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{account()}active/", {"active": "0", "reason": "x"},   LOGIN, 403, 403, account(), LOGIN),
    ("post",   f"{account(MISSING)}active/", {"active": "0"},           LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{account()}move/", None,                               LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{account()}move/", {"organisation": "{organisation}"}, LOGIN, 403, 403, account(), LOGIN),
    ("post",   f"{account(MISSING)}move/", {"organisation": "{organisation}"}, LOGIN, 403, 403, 404, LOGIN),
    ("get",    f"{account()}invite/", None,                             LOGIN, 403, 403, 405, LOGIN),
    ("post",   f"{account()}invite/", {},                               LOGIN, 403, 403, account(), LOGIN),
    ("post",   f"{account(GONE)}invite/", {},                           LOGIN, 403, 403, 404, LOGIN),  # no invitation to a deactivated account
    ("post",   f"{account(MISSING)}invite/", {},                        LOGIN, 403, 403, 404, LOGIN),
    # --- each user's own pages ---
    ("get",    "/notifications/", None,                                 LOGIN, 200, 200, 200, LOGIN),
    ("get",    "/notifications/read/", None,                            LOGIN, 405, 405, 405, LOGIN),
    ("post",   "/notifications/read/", {},                              LOGIN, "/notifications/", "/notifications/", "/notifications/", LOGIN),
    ("get",    "/notifications/outbox/", None,                          LOGIN, 403, 403, 200, LOGIN),
    ("get",    "/notifications/outbox/resend/", None,                   LOGIN, 405, 405, 405, LOGIN),
    ("post",   "/notifications/outbox/resend/", {},                     LOGIN, 403, 403, "/notifications/outbox/?status=failed", LOGIN),
    ("get",    "/accounts/password/change/", None,                      LOGIN, 200, 200, 200, LOGIN),
    ("post",   "/accounts/password/change/", {},                        LOGIN, 200, 200, 200, LOGIN),  # the form again, with errors
    ("get",    "/accounts/password/change/done/", None,                 LOGIN, 200, 200, 200, LOGIN),
    ("get",    "/accounts/two-factor/", None,                           LOGIN, 200, 200, 200, LOGIN),  # enrolment
    ("post",   "/accounts/two-factor/", {"code": "x"},                  LOGIN, 200, 200, 200, LOGIN),  # the form again, with errors
    ("get",    "/accounts/two-factor/recovery-codes/", None,            LOGIN, 405, 405, 405, LOGIN),
    ("post",   "/accounts/two-factor/recovery-codes/", {"code": "x"},   LOGIN, "/accounts/two-factor/", "/accounts/two-factor/", "/accounts/two-factor/", LOGIN),  # not enrolled
    ("get",    "/accounts/two-factor/disable/", None,                   LOGIN, 405, 405, 405, LOGIN),
    ("post",   "/accounts/two-factor/disable/", {"code": "x"},          LOGIN, "/accounts/two-factor/", "/accounts/two-factor/", "/accounts/two-factor/", LOGIN),  # not enrolled
    # --- log-in, log-out, reset and invitation pages ---
    ("get",    "/accounts/login/", None,                                200, "/cases/mine/", "/review/", "/manage/", 200),  # signed in: sent to the role's landing page
    ("get",    "/accounts/login/code/", None,                           "/accounts/login/", "/cases/mine/", "/review/", "/manage/", "/accounts/login/"),  # no password given: nothing to verify
    ("post",   "/accounts/login/code/", {"code": "123456"},             "/accounts/login/", "/cases/mine/", "/review/", "/manage/", "/accounts/login/"),
    ("get",    "/accounts/logout/", None,                               405, 405, 405, 405, 405),  # POST only (CSRF)
    ("post",   "/accounts/logout/", {},                                 "/", "/", "/", "/", "/"),
    ("get",    "/accounts/password/reset/", None,                       200, 200, 200, 200, 200),
    ("get",    "/accounts/password/reset/sent/", None,                  200, 200, 200, 200, 200),
    ("get",    "/accounts/password/reset/complete/", None,              200, 200, 200, 200, 200),
    ("get",    "/accounts/password/reset/MQ/bad-token/", None,          200, 200, 200, 200, 200),  # "link invalid" page
    ("get",    "/accounts/invitation/MQ/bad-token/", None,              400, 400, 400, 400, 400),
    # --- the public call for entries ---
    ("get",    f"/calls/{Y}/", None,                                    200, 200, 200, 200, 200),
    ("post",   f"/calls/{Y}/", {},                                      405, 405, 405, 405, 405),
    ("get",    f"/calls/{DRAFT_Y}/", None,                              404, 404, 404, 404, 404),  # not open: no call
    ("get",    "/calls/2999/", None,                                    404, 404, 404, 404, 404),
    ("get",    f"/calls/{Y}/files/{F}/", None,                          200, 200, 200, 200, 200),
    ("post",   f"/calls/{Y}/files/{F}/", {},                            405, 405, 405, 405, 405),
    ("get",    f"/calls/{Y}/files/{DRAFT_F}/", None,                    404, 404, 404, 404, 404),  # another campaign's file
    ("get",    f"/calls/{DRAFT_Y}/files/{DRAFT_F}/", None,              404, 404, 404, 404, 404),
]
# fmt: on

MATRIX = [
    pytest.param(method, path, data, role, answers[i], id=f"{method} {path} {role}")
    for method, path, data, *answers in ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    now = timezone.now()
    campaign = CampaignFactory(
        status=CampaignStatus.OPEN,
        published_at=None,
        submission_opens_at=now - timedelta(days=1),
        submission_closes_at=now + timedelta(days=30),
        call_for_entries="请各地按时申报。",
    )
    TierFactory(campaign=campaign)
    draft = CampaignFactory(status=CampaignStatus.DRAFT, published_at=None)
    files = {}
    for key, owner in (("file", campaign), ("draft_file", draft)):
        item = CampaignFile(campaign=owner, title="申报书模板", content_type="application/pdf")
        item.file.save("template.pdf", ContentFile(PDF), save=False)
        item.size = len(PDF)
        item.save()
        files[key] = item.pk
    target = UserFactory(locality=True, display_name="被管理的账户")
    gone = UserFactory(expert=True, is_active=False)
    return {
        "campaign": campaign.pk,
        "year": campaign.year,
        "draft_year": draft.year,
        "organisation": CountyFactory().pk,
        "account": target.pk,
        "inactive_account": gone.pk,
        **files,
    }


@pytest.fixture
def client_as(make_user):
    """A Client for `role`; "deactivated" is an administrator switched off after signing in."""

    def make(role):
        client = Client()
        if role == "anonymous":
            return client
        if role == "deactivated":
            user = make_user("administrator")
            client.force_login(user)
            User.objects.filter(pk=user.pk).update(is_active=False)
            return client
        client.force_login(make_user(role))
        return client

    return make


def fill(text, world):
    for key, value in world.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def snapshot():
    """Everything a refused request must leave as it was."""
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "status")),
        CampaignStatusChange.objects.count(),
        sorted(CampaignFile.objects.values_list("pk", flat=True)),
        list(User.objects.order_by("pk").values_list("pk", "is_active", "organisation_id")),
        AccountEvent.objects.count(),
        Notification.objects.count(),
    )


def request(client, method, path, data):
    if method == "get":
        return client.get(path)
    if method == "post":
        return client.post(path, data or {})
    return getattr(client, method)(path)


@pytest.mark.parametrize("method,path,data,role,expected", MATRIX)
def test_access(client_as, world, method, path, data, role, expected):
    path = fill(path, world)
    data = {k: fill(v, world) for k, v in (data or {}).items()}
    client = client_as(role)
    before = snapshot()

    r = request(client, method, path, data)

    if expected == LOGIN:
        assert r.status_code == 302, r.status_code
        assert r["Location"] == f"/accounts/login/?next={quote(path)}"
    elif isinstance(expected, str):
        assert r.status_code == 302, r.status_code
        assert r["Location"] == fill(expected, world)
    else:
        assert r.status_code == expected
    if expected in (LOGIN, 403, 404, 405, 400):
        assert snapshot() == before, "a refused request changed something"


# The views of this issue; /manage/ also holds pages of later issues (e.g. the formal check).
ISSUE_VIEW_MODULES = {
    "reform_cases.views.office.campaigns",
    "reform_cases.views.public",
    "reform_cases.views.office.results_import",
    "accounts.views.office",
    "accounts.views.personal_data",
    "accounts.views.signed_in",
    "notifications.views.office",
    "notifications.views.signed_in",
    "django.contrib.auth.views",
}


def test_every_url_of_this_issue_is_in_the_matrix():
    """A new page of this issue under /manage/, /accounts/, /notifications/ or /calls/ gets a row."""
    from config.urls import urlpatterns

    sample = {"pk": 7, "file_pk": 8, "year": 2021, "uidb64": "MQ", "token": "bad-token"}
    placeholders = {"{campaign}": "7", "{account}": "7", "{file}": "8", "{year}": "2021"}
    covered = set()
    for _method, path, *_rest in ROWS:
        for key, value in placeholders.items():
            path = path.replace(key, value)
        covered.add(path)
    missing, checked = [], 0
    for pattern in urlpatterns:
        namespace = getattr(pattern, "namespace", None)
        if namespace not in ("manage", "accounts", "notifications", "calls"):
            continue
        for p in pattern.url_patterns:
            view = p.callback
            module = getattr(getattr(view, "view_class", view), "__module__", "")
            if module not in ISSUE_VIEW_MODULES:
                continue
            checked += 1
            kwargs = {k: sample[k] for k in p.pattern.converters}
            url = reverse(f"{namespace}:{p.name}", kwargs=kwargs)
            if url not in covered:
                missing.append(f"{namespace}:{p.name} ({url})")
    assert checked >= 30  # the filter did not leave everything out
    assert not missing, missing


def test_deactivated_session_shows_an_anonymous_navbar(client_as, world):
    client = client_as("deactivated")
    html = client.get(f"/calls/{world['year']}/").content.decode()
    assert 'href="/accounts/login/"' in html  # the log-in button, not the user's name
    assert "退出" not in html
    assert 'href="/manage/"' not in html


def page_shape(response, path):
    html = response.content.decode().replace(path, "PATH")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


def test_forbidden_page_does_not_leak_the_object(client_as, world):
    """A locality user gets the same 403 for a campaign that exists and one that does not."""
    client = client_as("locality")
    real_path, missing_path = f"/manage/campaigns/{world['campaign']}/", "/manage/campaigns/999999/"
    real, missing = client.get(real_path), client.get(missing_path)
    assert real.status_code == missing.status_code == 403
    # Identical pages apart from the path (language switcher) and the CSRF token (log-out form).
    assert page_shape(real, real_path) == page_shape(missing, missing_path)


def test_post_without_csrf_token_is_refused(make_user, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("administrator"))

    r = client.post(f"/manage/accounts/{world['account']}/active/", {"active": "0"})

    assert r.status_code == 403
    assert User.objects.get(pk=world["account"]).is_active
    assert not AccountEvent.objects.exists()


def test_login_form_without_csrf_token_is_refused(make_user, db):
    user = make_user("administrator")
    client = Client(enforce_csrf_checks=True)

    r = client.post("/accounts/login/", {"username": user.username, "password": "Test-pass-2020"})

    assert r.status_code == 403
    assert "_auth_user_id" not in client.session
