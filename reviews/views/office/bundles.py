"""The committee's bundle on the ranking page: ask for it, download it when ready."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import administrator_required
from common.stored_files import file_download
from reviews.documents import bundle_services
from reviews.models import BundleStatus, CommitteeBundle, ReviewRound

ZIP_TYPE = "application/zip"
MAX_TOP = 100_000


def _top(posted: str) -> int | None:
    """The posted 前 N 名: blank is every case; anything else must be a positive whole number."""
    posted = (posted or "").strip()
    if not posted:
        return None
    # The length first: int() refuses more than 4,300 digits with an error of its own.
    if len(posted) > len(str(MAX_TOP)) or not posted.isdecimal() or not 0 < int(posted) <= MAX_TOP:
        raise ValidationError(_("前 N 名须为正整数,不填则为全部案例。"))
    return int(posted)


@administrator_required
@require_POST
def bundle_request(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        top = _top(request.POST.get("top", ""))
        bundle_services.request_bundle(review_round=review_round, by=request.user, top=top)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已开始生成终评材料包,完成后会通知您。"))
    return redirect(reverse("manage:ranking", kwargs={"pk": pk}) + "#bundles")


@administrator_required
@require_GET
def bundle_download(request, pk):
    bundle = get_object_or_404(CommitteeBundle.objects.select_related("round__campaign"), pk=pk)
    if bundle.status != BundleStatus.READY or not bundle.file:
        raise Http404
    return file_download(
        request,
        bundle.file,
        filename=bundle_services.bundle_filename(bundle),
        content_type=ZIP_TYPE,
    )
