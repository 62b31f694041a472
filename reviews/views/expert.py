"""The expert's workspace under /review/."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from common.client_address import client_address
from common.forms import ReasonForm
from common.stored_files import bytes_download
from reform_cases.documents.application_form import PDF_CONTENT_TYPE
from reviews.assignment import services as assignment_services
from reviews.documents import services as document_services
from reviews.models import Assignment, AssignmentStatus, Pledge, ReviewRound, ReviewStatus
from reviews.ranking.statistics import plain
from reviews.scoring import selectors as scoring_selectors
from reviews.scoring import services as scoring_services

expert_required = role_required(Role.EXPERT)


@expert_required
@require_GET
def workspace(request):
    rounds = scoring_selectors.workspace(request.user)
    # A new expert's first step is the round's pledge (签署承诺): the page says so, per round.
    pledged = set(
        Pledge.objects.filter(
            expert=request.user, round__in=[item["round"] for item in rounds]
        ).values_list("round_id", flat=True)
    )
    for item in rounds:
        item["pledged"] = item["round"].pk in pledged
    return render(
        request,
        "expert/workspace.html",
        {
            "rounds": rounds,
            "now": timezone.now(),
            "pledge_first": any(not item["pledged"] for item in rounds),
        },
    )


@expert_required
@require_http_methods(["GET", "POST"])
def pledge(request, round_pk):
    review_round = get_object_or_404(
        ReviewRound.objects.select_related("campaign")
        .filter(assignments__expert=request.user, assignments__status=AssignmentStatus.CONFIRMED)
        .distinct(),
        pk=round_pk,
    )
    if request.method == "POST":
        if request.POST.get("agree") != "on":
            messages.error(request, _("请勾选“我已阅读并承诺遵守”。"))
        else:
            scoring_services.accept_pledge(review_round=review_round, expert=request.user)
            messages.success(request, _("已记录您的承诺,可以开始评分。"))
            next_url = request.POST.get("next", "")
            if next_url.startswith("/review/"):
                return redirect(next_url)
            return redirect("reviews:workspace")
    return render(
        request, "expert/pledge.html", {"round": review_round, "next": request.GET.get("next", "")}
    )


# A pledge is never withdrawn: once seen, the session remembers it (one query less on every
# request of the scoring page).
PLEDGED_ROUNDS = "reviews:pledged_rounds"


def _has_pledged(request, review_round) -> bool:
    remembered = request.session.get(PLEDGED_ROUNDS, [])
    if review_round.pk in remembered:
        return True
    if not scoring_services.has_pledged(review_round, request.user):
        return False
    request.session[PLEDGED_ROUNDS] = [*remembered, review_round.pk]
    return True


def _assignment(request, pk, read=scoring_selectors.assignment_for_expert) -> Assignment:
    try:
        return read(request.user, pk)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc


@expert_required
@require_http_methods(["GET", "POST"])
def score(request, pk):
    # Every expert saves and submits here at the deadline (bench/deadline.py): a POST reads
    # only what saving needs, and the page's own data is read only to draw the page (a GET,
    # or a POST refused, shown again with what was typed).
    posted = request.method == "POST"
    read = scoring_selectors.assignment_to_score if posted else scoring_selectors.score_page
    assignment = _assignment(request, pk, read)
    review_round = assignment.round
    if not _has_pledged(request, review_round):
        return redirect(f"/review/rounds/{review_round.pk}/pledge/?next=/review/{pk}/")
    criteria, tiers = scoring_selectors.rubric(review_round.campaign_id)
    typed = None
    if posted:
        typed = {
            "scores": {c.pk: request.POST.get(f"score_{c.pk}", "") for c in criteria},
            "comments": {c.pk: request.POST.get(f"comment_{c.pk}", "") for c in criteria},
            "overall": request.POST.get("overall_comment", ""),
            "tier": request.POST.get("recommended_tier", ""),
        }
        tier = next((t for t in tiers if str(t.pk) == typed["tier"]), None)
        try:
            scoring_services.save_review(
                assignment=assignment,
                by=request.user,
                scores=typed["scores"],
                comments=typed["comments"],
                overall_comment=typed["overall"],
                recommended_tier=tier,
                submit="submit" in request.POST,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if "submit" in request.POST:
                messages.success(request, _("评分已提交。"))
            else:
                messages.success(request, _("草稿已保存。"))
            return redirect("reviews:score", pk=pk)
        assignment = _assignment(request, pk, scoring_selectors.score_page)
    review = getattr(assignment, "review", None)
    existing = {s.criterion_id: s for s in review.scores.all()} if review and not typed else {}
    # The form's rows and the tier options are worked out here rather than by lookups in the
    # template: the page is drawn after every save at the deadline (bench/deadline.py).
    rows = []
    for c in criteria:
        saved = existing.get(c.pk)
        value = (
            typed["scores"][c.pk]
            if typed
            else ("" if not saved or saved.value is None else plain(saved.value))
        )
        comment = typed["comments"][c.pk] if typed else (saved.comment if saved else "")
        rows.append(
            {
                "pk": c.pk,
                "name": c.name,
                "description": c.description,
                "max_score": c.max_score,
                "max_shown": floatformat(c.max_score, "-2"),
                "weight_shown": floatformat(c.weight, "-2"),
                "value": value,
                "comment": comment,
            }
        )
    chosen_tier = (
        typed["tier"] if typed else (str(review.recommended_tier_id or "") if review else "")
    )
    tier_options = [
        {"value": t.pk, "label": t.localised_name, "selected": chosen_tier == str(t.pk)}
        for t in tiers
    ]
    submitted = review is not None and review.status == ReviewStatus.SUBMITTED
    others = []
    if scoring_selectors.may_see_others(assignment, review):
        others = list(scoring_selectors.other_reviews(assignment))
    return render(
        request,
        "expert/score.html",
        {
            "assignment": assignment,
            "case": assignment.case,
            "round": review_round,
            "review": review,
            "rows": rows,
            "tier_options": tier_options,
            "overall": typed["overall"] if typed else (review.overall_comment if review else ""),
            "locked": submitted or not review_round.is_open(timezone.now()),
            "submitted": submitted,
            "others": others,
            "conflict_form": ReasonForm(),
        },
    )


@expert_required
@require_POST
def declare_conflict(request, pk):
    assignment = _assignment(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请说明回避理由。"))
        return redirect("reviews:score", pk=pk)
    try:
        assignment_services.declare_conflict(
            assignment=assignment, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reviews:score", pk=pk)
    messages.success(request, _("已申报回避,该案例已从您的列表中移除,组织方将另行分配。"))
    return redirect("reviews:workspace")


@expert_required
@require_GET
def application_form(request, pk):
    """The case's 申报书 as the expert's own copy: the blind form in a blind round, the
    expert's name, the time and a logged code on every page (reviews/documents)."""
    assignment = _assignment(request, pk)
    if not _has_pledged(request, assignment.round):
        return redirect(f"/review/rounds/{assignment.round.pk}/pledge/?next=/review/{pk}/")
    copy = document_services.application_form_copy(
        assignment=assignment, by=request.user, ip_address=client_address(request)
    )
    return bytes_download(copy.data, copy.filename, PDF_CONTENT_TYPE)
