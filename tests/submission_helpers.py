"""Plain helpers shared by the submission tests (issue 4): campaigns, cases, uploads."""

import itertools
from datetime import timedelta

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reform_cases.models import AttachmentKind, CampaignStatus, Case, CaseOutcome, CaseStatus
from reform_cases.submission import services as submission_services
from tests.factories import CampaignFactory, CaseFactory, FieldFactory

# A small PDF that starts like every PDF does ("%PDF-").
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

REQUIRED_KINDS = [AttachmentKind.APPLICATION_FORM, AttachmentKind.RECOMMENDATION_LETTER]

# Every required field of a case, filled in (field is added by complete_fields()).
TEXT = {
    "title": "“最多跑一次”改革再深化",
    "summary": "以群众和企业到政府办事“最多跑一次”为目标。",
    "background": "办事难、办事慢、多头跑。",
    "measures": "一窗受理、集成服务。",
    "results": "平均办理时间缩短一半。",
    "innovation": "以数据共享替代材料提交。",
    "replicability": "已在全省推广。",
    "contact_name": "张三",
    "contact_phone": "13800138000",
}
TEXT_FIELDS = (
    "title",
    "summary",
    "background",
    "measures",
    "results",
    "innovation",
    "replicability",
    "contact_name",
)


def pdf(name="申报书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def open_campaign(**kwargs):
    """A campaign taking submissions now; both the application form and the letter required."""
    now = timezone.now()
    values = {
        "status": CampaignStatus.OPEN,
        "published_at": None,
        "submission_opens_at": now - timedelta(days=10),
        "submission_closes_at": now + timedelta(days=30),
        "required_attachment_kinds": [str(k) for k in REQUIRED_KINDS],
    }
    values.update(kwargs)
    return CampaignFactory(**values)


_numbers = itertools.count(1)


def complete_fields(**overrides):
    """Model values of a case with every required field (titles unique within a campaign)."""
    title = f"{TEXT['title']}({next(_numbers)})"
    return {**TEXT, "title": title, "field": FieldFactory(), **overrides}


def draft_case(campaign, organisation, **fields) -> Case:
    """A draft of `organisation` (only what is given is filled in)."""
    values = {
        "campaign": campaign,
        "organisation": organisation,
        "status": CaseStatus.DRAFT,
        "outcome": CaseOutcome.PENDING,
        "summary": "",
        "field": None,
    }
    values.update(fields)
    return CaseFactory(**values)


def attach(case, by, kind=AttachmentKind.APPLICATION_FORM, name="申报书.pdf", content=PDF):
    return submission_services.add_attachment(
        case=case, by=by, upload=pdf(name, content), kind=str(kind)
    )


def complete_case(campaign, organisation, by, **overrides) -> Case:
    """A draft with every required field and attachment kind: ready to submit."""
    case = draft_case(campaign, organisation, **complete_fields(**overrides))
    for kind in campaign.required_attachment_kinds:
        attach(case, by, kind=kind, name=f"{kind}.pdf")
    return case


def submitted_case(campaign, organisation, by, **overrides) -> Case:
    case = complete_case(campaign, organisation, by, **overrides)
    return submission_services.submit_case(case=case, by=by)


def form_data(case=None, **overrides) -> dict:
    """The POST of the case form: the case's current values, then `overrides`."""
    data = {}
    if case is not None:
        for name in (*TEXT_FIELDS, "contact_phone"):
            data[name] = getattr(case, name)
        data["field"] = case.field_id or ""
        data["co_organisations"] = [o.pk for o in case.co_organisations.all()]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the request queued."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def message_text(response) -> str:
    return " ".join(text for _, text in messages_of(response))
