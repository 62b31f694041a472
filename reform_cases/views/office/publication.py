"""The organising office's notice pages: objections and their answers, the notice period,
publication, corrections. Each irreversible step (publishing, a correction) is confirmed on a
page that says what it will do in numbers; the notice's own confirmation is on the ranking
(`reviews.views.office.ranking.ranking_notice`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import administrator_required
from common.stored_files import file_download
from reform_cases.filetypes import SIGNATURES, extension_of
from reform_cases.models import Campaign, Case, CaseOutcome, Objection, Tier
from reform_cases.publication import rules as publication_rules
from reform_cases.publication import selectors as publication_selectors
from reform_cases.publication import services as publication_services
from reform_cases.publication.forms import (
    AnswerForm,
    CorrectionForm,
    NoticeChangeForm,
    PublishForm,
)


@administrator_required
@require_GET
def objection_list(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    items = campaign.objections.select_related("case", "answered_by")
    return render(
        request,
        "office/objections.html",
        {
            "campaign": campaign,
            "objections": items,
            "tiers": campaign.tiers.order_by("order"),
            "form": AnswerForm(),
        },
    )


def _award_from(campaign, value):
    """'' → unchanged, 'none' → not awarded, 'selected', or a tier id."""
    if not value:
        return None
    if value == "none":
        return (None, CaseOutcome.NOT_AWARDED)
    if value == "selected":
        return (None, CaseOutcome.SELECTED)
    try:
        return (Tier.objects.get(pk=int(value), campaign=campaign), CaseOutcome.AWARDED)
    except (ValueError, Tier.DoesNotExist):
        raise Http404 from None


@administrator_required
@require_POST
def objection_answer(request, pk):
    item = get_object_or_404(Objection.objects.select_related("campaign"), pk=pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择处理结果并填写书面答复。"))
    else:
        try:
            publication_services.answer_objection(
                objection=item,
                by=request.user,
                decision=form.cleaned_data["decision"],
                answer=form.cleaned_data["answer"],
                new_award=_award_from(item.campaign, form.cleaned_data["tier"]),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("答复已保存。"))
    return redirect("manage:objections", pk=item.campaign_id)


@administrator_required
@require_GET
def objection_file(request, pk):
    item = get_object_or_404(Objection, pk=pk)
    if not item.file:
        raise Http404
    name = item.file_name or item.file.name.rsplit("/", 1)[-1]
    # Objection files are checked to be PDF, JPEG or PNG when they arrive; the type is
    # told by their extension, which check_upload made match the content.
    content_type = SIGNATURES.get(extension_of(item.file.name), "application/octet-stream")
    return file_download(request, item.file, filename=name, content_type=content_type)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@administrator_required
@require_http_methods(["GET", "POST"])
def publish(request, pk):
    """GET: what publishing will do, in numbers, and the announcement date; POST: publish."""
    campaign = get_object_or_404(Campaign, pk=pk)
    today = timezone.localdate()
    form = PublishForm(request.POST or None, initial={"announced_on": today})
    if request.method == "POST":
        # A POST without a date (an older form) announces today.
        if not request.POST.get("announced_on"):
            form = PublishForm({"announced_on": today})
        if form.is_valid():
            try:
                publication_services.publish_results(
                    campaign=campaign,
                    by=request.user,
                    announced_on=form.cleaned_data["announced_on"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("评选结果已发布,各申报单位将收到结果通知。"))
            return redirect("manage:campaign-detail", pk=pk)
    refusal = publication_services.publish_refusal(request.user, campaign)
    return render(
        request,
        "office/publish_confirm.html",
        {
            "campaign": campaign,
            "form": form,
            "refusal": refusal,
            # On notice: the numbers, even while publishing must wait (the refusal says why).
            "impact": publication_selectors.publication_impact(campaign)
            if publication_rules.can_publish_results(request.user, campaign)
            else None,
        },
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def notice_change(request, pk):
    """Extend or shorten a running notice, with a reason shown on the public page."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if not publication_rules.can_change_notice_period(request.user, campaign):
        messages.error(request, _("只有公示期内才能调整公示期。"))
        return redirect("manage:campaign-detail", pk=pk)
    form = NoticeChangeForm(request.POST or None, initial={"ends_at": campaign.notice_ends_at})
    if request.method == "POST" and form.is_valid():
        try:
            publication_services.change_notice_period(
                campaign=campaign,
                by=request.user,
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("公示期已调整,结果页已显示新的截止时间和理由。"))
            return redirect("manage:campaign-detail", pk=pk)
    return render(request, "office/notice_change.html", {"campaign": campaign, "form": form})


@administrator_required
@require_http_methods(["GET", "POST"])
def case_correct(request, pk):
    case = get_object_or_404(Case.objects.select_related("campaign", "tier"), pk=pk)
    if not publication_rules.can_correct_case(request.user, case):
        messages.error(request, _("只有已公示或已发布的结果需要通过更正修改。"))
        return redirect("manage:case-detail", pk=pk)
    form = CorrectionForm(
        request.POST or None, initial={"title": case.title, "summary": case.summary}
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        changes = {"title": form.cleaned_data["title"], "summary": form.cleaned_data["summary"]}
        award = _award_from(case.campaign, form.cleaned_data["tier"])
        if award is not None:
            changes["award"] = award
        # First POST: the confirmation (what will change, in numbers); "confirm": the change.
        if request.POST.get("confirm") != "1":
            try:
                preview = _correction_preview(case, changes)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if not preview["rows"]:
                    form.add_error(None, _("没有需要更正的内容。"))
                    preview = None
            return _correction_page(request, case, form, preview)
        try:
            recorded = publication_services.correct_case(
                case=case, by=request.user, reason=form.cleaned_data["reason"], changes=changes
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("已记录 %(n)d 项更正,并在结果页公开。") % {"n": len(recorded)}
            )
            return redirect("results:year", year=case.campaign.year)
    return _correction_page(request, case, form, preview)


def _correction_preview(case, changes) -> dict:
    """What a correction will do: each field old → new, the manifest version it appends and,
    for a tier, the tier counts before → after; a correction notifies no one."""
    rows = publication_services.correction_preview(case, changes)
    campaign = case.campaign
    last = campaign.manifests.order_by("-version").values_list("version", flat=True).first()
    tiers = []
    new_tier = changes["award"][0] if "award" in changes else case.tier
    if new_tier != case.tier:
        counts = publication_selectors.tier_counts(campaign)
        for tier in campaign.tiers.order_by("order"):
            before = counts.get(tier.pk, 0)
            after = (
                before
                - (case.tier_id == tier.pk)
                + (new_tier is not None and new_tier.pk == tier.pk)
            )
            if before != after:
                tiers.append((tier.localised_name, before, after))
    return {
        "rows": rows,
        "tiers": tiers,
        "manifest_version": last + 1 if last else None,
        # correct_case notifies no one: the correction is listed publicly instead.
        "organisations": 0,
        "experts": 0,
    }


def _correction_page(request, case, form, preview):
    return render(
        request,
        "office/case_correct.html",
        {
            "case": case,
            "form": form,
            "preview": preview,
            "tiers": case.campaign.tiers.order_by("order"),
            "can_correct_award": publication_rules.can_correct_award(request.user, case),
        },
    )
