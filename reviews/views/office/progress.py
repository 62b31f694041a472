"""The organising office's progress pages: completion per round and per expert, reopening reviews."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from accounts.permissions import administrator_required
from common.forms import ReasonForm
from reviews.assignment import selectors as assignment_selectors
from reviews.models import Review, ReviewRound
from reviews.scoring import selectors as scoring_selectors
from reviews.scoring import services as scoring_services


@administrator_required
@require_GET
def progress(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    return render(
        request,
        "office/progress.html",
        {
            "round": review_round,
            "progress": scoring_selectors.progress(review_round),
            "reopen_form": ReasonForm(),
        },
    )


@administrator_required
@require_GET
def progress_expert(request, pk, expert_pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    expert = get_object_or_404(User, pk=expert_pk, role=Role.EXPERT)
    return render(
        request,
        "office/progress_expert.html",
        {
            "round": review_round,
            "expert": expert,
            "assignments": assignment_selectors.expert_in_round(review_round, expert),
        },
    )


@administrator_required
@require_POST
def review_reopen(request, pk):
    try:
        review_pk = int(request.POST.get("review", ""))
    except ValueError:
        raise Http404 from None
    review = get_object_or_404(
        Review.objects.select_related("assignment"), pk=review_pk, assignment__round_id=pk
    )
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写重新开放的理由。"))
    else:
        try:
            scoring_services.reopen_review(
                review=review, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评分已重新开放,专家可以修改后再提交。"))
    return redirect(
        "manage:progress-expert",
        pk=review.assignment.round_id,
        expert_pk=review.assignment.expert_id,
    )
