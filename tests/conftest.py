import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import translation

from accounts.models import Organisation
from reform_cases.models import (
    Campaign,
    CampaignStatus,
    Case,
    CaseOutcome,
    CaseStatus,
    Field,
    normalise_title,
)
from site_setup.fixtures_list import FIXTURE_FILES
from tests.factories import (
    CampaignFactory,
    CityFactory,
    CountyFactory,
    FieldFactory,
    TierFactory,
    UserFactory,
)

# The crawl's `world` fixture (tests/page_crawl.py), shared by the page checks.
pytest_plugins = ["tests.page_crawl"]


@pytest.fixture(autouse=True)
def _default_language():
    # A request made in English leaves English active on the thread (LocaleMiddleware does
    # not reset it); messages checked outside a request are the default language's.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    # Public pages are cached; under Redis the cache outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published_fixtures(db):
    """The shipped organisations, fields, the 2019 and 2020 campaigns and their cases."""
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    return Campaign.objects.get(year=2020, is_demo=False)


@pytest.fixture(scope="module")
def published_fixtures_for_module(django_db_setup, django_db_blocker):
    """The same fixtures, loaded once for a whole module of read-mostly tests.

    They are committed, so each test still runs in its own transaction that is
    rolled back; they are deleted again when the module ends. Much faster than
    `published_fixtures` for a large parametrised matrix.
    """
    with django_db_blocker.unblock():
        call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            # The fixtures hold no events or corrections (those would protect the cases).
            Case.objects.all().delete()  # with their co-organisations
            Campaign.objects.all().delete()  # with tiers
            Field.objects.all().delete()
            Organisation.objects.filter(parent__isnull=False).delete()
            Organisation.objects.all().delete()


@pytest.fixture
def owning_organisation(db):
    """The organisation the `locality` user belongs to."""
    return CountyFactory()


@pytest.fixture
def make_user(db, owning_organisation):
    def make(role):
        if role == "locality":
            return UserFactory(locality=True, organisation=owning_organisation)
        if role == "other_locality":
            return UserFactory(locality=True)
        if role == "expert":
            return UserFactory(expert=True)
        if role == "administrator":
            return UserFactory(administrator=True)
        if role == "deactivated":
            # The strongest account there is, switched off: it must count for nothing.
            return UserFactory(administrator=True, is_active=False)
        raise ValueError(role)

    return make


@pytest.fixture
def client_for(make_user):
    """A Client signed in as `role`; `client.user` is the user (None when anonymous)."""

    def make(role):
        client = Client()
        client.user = None
        if role != "anonymous":
            client.user = make_user(role)
            client.force_login(client.user)
        return client

    return make


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.user = UserFactory(administrator=True, is_superuser=True)
    client.force_login(client.user)
    return client


@pytest.fixture
def campaign_with(db):
    """campaign_with(cases=n): a published campaign with two tiers and n public cases.

    Every tenth case is "selected" (no tier); the rest alternate between the
    tiers. Each case has a unit, a co-implementing unit, a region and a field.
    """

    def make(*, cases, status=CampaignStatus.PUBLISHED):
        campaign = CampaignFactory(status=status)
        best = TierFactory(
            campaign=campaign,
            code="best",
            name="最佳实践案例",
            name_en="Best practice",
            order=1,
            quota=max(cases, 10),
        )
        excellent = TierFactory(
            campaign=campaign,
            code="excellent",
            name="优秀实践案例",
            name_en="Excellent practice",
            order=2,
            quota=max(cases, 40),
        )
        cities = CityFactory.create_batch(3)
        units = [CountyFactory(parent=cities[i % 3]) for i in range(6)]
        fields = FieldFactory.create_batch(3)
        objs = []
        for i in range(cases):
            title = f"{campaign.year}年度测试案例“第{i:04d}号”"
            unit = units[i % len(units)]
            if i % 10 == 9:
                outcome, tier = CaseOutcome.SELECTED, None
            else:
                outcome, tier = CaseOutcome.AWARDED, (best if i % 2 == 0 else excellent)
            objs.append(
                Case(
                    campaign=campaign,
                    title=title,
                    title_key=normalise_title(title),
                    organisation=unit,
                    region=unit.parent,
                    field=fields[i % len(fields)],
                    summary="测试用案例。",
                    status=CaseStatus.ACCEPTED,
                    outcome=outcome,
                    tier=tier,
                    is_historical=True,
                )
            )
        Case.objects.bulk_create(objs, batch_size=500)
        through = Case.co_organisations.through
        pks = Case.objects.filter(campaign=campaign).values_list("pk", flat=True)
        through.objects.bulk_create(
            [
                through(case_id=pk, organisation_id=units[(i + 1) % len(units)].pk)
                for i, pk in enumerate(pks)
            ],
            batch_size=500,
        )
        campaign.tier_best, campaign.tier_excellent = best, excellent
        return campaign

    return make


# --- real browser (Playwright driving Debian's Chromium) ------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
        message = f"Chromium not found at {executable} (set CHROMIUM_PATH)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def orm(browser):
    """Close the connections the test opened while Playwright's loop was running.

    With an event loop running in this thread, Django keeps those connections apart
    from pytest-django's own; left open, PostgreSQL refuses to drop the test database.
    """
    yield
    connections.close_all()
