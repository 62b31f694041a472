"""Pages several signed-in roles share: attachment downloads, each checked by
`attachments_visible_to` (the case's visibility; files hidden from experts)."""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from common.client_address import client_address
from common.stored_files import file_download
from reform_cases.access import attachments_visible_to
from reform_cases.models import AttachmentDownload


@require_GET
def attachment_download(request, attachment_pk):
    """Files go only to those who may see the case; downloads of unpublished cases are logged."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = get_object_or_404(
        attachments_visible_to(request.user).select_related("case__campaign"),
        pk=attachment_pk,
    )
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
