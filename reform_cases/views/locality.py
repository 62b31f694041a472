"""The locality's pages: its organisation's cases, drafting, attachments, submitting."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from common.exceptions import AlreadySubmitted
from common.forms import posted_text
from reform_cases.models import Attachment, Case, CaseEventKind, CaseStatus
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import selectors as case_selectors
from reform_cases.submission import services as submission_services
from reform_cases.submission.forms import AttachmentForm, EditCaseForm, NewCaseForm

locality_required = role_required(Role.LOCALITY)


NEXT_STEP = {
    CaseStatus.DRAFT: gettext_lazy("完善内容和附件后提交"),
    CaseStatus.SUBMITTED: gettext_lazy("等待形式审查"),
    CaseStatus.RETURNED: gettext_lazy("按退回理由修改后重新提交"),
    CaseStatus.ACCEPTED: gettext_lazy("已进入评审,等待结果"),
    CaseStatus.INELIGIBLE: gettext_lazy("不予受理"),
    CaseStatus.WITHDRAWN: gettext_lazy("已撤回"),
}


def _own_case(request, pk) -> Case:
    """The user's organisation's case, or 404: another organisation's id reveals nothing."""
    qs = Case.objects.filter(organisation_id=request.user.organisation_id, is_historical=False)
    try:
        return case_selectors.case_with_details(qs, pk)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


@locality_required
@require_GET
def my_cases(request):
    cases = list(case_selectors.cases_of_organisation(request.user.organisation))
    for case in cases:
        case.next_step = NEXT_STEP.get(case.status, "")
    campaigns = list(case_selectors.open_campaigns())
    return render(
        request,
        "locality/mine.html",
        {
            "cases": cases,
            "open_campaigns": campaigns,
            "startable_campaigns": _startable(request.user, campaigns),
        },
    )


def _startable(user, campaigns) -> list:
    """The open campaigns in which `user` may start a draft now (deadline not passed)."""
    return [c for c in campaigns if submission_rules.can_start_draft(user, c)]


@locality_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    campaigns = list(case_selectors.open_campaigns())
    startable = _startable(request.user, campaigns)
    if not campaigns or (request.method == "GET" and not startable):
        return render(
            request,
            "locality/no_open_campaign.html",
            {
                "next_campaign": case_selectors.next_campaign_opening(),
                "closed_campaigns": campaigns,  # open, but their deadline has passed
            },
        )
    # A form posted after the deadline still names its campaign: the service says why not.
    chosen = (startable or campaigns)[0]
    wanted = request.POST.get("campaign") or request.GET.get("campaign")
    if wanted:
        chosen = next((c for c in campaigns if str(c.pk) == wanted), None)
        if chosen is None:
            raise Http404
    form = NewCaseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                case = submission_services.create_draft(
                    campaign=chosen,
                    by=request.user,
                    data=form.draft_data(),
                    co_organisations=form.cleaned_data["co_organisations"],
                    form_token=form.cleaned_data["form_token"],
                )
            except submission_services.DraftAlreadyCreated as exc:
                # The same form posted twice (a double click): show the draft the first made.
                messages.info(request, exc.messages[0])
                return redirect(_case_page(request.user, exc.case), pk=exc.case.pk)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("草稿已保存。可以继续填写、上传附件,完成后提交。"))
                return redirect("cases:edit", pk=case.pk)
        elif "form_token" in form.errors:
            form.renew_token()
    return render(
        request,
        "locality/edit.html",
        {"form": form, "campaign": chosen, "campaigns": startable or [chosen], "case": None},
    )


def _case_page(user, case) -> str:
    return "cases:edit" if submission_rules.can_edit_case(user, case) else "cases:mine-detail"


def _form_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@locality_required
@require_http_methods(["GET", "POST"])
def case_edit(request, pk):
    case = _own_case(request, pk)
    if not submission_rules.can_edit_case(request.user, case):
        messages.info(request, _("案例当前为只读。"))
        return redirect("cases:mine-detail", pk=pk)
    form = EditCaseForm(request.POST or None, instance=case)
    if request.method == "POST":
        if not form.is_valid():
            if "edit_version" in form.errors:
                return _refused_save(request, form, pk)
            return _edit_page(request, form, case)
        data, co_organisations = _with_stored_sections(request, form, pk)
        try:
            case = submission_services.update_draft(
                case=case,
                by=request.user,
                data=data,
                co_organisations=co_organisations,
                expected_version=form.cleaned_data["edit_version"],
            )
        except submission_services.DraftChanged as exc:
            messages.error(request, exc.messages[0])
            return _refused_save(request, form, pk, current=exc.current, rows=exc.differences)
        except ValidationError as exc:
            _form_errors(form, exc)
            return _edit_page(request, form, _own_case(request, pk))
        if "submit" in request.POST:
            try:
                submission_services.submit_case(case=case, by=request.user)
            except ValidationError as exc:
                # The draft itself was saved (update_draft committed); only submitting failed.
                messages.error(request, " ".join(exc.messages))
                return redirect("cases:edit", pk=pk)
            messages.success(request, _("案例已提交,组织方将进行形式审查。"))
            return redirect("cases:mine-detail", pk=pk)
        messages.success(request, _("草稿已保存。"))
        return redirect("cases:edit", pk=pk)
    return _edit_page(request, form, case)


def _edit_page(request, form, case, **extra):
    return render(
        request,
        "locality/edit.html",
        {
            "form": form,
            "campaign": case.campaign,
            "case": case,
            "attachment_form": AttachmentForm(),
            "missing": submission_services.missing_for_submission(case),
            **extra,
        },
    )


def _with_stored_sections(request, form, pk):
    """The typed draft, with the sections the user chose to take from the stored version.

    (Offered on the page after a refused save; if the draft moved on again since, the
    version check refuses this save too.)
    """
    data = form.draft_data()
    co_organisations = form.cleaned_data["co_organisations"]
    taken = form.cleaned_data["take_stored"]
    if taken:
        stored = _own_case(request, pk)
        for name in taken:
            if name == "co_organisations":
                co_organisations = list(stored.co_organisations.all())
            else:
                data[name] = getattr(stored, name)
    return data, co_organisations


def _refused_save(request, form, pk, *, current=None, rows=None):
    """The page again after a save that was not written: what was typed stays in the form,
    the stored version's differing sections are shown beside it, and the form now carries
    the stored version (saving again means: keep what I typed)."""
    fresh = _own_case(request, pk)
    current = current or fresh
    if rows is None:
        typed = {
            name: form.cleaned_data[name]
            for name in case_selectors.COMPARED_FIELDS
            if name in form.cleaned_data
        }
        rows = case_selectors.draft_differences(current, typed)
    form.show_version(current.edit_version)
    return _edit_page(request, form, fresh, conflict=rows, stored=current)


@locality_required
@require_GET
def case_mine_detail(request, pk):
    case = _own_case(request, pk)
    events = list(case.events.select_related("actor"))
    returns = [e.note for e in events if e.kind == CaseEventKind.RETURNED]
    return render(
        request,
        "locality/mine_detail.html",
        {
            "case": case,
            "events": events,
            "return_reason": returns[-1] if returns else "",
            "editable": submission_rules.can_edit_case(request.user, case),
            "missing": submission_services.missing_for_submission(case)
            if case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED)
            else [],
            "attachment_form": AttachmentForm(),
            "next_step": NEXT_STEP.get(case.status, ""),
        },
    )


@locality_required
@require_POST
def case_submit(request, pk):
    case = _own_case(request, pk)
    try:
        submission_services.submit_case(case=case, by=request.user)
    except AlreadySubmitted:
        messages.info(request, _("案例已经提交,无需重复提交。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("案例已提交,组织方将进行形式审查。"))
    return redirect("cases:mine-detail", pk=pk)


@locality_required
@require_POST
def case_withdraw(request, pk):
    case = _own_case(request, pk)
    try:
        reason = posted_text(request.POST, "reason", label=_("撤回理由"), max_length=1000)
        submission_services.withdraw_case(case=case, by=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("案例已撤回。"))
    return redirect("cases:mine-detail", pk=pk)


@locality_required
@require_POST
def attachment_add(request, pk):
    case = _own_case(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            submission_services.add_attachment(
                case=case,
                by=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("附件已上传。"))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    target = "cases:edit" if request.POST.get("next") == "edit" else "cases:mine-detail"
    return redirect(target, pk=pk)


@locality_required
@require_POST
def attachment_remove(request, pk, attachment_pk):
    case = _own_case(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, case=case)
    try:
        submission_services.remove_attachment(attachment=attachment, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("附件已删除。"))
    return redirect("cases:mine-detail", pk=pk)
