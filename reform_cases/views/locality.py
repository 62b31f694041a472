"""The locality's pages: its organisation's cases, drafting, attachments, submitting."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from common.exceptions import AlreadySubmitted, InvalidTransition
from common.forms import posted_text
from common.stored_files import bytes_download
from reform_cases.documents import application_form
from reform_cases.models import Attachment, Case, CaseEventKind, CaseStatus
from reform_cases.publication import selectors as publication_selectors
from reform_cases.submission import rules as submission_rules
from reform_cases.submission import selectors as case_selectors
from reform_cases.submission import services as submission_services
from reform_cases.submission.forms import AttachmentForm, EditCaseForm, NewCaseForm

locality_required = role_required(Role.LOCALITY)
BEIJING = ZoneInfo("Asia/Shanghai")  # the autosave note's time, whatever the site's zone


NEXT_STEP = {
    CaseStatus.DRAFT: gettext_lazy("完善内容和附件后提交"),
    CaseStatus.SUBMITTED: gettext_lazy("等待形式审查"),
    CaseStatus.RETURNED: gettext_lazy("按退回理由修改后重新提交"),
    CaseStatus.ACCEPTED: gettext_lazy("已进入评审,等待结果"),
    CaseStatus.INELIGIBLE: gettext_lazy("不予受理"),
    CaseStatus.WITHDRAWN: gettext_lazy("已撤回"),
}
ON_NOTICE_STEP = gettext_lazy("评选结果公示中,公示结束后正式发布")
PUBLISHED_STEP = gettext_lazy("评选结果已发布")


def _with_outcome(case) -> Case:
    """The case's own outcome once it is public (nothing before the notice) and its next step."""
    case.own_outcome = publication_selectors.own_outcome(case)
    if case.own_outcome is None:
        case.next_step = NEXT_STEP.get(case.status, "")
    else:
        case.next_step = ON_NOTICE_STEP if case.own_outcome.on_notice else PUBLISHED_STEP
    return case


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
    cases = [
        _with_outcome(case)
        for case in case_selectors.cases_of_organisation(request.user.organisation).select_related(
            "tier"
        )
    ]
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


def _form_errors(form, exc, *, attachment_form=None):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            if attachment_form is not None and field in attachment_form.fields:
                attachment_form.add_error(field, errors)
            else:
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
    if request.method != "POST":
        return _edit_page(request, form, case)
    # A file chosen on the page travels with the typed text (one POST): both are saved, or
    # the page comes back with both the text and the reason.
    upload = request.FILES.get("file")
    attachment_form = AttachmentForm(request.POST, request.FILES) if upload else AttachmentForm()
    if not form.is_valid():
        _upload_not_done(request, upload)
        if "edit_version" in form.errors:
            return _refused_save(request, form, pk, attachment_form=attachment_form)
        return _edit_page(request, form, case, attachment_form=attachment_form)
    if upload and not attachment_form.is_valid():
        _upload_not_done(request, upload)
        return _edit_page(request, form, case, attachment_form=attachment_form)
    data, co_organisations = _with_stored_sections(request, form, pk)
    try:
        if upload:
            case, _attachment = submission_services.update_draft_and_attach(
                case=case,
                by=request.user,
                data=data,
                co_organisations=co_organisations,
                expected_version=form.cleaned_data["edit_version"],
                upload=attachment_form.cleaned_data["file"],
                kind=attachment_form.cleaned_data["kind"],
            )
        else:
            case = submission_services.update_draft(
                case=case,
                by=request.user,
                data=data,
                co_organisations=co_organisations,
                expected_version=form.cleaned_data["edit_version"],
            )
    except submission_services.DraftChanged as exc:
        messages.error(request, exc.messages[0])
        _upload_not_done(request, upload)
        return _refused_save(
            request,
            form,
            pk,
            current=exc.current,
            rows=exc.differences,
            attachment_form=attachment_form,
        )
    except ValidationError as exc:
        _upload_not_done(request, upload)
        _form_errors(form, exc, attachment_form=attachment_form if upload else None)
        return _edit_page(request, form, _own_case(request, pk), attachment_form=attachment_form)
    if "submit" in request.POST:
        try:
            submission_services.submit_case(case=case, by=request.user)
        except ValidationError as exc:
            # The draft itself was saved (update_draft committed); only submitting failed.
            messages.error(request, " ".join(exc.messages))
            return redirect("cases:edit", pk=pk)
        messages.success(request, _("案例已提交,组织方将进行形式审查。"))
        return redirect("cases:mine-detail", pk=pk)
    if upload:
        messages.success(request, _("草稿已保存,附件已上传。"))
    elif "upload" in request.POST:
        messages.warning(request, _("草稿已保存。没有选择文件,未上传附件。"))
    else:
        messages.success(request, _("草稿已保存。"))
    return redirect("cases:edit", pk=pk)


def _upload_not_done(request, upload) -> None:
    """Say that a file sent with a refused save was not kept (a browser cannot show it again)."""
    if upload:
        messages.warning(
            request,
            _("所选文件“%(name)s”尚未上传,草稿也尚未保存:请按页面提示处理后,重新选择文件上传。")
            % {"name": upload.name},
        )


def _edit_page(request, form, case, *, attachment_form=None, **extra):
    return render(
        request,
        "locality/edit.html",
        {
            "form": form,
            "campaign": case.campaign,
            "case": case,
            "attachment_form": attachment_form or AttachmentForm(),
            "missing": submission_services.missing_for_submission(case),
            # Autosave runs on the plain page, not on the comparison after a refused save
            # (there the user chooses, section by section, what to keep).
            "autosave": "stored" not in extra,
            "deadline": _edit_deadline(case),
            **extra,
        },
    )


def _edit_deadline(case):
    """Until when the page's text can be saved: a returned case's own deadline, else the call's."""
    if case.status == CaseStatus.RETURNED:
        return case.revise_by
    return case.campaign.submission_closes_at


AUTOSAVE_STOPPED = gettext_lazy(
    "自动保存已停止。您的修改仍在本页,尚未保存;点击“保存草稿”将并列显示两个版本,"
    "由您选择保留哪些内容。"
)


def _json(status: int, outcome: str, message, **payload) -> JsonResponse:
    return JsonResponse(
        {"status": outcome, "message": str(message), **payload},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def case_autosave(request, pk):
    """The edit page's autosave (static/js/autosave.js): the edit form's fields, POSTed by
    fetch, saved through `update_draft` with the page's version; every answer is JSON.

    200 `saved` (with the new version and the time, Beijing time), 400 `invalid` (errors by
    field, nothing saved), 409 `conflict` (the draft moved on, or a version it never had:
    autosave stops, a normal save shows both texts), 403 `closed` (the window has closed),
    401 / 403 / 404 / 405 for who may not, or how not, to call it.
    """
    user = request.user
    if not user.is_authenticated:
        return _json(401, "login", _("登录已失效,自动保存未完成。请复制留存本页内容后重新登录。"))
    if not (user.is_active and user.role == Role.LOCALITY):
        return _json(403, "forbidden", _("只有申报单位用户可以保存草稿。"))
    if request.method != "POST":
        return _json(405, "method", _("自动保存只接受 POST 请求。"))
    try:
        case = _own_case(request, pk)
    except Http404:
        return _json(404, "not_found", _("找不到这个案例。"))
    refusal = submission_services.why_not_editable(case, user)
    if refusal:
        return _json(403, "closed", refusal + " " + _("自动保存已停止。"))
    form = EditCaseForm(request.POST, instance=case)
    if not form.is_valid():
        if "edit_version" in form.errors:
            return _json(409, "conflict", _("页面的版本信息无效。") + " " + AUTOSAVE_STOPPED)
        return _autosave_invalid(form)
    version = form.cleaned_data["edit_version"]
    try:
        case = submission_services.update_draft(
            case=case,
            by=user,
            data=form.draft_data(),
            co_organisations=form.cleaned_data["co_organisations"],
            expected_version=version,
        )
    except submission_services.DraftChanged as exc:
        if version < exc.current.edit_version:
            first = _("此草稿已被他人(或另一窗口)修改并保存。")
        else:
            first = _("页面的版本信息无效。")
        return _json(409, "conflict", first + " " + AUTOSAVE_STOPPED)
    except InvalidTransition as exc:
        return _json(403, "closed", exc.messages[0] + " " + _("自动保存已停止。"))
    except ValidationError as exc:
        _form_errors(form, exc)
        return _autosave_invalid(form)
    saved_at = timezone.localtime(case.updated_at, BEIJING).strftime("%H:%M")
    return _json(
        200,
        "saved",
        _("已自动保存 %(time)s") % {"time": saved_at},
        version=case.edit_version,
        saved_at=saved_at,
    )


def _autosave_invalid(form) -> JsonResponse:
    """400: the form's errors by field, each with its label; one line for the status note."""
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    labels = {name: str(form.fields[name].label) if name in form.fields else "" for name in errors}
    parts = [
        _("%(label)s:%(errors)s") % {"label": labels[name], "errors": " ".join(errs)}
        if labels[name]
        else " ".join(errs)
        for name, errs in errors.items()
    ]
    return _json(
        400,
        "invalid",
        _("自动保存未完成:%(errors)s") % {"errors": " ".join(parts)},
        errors=errors,
        labels=labels,
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


def _refused_save(request, form, pk, *, current=None, rows=None, attachment_form=None):
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
    return _edit_page(
        request, form, fresh, attachment_form=attachment_form, conflict=rows, stored=current
    )


@locality_required
@require_GET
def case_mine_detail(request, pk):
    case = _with_outcome(_own_case(request, pk))
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
            "next_step": case.next_step,
            "outcome": case.own_outcome,
            "application_draft": application_form.is_draft(case),
        },
    )


@locality_required
@require_GET
def case_application_form(request, pk):
    """The case's 申报书 as PDF, to print and stamp (marked 草稿 while it is a draft)."""
    case = _own_case(request, pk)
    return bytes_download(
        application_form.render_application_pdf(case),
        application_form.application_filename(case),
        application_form.PDF_CONTENT_TYPE,
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
    target = "cases:edit" if request.POST.get("next") == "edit" else "cases:mine-detail"
    return redirect(target, pk=pk)
