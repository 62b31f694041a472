"""The award certificate (获奖证书): one A4 landscape page per awarded case.

Rendered by WeasyPrint from templates/documents/certificate.html (its CSS beside it) with the
CJK font installed on the machine, always in Chinese like the 申报书 (application_form.py):
the certificate is the office's document, the same whoever downloads it.

It exists only for an award (a tier) of a published campaign
(`publication.rules.has_certificate`): during the notice a tier may still change. It reads the
case as it is now, so a correction after publication (a new tier, a new title) shows on the next
download. No seal is drawn: the office stamps the printed copy, in the place the page leaves
for it, above the organiser's name (the campaign's `organiser_name`) and the date.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.links import absolute_url
from common.lists import join_list
from common.pdf_drawing import draw_pdf
from reform_cases.models import Case
from reform_cases.publication.rules import has_certificate

TEMPLATE = "documents/certificate.html"
PDF_CONTENT_TYPE = "application/pdf"
DOCUMENT_LANGUAGE = "zh-hans"  # see the module docstring
# Above this many characters of title and co-implementing units the text is set smaller, so
# that the longest title (200) with a dozen units still ends above the organiser's name.
COMPACT_FROM_CHARACTERS = 90


class NoCertificate(ValueError):
    """The case has no certificate: not an award of a published campaign."""


def certificate_number(case: Case) -> str:
    """'2020-000123': the year and the case's id, which no correction changes."""
    return f"{case.campaign.year}-{case.pk:06d}"


def award_date(case: Case):
    """The announcement date (揭晓日期) the office set, else the day it published."""
    campaign = case.campaign
    if campaign.announced_on:
        return campaign.announced_on
    return timezone.localdate(campaign.published_at) if campaign.published_at else None


def nested_quotes(title: str) -> str:
    """The title's own double quotes as single ones: the certificate quotes the title, and
    Chinese nests “…‘…’…”."""
    return title.replace("\u201c", "\u2018").replace("\u201d", "\u2019")


def certificate_html(case: Case) -> str:
    """The certificate as HTML (what the PDF is rendered from)."""
    if not has_certificate(case):
        raise NoCertificate(case.pk)
    with translation.override(DOCUMENT_LANGUAGE):
        co_organisations = join_list(o.name for o in case.co_organisations.all())
        return render_to_string(
            TEMPLATE,
            {
                "case": case,
                "title": nested_quotes(case.title),
                "campaign": case.campaign,
                "organisation": case.organisation.name if case.organisation else "",
                "co_organisations": co_organisations,
                "compact": len(case.title) + len(co_organisations) > COMPACT_FROM_CHARACTERS,
                "tier": case.tier.name,
                "date": award_date(case),
                "number": certificate_number(case),
                "check_url": absolute_url(case.get_absolute_url()),
            },
        )


def render_certificate_pdf(case: Case) -> bytes:
    """The case's certificate as PDF bytes; NoCertificate when it has none."""
    return draw_pdf(certificate_html(case), str(settings.BASE_DIR))


def certificate_filename(case: Case) -> str:
    return f"获奖证书-{case.title}.pdf"
