"""An expert's traceable copies of a case's files.

An expert never takes the stored file away: the 申报书 (rendered for them, the blind form in
a blind round) and each PDF attachment come with the expert's name, the time and a fresh code
on every page (`watermark.py`), and the download is logged with that code
(`ApplicationFormDownload`, `AttachmentDownload.watermark_code`), so that the office can
look a leaked copy's code up (`selectors.copy_by_code`). The log row and the copy are made in
one transaction: the row's time is the one stamped, and a copy that cannot be made leaves no
row. Files that are not PDF (images, DOCX, XLSX), and PDFs pypdf cannot read, are served as
stored and logged as before (without a code).
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from common.stored_files import open_stored
from reform_cases.documents.application_form import application_filename, render_application_pdf
from reform_cases.filetypes import SIGNATURES
from reform_cases.models import ApplicationFormDownload, AttachmentDownload
from reform_cases.personal_copies import PersonalCopy
from reviews.documents.watermark import Stamp, WatermarkFailed, new_code, watermark_pdf

logger = logging.getLogger(__name__)

PDF_TYPE = SIGNATURES["pdf"]
STAMP_TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class FormCopy:
    data: bytes
    filename: str
    code: str


def takes_traceable_copies(user) -> bool:
    """Experts (not the office, not the localities) get watermarked copies."""
    return user.is_authenticated and user.role == Role.EXPERT and not user.is_administrator


def _stamp(user, at, code) -> Stamp:
    username = user.get_username()
    reader = f"{user.display_name}({username})" if user.display_name else username
    return Stamp(reader=reader, at=timezone.localtime(at).strftime(STAMP_TIME_FORMAT), code=code)


def _read(fieldfile) -> bytes:
    """The stored file's bytes (Http404 when missing, StoreUnavailable when unreadable)."""
    stream, _size = open_stored(fieldfile)
    try:
        return stream.read()
    finally:
        stream.close()


def attachment_copy(*, attachment, by, ip_address) -> PersonalCopy | None:
    """`by`'s watermarked copy of a PDF attachment, logged with its code; None when `by` is
    not an expert or the file is not a PDF that pypdf can read: the view then serves and logs
    the stored file as for anyone else (a viewer may open a damaged PDF that pypdf cannot,
    and an expert must not be kept from a case's file; such downloads are the log's rows
    without a code, and the warning names the file)."""
    if not takes_traceable_copies(by) or attachment.content_type != PDF_TYPE:
        return None
    data = _read(attachment.file)
    try:
        with transaction.atomic():
            download = AttachmentDownload.objects.create(
                attachment=attachment, user=by, ip_address=ip_address, watermark_code=new_code()
            )
            stamped = watermark_pdf(data, _stamp(by, download.at, download.watermark_code))
    except WatermarkFailed as exc:  # the log row is rolled back with the failed copy
        logger.warning("Attachment %s served without a watermark: %s", attachment.pk, exc)
        return None
    return PersonalCopy(data=stamped)


def register_copy_maker() -> None:
    from reform_cases.personal_copies import register_copy_maker as register

    register(_make_attachment_copy)


def _make_attachment_copy(*, attachment, user, ip_address):
    return attachment_copy(attachment=attachment, by=user, ip_address=ip_address)


@transaction.atomic
def application_form_copy(*, assignment, by, ip_address) -> FormCopy:
    """The 申报书 of `assignment`'s case for its expert `by`: blind in a blind round,
    watermarked, logged."""
    case, blind = assignment.case, assignment.round.blind
    download = ApplicationFormDownload.objects.create(
        case=case, user=by, ip_address=ip_address, blind=blind, watermark_code=new_code()
    )
    data = render_application_pdf(case, blind=blind)
    stamped = watermark_pdf(data, _stamp(by, download.at, download.watermark_code))
    return FormCopy(
        data=stamped,
        filename=application_filename(case),
        code=download.watermark_code,
    )
