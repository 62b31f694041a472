"""The formal check (形式审查): administrators list, accept, return or refuse submissions."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import administrator_required
from common.forms import ReasonForm, validate_sane_datetime
from common.spreadsheets import safe_row, sheet_title
from common.stored_files import bytes_download
from common.timefmt import local_datetime
from reform_cases.documents import application_form
from reform_cases.models import Attachment, Campaign, Case, CaseStatus, FormalCheckAction
from reform_cases.publication import rules as publication_rules
from reform_cases.publication.exports import XLSX_TYPE
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import selectors as case_selectors
from reform_cases.submission import services as submission_services
from reform_cases.submission.forms import FormalCheckBulkForm, ReturnForm


@administrator_required
@require_GET
def submission_list(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    flt = case_selectors.SubmissionFilter(
        request.GET or None, queryset=case_selectors.submissions(campaign)
    )
    # Some 120 organisations: a type-to-search box (static/js/forms.js).
    flt.form.fields["organisation"].widget.attrs["data-searchable"] = "1"
    page = Paginator(flt.qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    counts = case_selectors.status_counts(campaign)
    return render(
        request,
        "office/submissions.html",
        {
            "campaign": campaign,
            "filter": flt,
            "page": page,
            "querystring": params.urlencode(),
            "status_rows": [
                (value, label, counts[value])
                for value, label in CaseStatus.choices
                if value != CaseStatus.DRAFT
            ],
        },
    )


@administrator_required
@require_GET
def submission_export(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    flt = case_selectors.SubmissionFilter(
        request.GET or None, queryset=case_selectors.submissions(campaign)
    )
    import openpyxl  # ≈ 27 MB with PIL: loaded by the processes that write a workbook

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(campaign.year, "submissions"))
    sheet.append(
        safe_row(
            [
                _("编号"),
                _("案例名称"),
                _("申报单位"),
                _("设区市"),
                _("领域"),
                _("状态"),
                _("提交时间"),
                _("附件数"),
                _("联系人"),
                _("联系电话"),
            ]
        )
    )
    for case in flt.qs.iterator(chunk_size=500):
        org = case.organisation
        sheet.append(
            safe_row(
                [
                    case.pk,
                    case.title,
                    org.name if org else "",
                    (org.city.name if org and org.city else ""),
                    case.field.name if case.field else "",
                    case.get_status_display(),
                    local_datetime(case.submitted_at, if_none=""),
                    case.n_attachments,
                    case.contact_name,
                    case.contact_phone,
                ]
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="submissions-{campaign.year}.xlsx"'
    return response


@administrator_required
@require_GET
def formal_check_case_detail(request, pk):
    try:
        case = case_selectors.case_with_details(Case.objects.all(), pk)
    except Case.DoesNotExist:
        raise Http404 from None
    formal_check = submission_rules.can_formal_check(request.user, case.campaign)
    return render(
        request,
        "office/case_detail.html",
        {
            "case": case,
            "events": case.events.select_related("actor"),
            "return_form": ReturnForm(),
            "reason_form": ReasonForm(),
            "formal_checkable": case.status == CaseStatus.SUBMITTED and formal_check,
            "closable": case.status in (CaseStatus.SUBMITTED, CaseStatus.RETURNED) and formal_check,
            "correctable": publication_rules.can_correct_case(request.user, case),
            "co_organisation_conflicts": case_selectors.co_organisation_conflicts(case),
            "formal_check_panels": case_selectors.formal_check_panels(case, request.user),
            "can_hide_attachments": submission_rules.can_hide_attachments(request.user, case),
            "show_visibility": True,
        },
    )


@administrator_required
@require_GET
def case_application_form(request, pk):
    """The case's 申报书 as PDF, as the unit would print it (unit and contact included)."""
    try:
        case = case_selectors.case_with_details(Case.objects.all(), pk)
    except Case.DoesNotExist:
        raise Http404 from None
    return bytes_download(
        application_form.render_application_pdf(case),
        application_form.application_filename(case),
        application_form.PDF_CONTENT_TYPE,
    )


def _sane_deadline(form):
    """The return deadline (revise_by) between 2000 and 2100: year 1 or 9999 would overflow."""
    form.fields["revise_by"].validators.append(validate_sane_datetime)
    return form


# The value of the submit button that asks for the next case after a decision.
THEN_NEXT = "next"


def _next_submitted(case) -> int | None:
    """The submitted case that follows `case` in the formal-check list (the list's order:
    newest submission first), else the first one still waiting; None when none is left."""
    waiting = (
        case_selectors.submissions(case.campaign)
        .filter(status=CaseStatus.SUBMITTED)
        .exclude(pk=case.pk)
        .values_list("pk", flat=True)
    )
    if case.submitted_at is not None:
        after = Q(submitted_at__lt=case.submitted_at) | Q(
            submitted_at=case.submitted_at, pk__gt=case.pk
        )
        found = waiting.filter(after).first()
        if found:
            return found
    return waiting.first()


def _after_decision(request, case):
    """Back to the case, or, for "… and go to the next" (accept, return), to the next case waiting."""
    if request.POST.get("then") != THEN_NEXT:
        return redirect("manage:case-detail", pk=case.pk)
    following = _next_submitted(case)
    if following is None:
        messages.info(request, _("没有其他待审查的案例了。"))
        return redirect("manage:submissions", pk=case.campaign_id)
    return redirect("manage:case-detail", pk=following)


def _decide(request, pk, action: FormalCheckAction):
    case = get_object_or_404(Case.objects.select_related("campaign"), pk=pk)
    try:
        if action == FormalCheckAction.ACCEPT:
            submission_services.accept_case(case=case, by=request.user)
            messages.success(request, _("已受理。"))
        elif action == FormalCheckAction.RETURN:
            form = _sane_deadline(ReturnForm(request.POST))
            if not form.is_valid():
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
                return redirect("manage:case-detail", pk=pk)
            submission_services.return_case(
                case=case,
                by=request.user,
                reason=form.cleaned_data["reason"],
                revise_by=form.cleaned_data["revise_by"],
            )
            messages.success(request, _("已退回,申报单位会收到退回理由。"))
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写不予受理的理由。"))
                return redirect("manage:case-detail", pk=pk)
            submission_services.mark_ineligible(
                case=case, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("已标记为不予受理。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manage:case-detail", pk=pk)
    return _after_decision(request, case)


@administrator_required
@require_POST
def case_accept(request, pk):
    return _decide(request, pk, FormalCheckAction.ACCEPT)


@administrator_required
@require_POST
def case_return(request, pk):
    return _decide(request, pk, FormalCheckAction.RETURN)


@administrator_required
@require_POST
def case_ineligible(request, pk):
    return _decide(request, pk, FormalCheckAction.INELIGIBLE)


@administrator_required
@require_POST
def attachment_visibility(request, pk, attachment_pk):
    """Hide a file from the experts (hidden=1), or show it to them again (hidden=0)."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("case"), pk=attachment_pk, case_id=pk
    )
    hidden = request.POST.get("hidden")
    if hidden not in ("0", "1"):
        messages.error(request, _("请选择对专家隐藏或显示该附件。"))
        return redirect("manage:case-detail", pk=pk)
    try:
        submission_services.set_attachment_hidden(
            attachment=attachment, by=request.user, hidden=hidden == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if hidden == "1":
            messages.success(
                request,
                _("附件“%(name)s”已对专家隐藏。") % {"name": attachment.original_name},
            )
        else:
            messages.success(
                request,
                _("附件“%(name)s”已恢复对专家显示。") % {"name": attachment.original_name},
            )
    return redirect("manage:case-detail", pk=pk)


@administrator_required
@require_POST
def submission_bulk(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = _sane_deadline(FormalCheckBulkForm(request.POST, campaign=campaign))
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        done, errors = submission_services.formal_check_many(
            cases=form.cleaned_data["cases"],
            by=request.user,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
            revise_by=form.cleaned_data["revise_by"],
        )
        if done:
            messages.success(request, _("已处理 %(n)d 个案例。") % {"n": done})
        for error in errors:
            messages.error(request, error)
    back = reverse("manage:submissions", kwargs={"pk": pk})
    return redirect(f"{back}?{request.POST.get('querystring', '')}")
