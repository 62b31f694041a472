"""The 申报书: a case as the fixed, printable A4 form the submitting unit stamps.

One HTML template (templates/documents/application_form.html, its CSS beside it) rendered by
WeasyPrint with the CJK font installed on the machine (fonts-wqy-microhei). The form is always
rendered in Chinese, whatever the reader's language: it is the document filed with the office,
and its sections are the Chinese text the unit wrote.

Blind copies (`blind=True`, for experts of a blind round) leave out everything that names the
unit: the submitting unit, the co-implementing units, the region, the contact, and the stamp
box — what the expert's scoring page hides in such a round, and the region besides, since it
narrows the unit down to a few.
"""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.pdf_drawing import draw_pdf
from reform_cases.models import CASE_SECTIONS, Case, CaseStatus

TEMPLATE = "documents/application_form.html"
PDF_CONTENT_TYPE = "application/pdf"
# Statuses in which the text may still change: the form is marked 草稿 on every page.
DRAFT_STATUSES = (CaseStatus.DRAFT, CaseStatus.RETURNED)
# The language of the document filed with the office (see the module docstring).
DOCUMENT_LANGUAGE = "zh-hans"


def is_draft(case: Case) -> bool:
    return case.status in DRAFT_STATUSES


def _paragraphs(text: str) -> list[str]:
    """The section's paragraphs: one per non-blank line, as the unit typed them."""
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


def _sections(case: Case) -> list[dict]:
    return [
        {
            "name": name,
            "label": Case._meta.get_field(name).verbose_name,
            "paragraphs": _paragraphs(getattr(case, name)),
        }
        for name in CASE_SECTIONS
    ]


def application_html(case: Case, *, blind: bool = False) -> str:
    """The form as HTML (what the PDF is rendered from; also a preview in a browser)."""
    with translation.override(DOCUMENT_LANGUAGE):
        return render_to_string(
            TEMPLATE,
            {
                "case": case,
                "blind": blind,
                "draft": is_draft(case),
                "sections": _sections(case),
                "co_organisations": [] if blind else list(case.co_organisations.all()),
                "printed_at": timezone.localtime(),
            },
        )


def render_application_pdf(case: Case, *, blind: bool = False) -> bytes:
    """The case's 申报书 as PDF bytes (A4; 草稿 on every page while the case is a draft)."""
    # No base URL: the form needs no file (its CSS is inline, its font installed), so text a
    # unit typed can never make the renderer read a local file or call a server.
    return draw_pdf(application_html(case, blind=blind))


def application_filename(case: Case) -> str:
    """申报书-<case title>.pdf"""
    return f"申报书-{case.title}.pdf"
