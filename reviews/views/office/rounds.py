"""The organising office's rubric and round pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import administrator_required
from reform_cases.models import Campaign
from reviews.models import ReviewRound
from reviews.rounds import rules as round_rules
from reviews.rounds import services as rounds_services
from reviews.rounds.forms import CriterionFormSet, RoundForm


@administrator_required
@require_http_methods(["GET", "POST"])
def rubric(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    locked = rounds_services.rubric_locked(campaign)
    if request.method == "POST" and "defaults" in request.POST:
        had = campaign.criteria.count()
        try:
            criteria = rounds_services.ensure_default_rubric(campaign=campaign, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if had:
                messages.info(request, _("已有 %(n)d 项评分指标,未做改动。") % {"n": had})
            else:
                messages.success(
                    request, _("已使用默认指标,创建了 %(n)d 项评分指标。") % {"n": len(criteria)}
                )
        return redirect("manage:rubric", pk=pk)
    formset = CriterionFormSet(request.POST or None, instance=campaign, prefix="criteria")
    if request.method == "POST" and formset.is_valid():
        try:
            rounds_services.save_rubric(campaign=campaign, formset=formset, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评分指标已保存。"))
            return redirect("manage:rubric", pk=pk)
    return render(
        request,
        "office/rubric.html",
        {"campaign": campaign, "formset": formset, "locked": locked},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def rounds(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = RoundForm(
        request.POST or None, instance=ReviewRound(campaign=campaign), campaign=campaign
    )
    if request.method == "POST" and form.is_valid():
        try:
            review_round = rounds_services.save_round(form=form, by=request.user)
            added = (
                rounds_services.add_accepted_cases(review_round=review_round, by=request.user)
                if review_round.order == 1
                else 0
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评审轮次已创建,加入 %(n)d 个已受理案例。") % {"n": added})
            return redirect("manage:rounds", pk=pk)
    items = list(campaign.rounds.prefetch_related("panels"))
    needed = round_rules.reviewers_needed(campaign)
    for item in items:
        item.few_reviewers = round_rules.too_few_reviewers(item, needed)
    return render(
        request,
        "office/rounds.html",
        {
            "campaign": campaign,
            "rounds": items,
            "form": form,
            "editable": round_rules.can_edit_rounds(request.user, campaign),
        },
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    form = RoundForm(request.POST or None, instance=review_round)
    if request.method == "POST" and form.is_valid():
        try:
            rounds_services.save_round(form=form, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评审轮次已保存。"))
            return redirect("manage:rounds", pk=review_round.campaign_id)
    return render(request, "office/form_page.html", {"form": form, "page_title": str(review_round)})


@administrator_required
@require_POST
def round_add_cases(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        added = rounds_services.add_accepted_cases(review_round=review_round, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("加入 %(n)d 个已受理案例。") % {"n": added})
    return redirect("manage:assign", pk=pk)
