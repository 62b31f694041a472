"""The award certificate (获奖证书): its content, when it exists, who gets it, where it is linked.

PDFs cost ~0.5 s each: one certificate is checked for every fact it must state, one for the
longest content it may have to fit; the views render one for each role that gets one.
"""

import datetime
import io
import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from reform_cases.campaigns.forms import CampaignForm
from reform_cases.documents.certificate import (
    NoCertificate,
    certificate_html,
    certificate_number,
    render_certificate_pdf,
)
from reform_cases.models import Campaign, CampaignStatus, CaseOutcome
from reform_cases.publication.rules import can_download_certificate, has_certificate
from tests.factories import CampaignFactory, CaseFactory, CountyFactory, UserFactory
from tests.helpers import client_of

A4_LANDSCAPE = (842, 595)  # points, rounded


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def baselines(page) -> dict[str, float]:
    """The height on the page of each run of text (the first, for a repeated run)."""
    heights = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            heights.setdefault(squeezed(text).rstrip("。"), tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    return heights


def squeezed(text: str) -> str:
    """The text without white space: letter-spacing and line breaks split words in the PDF."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def awarded(db):
    campaign = CampaignFactory(
        year=2231,
        title="2231年度改革创新实践案例评选",
        organiser_name="浙江省改革办",
        announced_on=datetime.date(2232, 1, 28),
    )
    return CaseFactory(
        campaign=campaign,
        title="“浙里办”一件事集成改革",
        tier__name="最佳实践案例",
        tier__campaign=campaign,
        organisation=CountyFactory(name="测试县"),
        co_organisations=[CountyFactory(name="协作县甲"), CountyFactory(name="协作县乙")],
    )


def test_the_certificate_states_the_award_on_one_landscape_page(awarded):
    data = render_certificate_pdf(awarded)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_LANDSCAPE
    text = squeezed(reader.pages[0].extract_text())
    for fact in (
        "获奖证书",
        "测试县",
        "协作县甲",
        "协作县乙",
        "“‘浙里办’一件事集成改革”",  # quotes in the quoted title nest as Chinese nests them
        "2231年度改革创新实践案例评选",
        "最佳实践案例",
        "浙江省改革办",
        "2232年1月28日",  # the announcement date, as Chinese dates are written
        certificate_number(awarded),
        f"/cases/{awarded.pk}/",  # where anyone may check it
    ):
        assert fact in text, fact
    # No forged seal: the page draws no picture, only a place for the printed one.
    assert "盖章处" in text
    assert list(reader.pages[0].images) == []


def test_a_long_title_and_many_units_still_fit_one_page(db):
    campaign = CampaignFactory(organiser_name="某某省全面深化改革委员会办公室")
    case = CaseFactory(
        campaign=campaign,
        title="关于" + "深化改革创新" * 32 + "的实践",  # near the 200-character limit
        co_organisations=[CountyFactory(name=f"第{n}协作单位某某县") for n in range(12)],
    )
    assert len(case.title) <= 200

    reader = PdfReader(io.BytesIO(render_certificate_pdf(case)))

    assert len(reader.pages) == 1
    assert "第11协作单位某某县" in squeezed(reader.pages[0].extract_text())
    # The text ends above the place for the seal, which sits above the organiser's name
    # (PDF heights grow upwards).
    heights = baselines(reader.pages[0])
    assert heights["特发此证"] > heights["盖章处"] > heights["某某省全面深化改革委员会办公室"]


def test_the_certificate_is_always_in_chinese(awarded):
    with translation.override("en"):
        html = certificate_html(awarded)
    assert "获奖证书" in html and 'lang="zh-Hans"' in html


@pytest.mark.parametrize(
    "campaign_status,outcome,demo",
    [
        (CampaignStatus.NOTICE, CaseOutcome.AWARDED, False),  # the tier may still change
        (CampaignStatus.LOCKED, CaseOutcome.AWARDED, False),
        (CampaignStatus.PUBLISHED, CaseOutcome.SELECTED, False),  # 入选 without a tier
        (CampaignStatus.PUBLISHED, CaseOutcome.NOT_AWARDED, False),
        (CampaignStatus.PUBLISHED, CaseOutcome.AWARDED, True),  # a demo campaign
    ],
)
def test_only_an_award_of_a_published_campaign_has_a_certificate(
    db, campaign_status, outcome, demo
):
    case = CaseFactory(campaign__status=campaign_status, campaign__is_demo=demo, outcome=outcome)
    assert not has_certificate(case)
    with pytest.raises(NoCertificate):
        render_certificate_pdf(case)
    assert has_certificate(CaseFactory())


def test_the_unit_and_the_office_may_download_it_nobody_else(awarded):
    unit = UserFactory(locality=True, organisation=awarded.organisation)
    co_unit = UserFactory(locality=True, organisation=awarded.co_organisations.first())
    assert can_download_certificate(unit, awarded)
    assert can_download_certificate(UserFactory(administrator=True), awarded)
    assert not can_download_certificate(co_unit, awarded)
    assert not can_download_certificate(UserFactory(locality=True), awarded)
    assert not can_download_certificate(UserFactory(expert=True), awarded)


def test_the_unit_downloads_it_as_a_private_pdf_named_in_chinese(awarded):
    unit = UserFactory(locality=True, organisation=awarded.organisation)

    r = client_of(unit).get(reverse("cases:certificate", kwargs={"pk": awarded.pk}))

    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert quote("获奖证书-“浙里办”一件事集成改革.pdf", safe="") in r["Content-Disposition"]
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r["Cache-Control"]
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert "测试县" in squeezed(pdf_pages(body)[0])


def test_no_certificate_is_a_404_even_for_the_office(db):
    on_notice = CaseFactory(campaign__status=CampaignStatus.NOTICE)
    admin = client_of(UserFactory(administrator=True))
    unit = client_of(UserFactory(locality=True, organisation=on_notice.organisation))
    url = reverse("cases:certificate", kwargs={"pk": on_notice.pk})
    assert admin.get(url).status_code == 404
    assert unit.get(url).status_code == 404
    assert admin.get(reverse("cases:certificate", kwargs={"pk": 999_999})).status_code == 404
    assert admin.post(url).status_code == 405


def test_the_unit_and_the_office_case_pages_link_it_only_once_published(awarded):
    unit = client_of(UserFactory(locality=True, organisation=awarded.organisation))
    admin = client_of(UserFactory(administrator=True))
    link = reverse("cases:certificate", kwargs={"pk": awarded.pk})
    own_page = reverse("cases:mine-detail", kwargs={"pk": awarded.pk})
    office_page = reverse("manage:case-detail", kwargs={"pk": awarded.pk})
    assert link in unit.get(own_page).content.decode()
    assert link in admin.get(office_page).content.decode()

    awarded.campaign.status = CampaignStatus.NOTICE
    awarded.campaign.save(update_fields=["status"])
    assert link not in unit.get(own_page).content.decode()
    assert link not in admin.get(office_page).content.decode()


def test_the_office_sets_the_organiser_in_the_campaign_settings(db):
    campaign = CampaignFactory(status=CampaignStatus.DRAFT, year=2099)
    data = {"year": campaign.year, "title": campaign.title, "organiser_name": "某省改革办"}
    form = CampaignForm(data, instance=campaign)
    assert form.is_valid(), form.errors
    assert form.save().organiser_name == "某省改革办"


def test_without_a_date_on_record_the_certificate_leaves_a_line_to_date_by_hand(awarded):
    """A campaign loaded from the public record may have neither an announcement date nor a
    publication time: no date is invented, the line is left for the office's pen."""
    Campaign.objects.filter(pk=awarded.campaign_id).update(announced_on=None, published_at=None)
    awarded.refresh_from_db()

    html = certificate_html(awarded)

    assert '<div class="date blank-date">　　年　　月　　日</div>' in html
    assert "2232" not in html
