"""The organising office's notice pages: objections and their answers, publication, corrections."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import administrator_required
from reform_cases.models import Campaign, Case, CaseOutcome, Objection, Tier
from reform_cases.publication import rules as publication_rules
from reform_cases.publication import services as publication_services
from reform_cases.publication.forms import AnswerForm, CorrectionForm


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
    return FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.file_name or "objection"
    )


@administrator_required
@require_POST
def publish(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        publication_services.publish_results(campaign=campaign, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("评选结果已发布,各申报单位将收到结果通知。"))
    return redirect("manage:campaign-detail", pk=pk)


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
    if request.method == "POST" and form.is_valid():
        changes = {"title": form.cleaned_data["title"], "summary": form.cleaned_data["summary"]}
        award = _award_from(case.campaign, form.cleaned_data["tier"])
        if award is not None:
            changes["award"] = award
        try:
            recorded = publication_services.correct_case(
                case=case, by=request.user, reason=form.cleaned_data["reason"], changes=changes
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request, _("已记录 %(n)d 项更正,并在结果页公开。") % {"n": len(recorded)}
            )
            return redirect("results:year", year=case.campaign.year)
    return render(
        request,
        "office/case_correct.html",
        {
            "case": case,
            "form": form,
            "tiers": case.campaign.tiers.order_by("order"),
            "can_correct_award": publication_rules.can_correct_award(request.user, case),
        },
    )
