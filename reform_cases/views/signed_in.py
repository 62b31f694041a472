"""Pages several signed-in roles share: attachment downloads, each checked by `cases_visible_to`."""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from reform_cases.access import cases_visible_to
from reform_cases.models import Attachment, AttachmentDownload


@require_GET
def attachment_download(request, attachment_pk):
    """Files go only to those who may see the case; downloads of unpublished cases are logged."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = get_object_or_404(
        Attachment.objects.select_related("case__campaign"),
        pk=attachment_pk,
        case__in=cases_visible_to(request.user),
    )
    if not attachment.case.is_public:
        AttachmentDownload.objects.create(attachment=attachment, user=request.user)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
