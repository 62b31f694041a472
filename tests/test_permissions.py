"""Who may open which page: every URL of config/urls.py × every role."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from case_text.models import ResemblancePair
from reform_cases.models import CampaignStatus
from tests.factories import CaseFactory, FieldFactory
from tests.helpers import ROLES, case_2020

PUBLIC = "public-case"
HIDDEN = "hidden-case"
HIDDEN_CAMPAIGN = "hidden-campaign"  # the hidden case's campaign (in ranking)
PAIR = "resemblance-pair"  # two cases whose texts resemble each other (重复申报)
AWARDED = "awarded-case"  # the `locality` user's award in a published campaign (获奖证书)
AWARDED_CAMPAIGN = "awarded-campaign"  # its campaign (published)
LOGIN = "login"  # 302 to /accounts/login/?next=…
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=…
UNIT = "unit"  # the `locality` user's organisation (in use: no deletion)
REFORM_FIELD = "reform-field"  # a field of reform (申报领域)

EVERYONE_200 = [
    ("home", {}),
    ("results:list", {}),
    ("privacy", {}),
    ("results:year", {"year": 2020}),
    ("results:year", {"year": 2019}),
    ("results:export-csv", {"year": 2020}),
    ("results:export-xlsx", {"year": 2020}),
    ("cases:detail", {"pk": PUBLIC}),
    ("results:search", {}),
]
EVERYONE_404 = [
    ("cases:detail", {"pk": HIDDEN}),
    ("results:year", {"year": 2030}),  # the hidden case's campaign
    ("results:export-csv", {"year": 2030}),
    ("results:year", {"year": 1999}),
    # A manifest exists only once a result is published (200: tests/reviews/ranking/test_verify_results.py).
    ("api:manifest", {"year": 2030}),
    ("api:manifest", {"year": 1999}),
]

# The office's units and fields pages (tests/accounts/test_organisation_office.py,
# tests/reform_cases/fields/): (url name, kwargs, the administrator's answer); others are refused.
UNITS_AND_FIELDS = [
    ("manage:organisations", {}, 200),
    ("manage:organisation-create", {}, 200),
    ("manage:organisation-detail", {"pk": UNIT}, 200),
    ("manage:organisation-detail", {"pk": 999_999}, 404),
    ("manage:organisation-delete", {"pk": UNIT}, 405),  # POST only
    ("manage:fields", {}, 200),
    ("manage:field-create", {}, 200),
    ("manage:field-detail", {"pk": REFORM_FIELD}, 200),
    ("manage:field-detail", {"pk": 999_999}, 404),
    ("manage:field-delete", {"pk": REFORM_FIELD}, 405),  # POST only
]
NOT_OFFICE = {"anonymous": LOGIN, "deactivated": LOGIN}  # other roles: 403

MATRIX = (
    [(name, kwargs, role, 200) for name, kwargs in EVERYONE_200 for role in ROLES]
    + [(name, kwargs, role, 404) for name, kwargs in EVERYONE_404 for role in ROLES]
    # /favicon.ico sends every browser to the static icon.
    + [("favicon", {}, role, 302) for role in ROLES]
    # The load balancer's probe answers everyone alike (detail: tests/config/test_healthz.py).
    + [("healthz", {}, role, 200) for role in ROLES]
    + [
        (name, kwargs, role, admin if role == "administrator" else NOT_OFFICE.get(role, 403))
        for name, kwargs, admin in UNITS_AND_FIELDS
        for role in ROLES
    ]
    + [
        # url name,                     kwargs, role,             expected
        ("manage:results-import", {}, "anonymous", LOGIN),
        ("manage:results-import", {}, "locality", 403),
        ("manage:results-import", {}, "other_locality", 403),
        ("manage:results-import", {}, "expert", 403),
        ("manage:results-import", {}, "administrator", 200),
        ("manage:results-import", {}, "deactivated", LOGIN),
        ("manage:results-import-apply", {}, "anonymous", LOGIN),
        ("manage:results-import-apply", {}, "locality", 403),
        ("manage:results-import-apply", {}, "other_locality", 403),
        ("manage:results-import-apply", {}, "expert", 403),
        ("manage:results-import-apply", {}, "administrator", 405),  # POST only
        ("manage:results-import-apply", {}, "deactivated", LOGIN),
        # A person's data on request: the office only.
        ("manage:personal-data", {}, "anonymous", LOGIN),
        ("manage:personal-data", {}, "locality", 403),
        ("manage:personal-data", {}, "other_locality", 403),
        ("manage:personal-data", {}, "expert", 403),
        ("manage:personal-data", {}, "administrator", 200),
        ("manage:personal-data", {}, "deactivated", LOGIN),
        # Full-text search over one campaign's cases, any status: the office only.
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "anonymous", LOGIN),
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "locality", 403),
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "other_locality", 403),
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "expert", 403),
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "administrator", 200),
        ("manage:campaign-search", {"pk": HIDDEN_CAMPAIGN}, "deactivated", LOGIN),
        ("manage:campaign-search", {"pk": 999_999}, "administrator", 404),
        # Two resembling cases side by side: the office only, never the locality.
        ("manage:resemblance", {"pk": PAIR}, "anonymous", LOGIN),
        ("manage:resemblance", {"pk": PAIR}, "locality", 403),
        ("manage:resemblance", {"pk": PAIR}, "other_locality", 403),
        ("manage:resemblance", {"pk": PAIR}, "expert", 403),
        ("manage:resemblance", {"pk": PAIR}, "administrator", 200),
        ("manage:resemblance", {"pk": PAIR}, "deactivated", LOGIN),
        ("manage:resemblance", {"pk": 999_999}, "administrator", 404),
        ("manage:resemblance-verdict", {"pk": PAIR}, "anonymous", LOGIN),
        ("manage:resemblance-verdict", {"pk": PAIR}, "locality", 403),
        ("manage:resemblance-verdict", {"pk": PAIR}, "other_locality", 403),
        ("manage:resemblance-verdict", {"pk": PAIR}, "expert", 403),
        ("manage:resemblance-verdict", {"pk": PAIR}, "administrator", 405),  # POST only
        ("manage:resemblance-verdict", {"pk": PAIR}, "deactivated", LOGIN),
        # The award certificate: the submitting unit and the office; a case without an
        # award of a published campaign has none (404), whoever asks.
        ("cases:certificate", {"pk": AWARDED}, "anonymous", LOGIN),
        ("cases:certificate", {"pk": AWARDED}, "locality", 200),
        ("cases:certificate", {"pk": AWARDED}, "other_locality", 404),
        ("cases:certificate", {"pk": AWARDED}, "expert", 403),
        ("cases:certificate", {"pk": AWARDED}, "administrator", 200),
        ("cases:certificate", {"pk": AWARDED}, "deactivated", LOGIN),
        ("cases:certificate", {"pk": HIDDEN}, "administrator", 404),
        ("cases:certificate", {"pk": PUBLIC}, "locality", 404),
        ("cases:certificate", {"pk": 999_999}, "administrator", 404),
        # The organiser's name on the certificates: the office only, after publication too.
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "anonymous", LOGIN),
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "locality", 403),
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "other_locality", 403),
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "expert", 403),
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "administrator", 200),
        ("manage:campaign-organiser", {"pk": AWARDED_CAMPAIGN}, "deactivated", LOGIN),
        ("manage:campaign-organiser", {"pk": 999_999}, "administrator", 404),
        # The 申报书 (issue 19): the unit's own case (any status), and the office's copy.
        ("cases:application-form", {"pk": AWARDED}, "anonymous", LOGIN),
        ("cases:application-form", {"pk": AWARDED}, "locality", 200),
        ("cases:application-form", {"pk": AWARDED}, "other_locality", 404),
        ("cases:application-form", {"pk": AWARDED}, "expert", 403),
        ("cases:application-form", {"pk": AWARDED}, "administrator", 403),
        ("cases:application-form", {"pk": AWARDED}, "deactivated", LOGIN),
        ("cases:application-form", {"pk": PUBLIC}, "locality", 404),
        ("manage:case-application-form", {"pk": AWARDED}, "anonymous", LOGIN),
        ("manage:case-application-form", {"pk": AWARDED}, "locality", 403),
        ("manage:case-application-form", {"pk": AWARDED}, "other_locality", 403),
        ("manage:case-application-form", {"pk": AWARDED}, "expert", 403),
        ("manage:case-application-form", {"pk": AWARDED}, "administrator", 200),
        ("manage:case-application-form", {"pk": AWARDED}, "deactivated", LOGIN),
        ("manage:case-application-form", {"pk": 999_999}, "administrator", 404),
        # The committee's bundle (issue 19; with a real round: tests/reviews/test_review_permissions.py).
        ("manage:bundle-request", {"pk": 999_999}, "anonymous", LOGIN),
        ("manage:bundle-request", {"pk": 999_999}, "locality", 403),
        ("manage:bundle-request", {"pk": 999_999}, "other_locality", 403),
        ("manage:bundle-request", {"pk": 999_999}, "expert", 403),
        ("manage:bundle-request", {"pk": 999_999}, "administrator", 405),  # POST only
        ("manage:bundle-request", {"pk": 999_999}, "deactivated", LOGIN),
        ("manage:bundle-download", {"pk": 999_999}, "anonymous", LOGIN),
        ("manage:bundle-download", {"pk": 999_999}, "locality", 403),
        ("manage:bundle-download", {"pk": 999_999}, "other_locality", 403),
        ("manage:bundle-download", {"pk": 999_999}, "expert", 403),
        ("manage:bundle-download", {"pk": 999_999}, "administrator", 404),
        ("manage:bundle-download", {"pk": 999_999}, "deactivated", LOGIN),
        ("admin:index", {}, "anonymous", ADMIN_LOGIN),
        ("admin:index", {}, "locality", ADMIN_LOGIN),
        ("admin:index", {}, "other_locality", ADMIN_LOGIN),
        ("admin:index", {}, "expert", ADMIN_LOGIN),
        ("admin:index", {}, "administrator", 200),
        ("admin:index", {}, "deactivated", ADMIN_LOGIN),
        ("admin:reform_cases_case_changelist", {}, "expert", ADMIN_LOGIN),
        ("admin:reform_cases_case_changelist", {}, "administrator", 200),
        ("admin:reform_cases_case_changelist", {}, "deactivated", ADMIN_LOGIN),
    ]
)


@pytest.fixture
def case_pks(published_fixtures_for_module, db, owning_organisation):
    hidden = CaseFactory(campaign__year=2030, campaign__status=CampaignStatus.RANKING)
    pair = ResemblancePair.objects.create(
        case=hidden, earlier_case=CaseFactory(campaign=hidden.campaign), similarity=0.8,
        case_hash="", earlier_hash="", detected_at=timezone.now(),
    )  # fmt: skip
    awarded = CaseFactory(organisation=owning_organisation)
    return {
        PUBLIC: case_2020("“大下姜”联合体模式").pk,
        HIDDEN: hidden.pk,
        HIDDEN_CAMPAIGN: hidden.campaign_id,
        PAIR: pair.pk,
        AWARDED: awarded.pk,
        AWARDED_CAMPAIGN: awarded.campaign_id,
        UNIT: owning_organisation.pk,
        REFORM_FIELD: FieldFactory().pk,
    }


@pytest.mark.parametrize("name,kwargs,role,expected", MATRIX)
def test_access(client_for, case_pks, name, kwargs, role, expected):
    kwargs = {k: case_pks.get(v, v) for k, v in kwargs.items()}
    url = reverse(name, kwargs=kwargs)
    client = client_for(role)

    r = client.get(url)

    if expected == LOGIN:
        assert r.status_code == 302
        assert r["Location"] == f"/accounts/login/?next={quote(url)}"
    elif expected == ADMIN_LOGIN:
        assert r.status_code == 302
        assert r["Location"] == f"/admin/login/?next={quote(url)}"
    else:
        assert r.status_code == expected


# The pages of the foundation issue; later issues bring their own matrices.
FOUNDATION_URL_NAMES = {
    "home",
    "results:list",
    "results:year",
    "results:export-csv",
    "results:export-xlsx",
    "cases:detail",
    "manage:results-import",
    "manage:results-import-apply",
    "admin:index",
}


def test_matrix_covers_every_foundation_page_for_every_role():
    for name in FOUNDATION_URL_NAMES:
        roles = {role for n, _kwargs, role, _expected in MATRIX if n == name}
        assert roles == set(ROLES), (name, set(ROLES) - roles)


def test_403_page_is_the_sites_own(client_for, published_fixtures):
    r = client_for("expert").get("/manage/results/import/")
    assert r.status_code == 403
    assert "无权访问" in r.content.decode()


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user("deactivated")
    r = client.post("/accounts/login/", {"username": user.username, "password": "Test-pass-2020"})
    assert r.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    assert client.get("/manage/results/import/").status_code == 302


def test_active_administrator_logs_in_with_the_form(client, make_user):
    user = make_user("administrator")
    r = client.post("/accounts/login/", {"username": user.username, "password": "Test-pass-2020"})
    assert r.status_code == 302
    assert client.get("/manage/results/import/").status_code == 200
