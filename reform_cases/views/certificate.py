"""The award certificate (获奖证书) as a download, shared by two audiences: the submitting
unit (from its case page) and the office (from its case page). Experts never get one.

Who may see the case is `cases_visible_to` (another unit's case is a 404); whether there is a
certificate, and for whom, is the `can_download_certificate` rule. A case without one (not an
award, or not yet published) is a 404 too: the certificate does not exist.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import role_required
from common.stored_files import bytes_download
from reform_cases.access import cases_visible_to
from reform_cases.documents.certificate import (
    PDF_CONTENT_TYPE,
    certificate_filename,
    render_certificate_pdf,
)
from reform_cases.publication.rules import can_download_certificate


@role_required(Role.LOCALITY, Role.ADMINISTRATOR)
@require_GET
def certificate_download(request, pk):
    case = get_object_or_404(
        cases_visible_to(request.user).select_related("campaign", "organisation", "tier"), pk=pk
    )
    if not can_download_certificate(request.user, case):
        raise Http404
    return bytes_download(
        render_certificate_pdf(case), certificate_filename(case), PDF_CONTENT_TYPE
    )
