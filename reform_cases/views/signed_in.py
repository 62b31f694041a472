"""Pages several signed-in roles share: attachment downloads, each checked by
`attachments_visible_to` (the case's visibility; files hidden from experts). A reader who
gets a personal copy (an expert: a watermarked PDF, reform_cases/personal_copies.py) gets
it here, so no other address hands the stored file to them."""

import logging

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from common.client_address import client_address
from common.stored_files import (
    PRIVATE_CACHE,
    RETRY_AFTER_SECONDS,
    StoreUnavailable,
    bytes_download,
    file_download,
)
from reform_cases.access import attachments_visible_to
from reform_cases.models import AttachmentDownload
from reform_cases.personal_copies import personal_copy

logger = logging.getLogger(__name__)


@require_GET
def attachment_download(request, attachment_pk):
    """Files go only to those who may see the case; downloads of unpublished cases are logged."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = get_object_or_404(
        attachments_visible_to(request.user).select_related("case__campaign"),
        pk=attachment_pk,
    )
    try:
        copy = personal_copy(
            attachment=attachment, user=request.user, ip_address=client_address(request)
        )
    except StoreUnavailable as exc:
        logger.warning("File %s could not be read from the store: %s", attachment.file.name, exc)
        response = render(request, "file_unavailable.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = PRIVATE_CACHE
        return response
    if copy is not None:  # logged by its maker, with the copy's code
        return bytes_download(copy.data, attachment.original_name, attachment.content_type)
    if not attachment.case.is_public:
        AttachmentDownload.objects.create(
            attachment=attachment, user=request.user, ip_address=client_address(request)
        )
    return file_download(
        request,
        attachment.file,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
