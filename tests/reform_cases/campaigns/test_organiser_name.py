"""The organiser's name on the certificates (主办单位): the office sets or corrects it in any
status, published included, on the record and outside the sealed results.

One certificate PDF is rendered (~0.5 s); everything else is plain requests.
"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from audit import chain
from reform_cases.documents.certificate import render_certificate_pdf
from reform_cases.models import Campaign, CampaignEvent, CampaignEventKind, CampaignStatus
from reform_cases.publication.manifest import HISTORICAL_REASON, freeze_manifest
from tests.factories import CampaignFactory, CaseFactory, UserFactory
from tests.helpers import client_of, messages_of

pytestmark = pytest.mark.django_db

OLD, NEW = "浙江省改革办", "浙江省委党校、《今日浙江》杂志社"


@pytest.fixture
def admin():
    return UserFactory(administrator=True, display_name="组织方钱七")


@pytest.fixture
def awarded():
    """An award of a published campaign whose results manifest is frozen."""
    campaign = CampaignFactory(year=2241, organiser_name=OLD, status=CampaignStatus.PUBLISHED)
    case = CaseFactory(campaign=campaign, title="测试证书案例")
    freeze_manifest(campaign=campaign, by=None, reason=HISTORICAL_REASON)
    return case


def organiser_url(campaign):
    return reverse("manage:campaign-organiser", kwargs={"pk": campaign.pk})


def test_the_office_corrects_the_organiser_after_publication_on_the_record(admin, awarded):
    campaign = awarded.campaign
    office = client_of(admin)
    page = office.get(reverse("manage:campaign-detail", kwargs={"pk": campaign.pk}))
    assert organiser_url(campaign) in page.content.decode()  # the form is on the campaign page

    r = office.post(organiser_url(campaign), {"organiser_name": f"  {NEW}\r\n"})

    assert r.status_code == 302 and r["Location"] == f"/manage/campaigns/{campaign.pk}/"
    assert messages_of(r)[0][0] == "success"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.organiser_name == NEW  # stripped: one line on the certificate
    event = CampaignEvent.objects.get(campaign=campaign)
    assert event.kind == CampaignEventKind.ORGANISER_CHANGED
    assert event.actor == admin
    assert event.note == f"主办单位:{OLD} → {NEW}"
    # The change is chained, and the sealed results still verify: the name is not in them.
    assert chain.verify() == []
    assert OLD not in campaign.manifests.get().content
    out = io.StringIO()
    call_command("verify_results", str(campaign.year), stdout=out, stderr=io.StringIO())
    assert "核验通过" in out.getvalue()
    # The next certificate downloaded carries the new name.
    page = PdfReader(io.BytesIO(render_certificate_pdf(awarded))).pages[0]
    printed = "".join(page.extract_text().split())  # letter-spacing splits words
    assert NEW in printed and OLD not in printed


def test_saving_the_same_name_records_nothing(admin, awarded):
    r = client_of(admin).post(organiser_url(awarded.campaign), {"organiser_name": OLD})

    assert r.status_code == 302
    assert not CampaignEvent.objects.filter(campaign=awarded.campaign).exists()


@pytest.mark.parametrize(
    "typed,kept,why",
    [
        ("省改革办\x00", "省改革办", "空字符"),
        ("改" * 121, "改" * 121, "不能超过 120 个字,现在有 121 个"),
        (" \u3000 \t", None, "不能只填空格"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_says_why(admin, awarded, typed, kept, why):
    r = client_of(admin).post(organiser_url(awarded.campaign), {"organiser_name": typed})

    assert r.status_code == 200
    html = r.content.decode()
    assert why in html
    assert 'class="form-control is-invalid"' in html
    if kept:
        assert f'value="{kept}' in html
    assert Campaign.objects.get(pk=awarded.campaign_id).organiser_name == OLD
    assert not CampaignEvent.objects.filter(campaign=awarded.campaign).exists()


@pytest.mark.parametrize("role", ["anonymous", "locality", "expert"])
def test_only_the_office_may_change_the_organiser(client_for, awarded, role):
    r = client_for(role).post(organiser_url(awarded.campaign), {"organiser_name": NEW})

    if role == "anonymous":
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    else:
        assert r.status_code == 403
    assert Campaign.objects.get(pk=awarded.campaign_id).organiser_name == OLD
