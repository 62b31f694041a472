"""The locality's list and the formal-check list cost the same few queries for 5 or 50 cases."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reform_cases.models import Attachment, AttachmentKind, Case, CaseStatus
from tests.factories import PDF, TEXT, FieldFactory, UserFactory, open_campaign

MAX_QUERIES = 10


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _cases(campaign, organisation, n, *, status):
    """n cases of `organisation`, each with a field, a co-implementing unit and an attachment."""
    field = FieldFactory()
    partner = UserFactory(locality=True).organisation
    cases = Case.objects.bulk_create(
        [
            Case(
                campaign=campaign,
                organisation=organisation,
                region=organisation.parent,
                field=field,
                title=f"查询测试案例{i:03d}",
                title_key=f"查询测试案例{i:03d}",
                summary=TEXT["summary"],
                status=status,
            )
            for i in range(n)
        ]
    )
    through = Case.co_organisations.through
    through.objects.bulk_create([through(case=c, organisation=partner) for c in cases])
    Attachment.objects.bulk_create(
        [
            Attachment(
                case=c,
                kind=AttachmentKind.APPLICATION_FORM,
                file=f"attachments/{campaign.pk}/{c.pk}/x/申报书.pdf",
                original_name="申报书.pdf",
                content_type="application/pdf",
                size=len(PDF),
            )
            for c in cases
        ]
    )
    return cases


def _get(client, url, n):
    """(number of queries, SQL) of one GET of a page that must list n cases."""
    cache.clear()  # every page counted cold (the unread count is cached per user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("查询测试案例") == n
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.fixture
def locality_pages(client, db):
    """url of /cases/mine/ for an organisation with n cases, for n in (5, 50)."""

    def make(n):
        user = UserFactory(locality=True)  # a fresh organisation each time
        client.force_login(user)
        _cases(open_campaign(), user.organisation, n, status=CaseStatus.DRAFT)
        return reverse("cases:mine")

    return client, make


@pytest.fixture
def check_pages(client, make_user):
    """url of the formal-check list of a campaign with n submissions."""
    client.force_login(make_user("administrator"))
    organisation = UserFactory(locality=True).organisation

    def make(n):
        campaign = open_campaign()
        _cases(campaign, organisation, n, status=CaseStatus.SUBMITTED)
        return reverse("manage:submissions", kwargs={"pk": campaign.pk})

    return client, make


@pytest.mark.parametrize("pages", ["locality_pages", "check_pages"])
def test_list_queries_do_not_grow_with_the_cases(db, request, pages):
    client, make = request.getfixturevalue(pages)
    counts = {n: _get(client, make(n), n)[0] for n in (5, 50)}
    print(f"{pages}: {counts}")
    assert counts[5] == counts[50]


@pytest.mark.parametrize("pages", ["locality_pages", "check_pages"])
def test_list_queries_stay_within_budget(db, request, pages, django_assert_max_num_queries):
    client, make = request.getfixturevalue(pages)
    for n in (5, 50):
        url = make(n)
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get(url).status_code == 200
