"""The apply step of every upload import runs once, however often the same preview is posted.

Three imports share `common.import_session`: the results (reform_cases), the accounts
(accounts) and the experts (reviews). Posting a preview's token a second time — after the
first apply, or while it is still running (a double click, two tabs) — imports nothing more
and says the import is already done; it never answers 500.
"""

import csv
import io
import time
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts.models import AccountEvent, User
from common.models import AppliedImport
from notifications.models import Notification
from reform_cases.models import Case, CaseEvent, Correction
from reviews.models import ExpertProfile
from tests.factories import UserFactory
from tests.helpers import client_of, message_text, run_together

ALREADY = "这次导入已经完成"
EXPIRED = "导入预览已过期"


def _csv(header, rows, name):
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


@dataclass(frozen=True)
class Import:
    """One of the platform's upload imports, as the office uses it."""

    upload_url: str
    apply_url: str
    done_url: str  # where a successful apply leads
    session_key: str
    service: str  # "module:attribute" the apply view calls (patched to slow it down)
    needs_published_results: bool

    growth: dict  # what one apply adds (the counts of `rows`; the others stay)

    def file(self):
        return FILES[self.session_key]()

    @staticmethod
    def rows():
        """What an import may add, counted: it must grow once and only once."""
        return {
            "cases": Case.objects.count(),
            "case events": CaseEvent.objects.count(),
            "corrections": Correction.objects.count(),
            "users": User.objects.count(),
            "account events": AccountEvent.objects.count(),
            "expert profiles": ExpertProfile.objects.count(),
            "notifications": Notification.objects.count(),
        }


def grown(before, after):
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


FILES = {
    # A new 2020 case and a change of an existing one (a correction): both must happen once.
    "results_import": lambda: _csv(
        ["year", "tier", "title", "units", "region", "field", "evidence"],
        [
            ["2020", "excellent", "西湖区“城市大脑”停车治理", "西湖区", "杭州市", "营商环境", "S9"],
            [
                "2020",
                "excellent",
                "衢江区“县乡一体、条抓块统”",
                "衢江区",
                "衢州市",
                "基层社会治理",
                "S1",
            ],
        ],
        "2020-more.csv",
    ),
    "account_import": lambda: _csv(
        ["name", "email", "phone", "role", "organisation", "city", "username"],
        [
            ["李四", "lisi@example.org", "", "expert", "", "", ""],
            ["赵六", "zhaoliu@example.org", "", "expert", "", "", "zhaoliu"],
        ],
        "accounts.csv",
    ),
    "expert_import": lambda: _csv(
        [
            "name",
            "email",
            "phone",
            "affiliation",
            "city",
            "institution",
            "inside",
            "fields",
            "max_cases",
        ],
        [
            ["孙专家", "sun@example.org", "", "", "", "上海交通大学", "否", "", ""],
            ["钱专家", "qian@example.org", "", "", "", "浙江大学", "是", "", "12"],
        ],
        "experts.csv",
    ),
}

IMPORTS = {
    "results": Import(
        upload_url="/manage/results/import/",
        apply_url="/manage/results/import/apply/",
        done_url="/manage/results/import/",
        session_key="results_import",
        service="reform_cases.publication.results_import:apply_import",
        needs_published_results=True,
        # the new case and the correction of the other, each with its case event
        growth={"cases": 1, "case events": 2, "corrections": 1},
    ),
    "accounts": Import(
        upload_url="/manage/accounts/import/",
        apply_url="/manage/accounts/import/apply/",
        done_url="/manage/accounts/",
        session_key="account_import",
        service="accounts.views.office:apply_account_import",
        needs_published_results=False,
        # two accounts, each created and invited (an event each) and e-mailed
        growth={"users": 2, "account events": 4, "notifications": 2},
    ),
    "experts": Import(
        upload_url="/manage/experts/import/",
        apply_url="/manage/experts/import/apply/",
        done_url="/manage/experts/",
        session_key="expert_import",
        service="reviews.views.office.panels:apply_expert_import",
        needs_published_results=False,
        growth={"users": 2, "account events": 4, "notifications": 2, "expert profiles": 2},
    ),
}


@pytest.fixture(params=list(IMPORTS))
def imp(request):
    imp = IMPORTS[request.param]
    if imp.needs_published_results:
        request.getfixturevalue("published_fixtures")
    return imp


@pytest.fixture
def office(db):
    return client_of(UserFactory(administrator=True))


def preview(client, imp) -> str:
    """Upload the file; the preview's one-time token."""
    r = client.post(imp.upload_url, {"file": imp.file()})
    assert r.status_code == 200, r.content.decode()[:500]
    assert r.context["plan"].ok, r.context["plan"].errors
    return r.context["token"]


def patch_service(monkeypatch, imp, replacement):
    module, attribute = imp.service.split(":")
    original = getattr(__import__(module, fromlist=[attribute]), attribute)
    monkeypatch.setattr(f"{module}.{attribute}", replacement(original))


# --- one request after the other (both databases) ----------------------------------------------


@pytest.mark.django_db
def test_posting_the_apply_step_twice_imports_once(imp, office):
    token = preview(office, imp)
    before = imp.rows()

    first = office.post(imp.apply_url, {"token": token})
    assert (first.status_code, first["Location"]) == (302, imp.done_url)
    after_first = imp.rows()
    assert grown(before, after_first) == imp.growth

    second = office.post(imp.apply_url, {"token": token})

    assert (second.status_code, second["Location"]) == (302, imp.upload_url)
    assert ALREADY in message_text(second)
    assert EXPIRED not in message_text(second)
    assert imp.rows() == after_first
    assert AppliedImport.objects.filter(kind=imp.session_key, token=token).count() == 1


@pytest.mark.django_db
def test_a_request_that_still_holds_the_token_imports_nothing(imp, office):
    """What the second of two simultaneous requests sees: the token still in its session."""
    token = preview(office, imp)
    stashed = office.session[imp.session_key]
    office.post(imp.apply_url, {"token": token})
    after_first = imp.rows()
    session = office.session
    session[imp.session_key] = stashed  # as loaded before the first request removed it
    session.save()

    second = office.post(imp.apply_url, {"token": token})

    assert (second.status_code, second["Location"]) == (302, imp.upload_url)
    assert ALREADY in message_text(second)
    assert imp.rows() == after_first
    assert imp.session_key not in office.session  # and the stale preview is gone


@pytest.mark.django_db
def test_an_apply_that_fails_can_be_posted_again(imp, office, monkeypatch):
    """The claim on the token is part of the import's transaction: a refusal releases it."""
    token = preview(office, imp)
    before = imp.rows()

    def refusing(original):
        def apply(**kwargs):
            original(**kwargs)  # writes its rows, then fails: all of it must roll back
            raise ValidationError("名额已满(测试)")

        return apply

    with monkeypatch.context() as patched:
        patch_service(patched, imp, refusing)
        refused = office.post(imp.apply_url, {"token": token})

    assert refused.status_code == 200  # the preview again, with the reason
    assert "名额已满(测试)" in refused.content.decode()
    assert imp.rows() == before
    assert not AppliedImport.objects.exists()

    again = office.post(imp.apply_url, {"token": token})
    assert (again.status_code, again["Location"]) == (302, imp.done_url)
    assert imp.rows() != before


@pytest.mark.django_db
def test_a_forged_token_is_still_told_the_preview_expired(imp, office):
    token = preview(office, imp)
    office.post(imp.apply_url, {"token": token})
    r = office.post(imp.apply_url, {"token": "forged-token"})
    assert (r.status_code, r["Location"]) == (302, imp.upload_url)
    assert EXPIRED in message_text(r)


# --- two requests at the same moment (PostgreSQL: real concurrent transactions) ----------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_applies_import_once_and_neither_fails(imp, monkeypatch):
    first = client_of(UserFactory(administrator=True))
    token = preview(first, imp)
    second = Client()
    second.cookies = first.cookies  # the same session: a double click, or a second tab
    before = imp.rows()

    def slow(original):
        # Hold the import's transaction open long enough for the other request to load the
        # session (token still there), check the plan and reach the claim.
        def apply(**kwargs):
            time.sleep(0.5)
            return original(**kwargs)

        return apply

    patch_service(monkeypatch, imp, slow)

    def post(client):
        r = client.post(imp.apply_url, {"token": token})
        return r.status_code, r.get("Location"), message_text(r)

    answers = run_together(lambda: post(first), lambda: post(second))

    assert sorted(status for status, _location, _text in answers) == [302, 302]
    # One imported (→ where a finished import leads), one was told so (→ the upload page).
    locations = sorted(location for _status, location, _text in answers)
    assert locations == sorted([imp.done_url, imp.upload_url])
    assert sum(ALREADY in text for _s, _l, text in answers) == 1
    assert AppliedImport.objects.filter(token=token).count() == 1

    # Exactly one import's worth of rows: what one apply on its own adds.
    assert grown(before, imp.rows()) == imp.growth
