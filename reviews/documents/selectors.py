"""Looking up a traceable copy by the code printed on it (the office's page)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from reform_cases.models import ApplicationFormDownload, AttachmentDownload
from reviews.documents.watermark import normalise_code


class CopyKind(models.TextChoices):
    APPLICATION_FORM = "application_form", _("申报书")
    ATTACHMENT = "attachment", _("附件")


@dataclass(frozen=True)
class TracedCopy:
    kind: CopyKind
    code: str
    at: datetime
    user: object  # the account, or None once it was deleted
    ip_address: str | None
    case: object
    file_name: str
    blind: bool

    @property
    def is_attachment(self) -> bool:
        return self.kind == CopyKind.ATTACHMENT


def copy_by_code(text: str) -> TracedCopy | None:
    """The download whose copy carries `text` (as a person typed it), or None. Two queries
    at most, whatever the size of the logs (both codes are indexed)."""
    code = normalise_code(text)
    if not code:
        return None
    row = (
        AttachmentDownload.objects.select_related("attachment__case__campaign", "user")
        .filter(watermark_code=code)
        .first()
    )
    if row is not None:
        return TracedCopy(
            kind=CopyKind.ATTACHMENT,
            code=code,
            at=row.at,
            user=row.user,
            ip_address=row.ip_address,
            case=row.attachment.case,
            file_name=row.attachment.original_name,
            blind=False,
        )
    row = (
        ApplicationFormDownload.objects.select_related("case__campaign", "user")
        .filter(watermark_code=code)
        .first()
    )
    if row is None:
        return None
    return TracedCopy(
        kind=CopyKind.APPLICATION_FORM,
        code=code,
        at=row.at,
        user=row.user,
        ip_address=row.ip_address,
        case=row.case,
        file_name=str(CopyKind.APPLICATION_FORM.label),
        blind=row.blind,
    )
