"""The organising office's assignment pages: the board, hand and automatic assignment, conflicts."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from accounts.permissions import administrator_required
from common.forms import ReasonForm
from reform_cases.models import Case
from reviews.assignment import selectors as assignment_selectors
from reviews.assignment import services as assignment_services
from reviews.assignment.conflicts import conflict_table
from reviews.assignment.proposal import fill_gap, propose_assignment
from reviews.models import Assignment, ReviewRound
from reviews.rounds import rules as round_rules

BOARD_PAGE_SIZE = 50


@administrator_required
@require_GET
def assign(request, pk):
    """The round's cases (50 a page) with their reviewers, and every expert's load."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    only_short = request.GET.get("short") == "1"
    order = request.GET.get("sort", "")
    if order not in assignment_selectors.BoardOrder.values:
        order = assignment_selectors.BoardOrder.TITLE
    board = assignment_selectors.assignment_board(review_round, only_short=only_short, order=order)
    page = Paginator(board, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    experts = list(assignment_services.round_experts(review_round))
    loads = assignment_services.expert_load(review_round)
    for expert in experts:
        expert.load = loads.get(expert.pk, 0)
        expert.limit = assignment_services.expert_capacity(expert)
    for case in page:
        case.short = len(case.round_assignments) < review_round.reviewers_per_case
    return render(
        request,
        "office/assign.html",
        {
            "round": review_round,
            "page": page,
            "experts": experts,
            "proposed": assignment_selectors.proposed_count(review_round),
            "only_short": only_short,
            "orders": [
                (label, _board_query(only_short, value), value == order)
                for value, label in assignment_selectors.BoardOrder.choices
            ],
            "short_query": _board_query(not only_short, order),
            "querystring": _board_query(only_short, order),
            "few_reviewers": round_rules.too_few_reviewers(
                review_round, round_rules.reviewers_needed(review_round.campaign)
            ),
        },
    )


def _board_query(only_short: bool, order: str) -> str:
    """The board's query string for a filter and an order (the default order is left out)."""
    params = {"short": "1" if only_short else ""}
    if order != assignment_selectors.BoardOrder.TITLE:
        params["sort"] = order
    return urlencode({k: v for k, v in params.items() if v})


@administrator_required
@require_GET
def assign_case(request, pk, case_pk):
    """One case: its reviewers (remove, swap) and every expert of the round, conflicts shown with reasons."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        case = assignment_selectors.assignment_board(review_round).get(pk=case_pk)
    except Case.DoesNotExist:
        raise Http404 from None
    experts = list(
        assignment_services.round_experts(review_round).prefetch_related("expert_profile__fields")
    )
    loads = assignment_services.expert_load(review_round)
    conflicts = conflict_table(experts, [case])
    assigned = {a.expert_id for a in case.round_assignments}
    matches = assignment_selectors.expert_matches(case, experts)
    for expert in experts:
        expert.match_percent, expert.match_terms = matches.get(expert.pk, (None, []))
        expert.load = loads.get(expert.pk, 0)
        profile = getattr(expert, "expert_profile", None)
        expert.limit = assignment_services.expert_capacity(expert)
        expert.conflict = conflicts.get((expert.pk, case.pk), "")
        expert.matches = bool(
            profile and case.field_id and any(f.pk == case.field_id for f in profile.fields.all())
        )
        expert.assigned = expert.pk in assigned
    # The best match first among the free experts (the field match where no vectors exist).
    experts.sort(
        key=lambda e: (
            bool(e.conflict),
            e.assigned,
            -(e.match_percent or 0),
            not e.matches,
            e.load,
            str(e),
        )
    )
    return render(
        request,
        "office/assign_case.html",
        {
            "round": review_round,
            "case": case,
            "experts": experts,
            "short": len(case.round_assignments) < review_round.reviewers_per_case,
        },
    )


@administrator_required
@require_POST
def assign_add(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        case = review_round.cases.get(pk=int(request.POST.get("case", "")))
        expert = User.objects.select_related("expert_profile__affiliation").get(
            pk=int(request.POST.get("expert", "")), role=Role.EXPERT
        )
    except (ValueError, Case.DoesNotExist, User.DoesNotExist):
        messages.error(request, _("请选择本轮的案例和专家。"))
        return redirect("manage:assign", pk=pk)
    try:
        assignment_services.assign_expert(
            review_round=review_round, case=case, expert=expert, by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已分配 %(expert)s 评审“%(case)s”(待确认)。") % {"expert": expert, "case": case},
        )
    return redirect("manage:assign-case", pk=pk, case_pk=case.pk)


@administrator_required
@require_POST
def assign_remove(request, pk, assignment_pk):
    assignment = get_object_or_404(Assignment, pk=assignment_pk, round_id=pk)
    try:
        assignment_services.remove_assignment(assignment=assignment, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已取消分配。"))
    return redirect("manage:assign-case", pk=pk, case_pk=assignment.case_id)


@administrator_required
@require_POST
def assign_confirm(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        n = assignment_services.confirm_assignments(review_round=review_round, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已确认 %(n)d 项分配,并通知了相关专家。") % {"n": n})
    return redirect("manage:assign", pk=pk)


@administrator_required
@require_POST
def conflict_record(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    form = ReasonForm(request.POST)
    try:
        case = review_round.cases.get(pk=int(request.POST.get("case", "")))
        expert = User.objects.get(pk=int(request.POST.get("expert", "")), role=Role.EXPERT)
    except (ValueError, Case.DoesNotExist, User.DoesNotExist):
        raise Http404 from None
    if not form.is_valid():
        messages.error(request, _("请说明回避理由。"))
    else:
        try:
            assignment_services.record_conflict(
                expert=expert, case=case, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已登记回避。"))
    return redirect("manage:assign", pk=pk)


@administrator_required
@require_POST
def assign_auto(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        proposal = propose_assignment(
            review_round=review_round,
            by=request.user,
            accept_partial=request.POST.get("accept_partial") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manage:assign", pk=pk)
    for problem in proposal.problems:
        messages.error(request, problem)
    if proposal.applied:
        messages.success(
            request,
            _(
                "已生成分配方案:新增 %(created)d 项(保留已确认 %(kept)d 项),避开 %(conflicts)d 对回避关系,"
                "专家负荷 %(min)d–%(max)d 件。请检查、调整后确认。"
            )
            % {
                "created": proposal.created,
                "kept": proposal.kept,
                "conflicts": proposal.conflicts_avoided,
                "min": proposal.min_load,
                "max": proposal.max_load,
            },
        )
    else:
        messages.warning(
            request, _("没有完整的分配方案,未做任何分配。请调整后重试,或勾选“接受部分分配”。")
        )
    return redirect("manage:assign", pk=pk)


@administrator_required
@require_POST
def assign_fill_gap(request, pk):
    review_round = get_object_or_404(ReviewRound, pk=pk)
    try:
        case = review_round.cases.get(pk=int(request.POST.get("case", "")))
    except (ValueError, Case.DoesNotExist):
        raise Http404 from None
    try:
        assignment = fill_gap(review_round=review_round, case=case, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已由 %(expert)s 补上“%(case)s”,并已通知。")
            % {"expert": assignment.expert, "case": case},
        )
    return redirect("manage:progress", pk=pk)


@administrator_required
@require_POST
def assign_swap(request, pk, assignment_pk):
    assignment = get_object_or_404(
        Assignment.objects.select_related("case"), pk=assignment_pk, round_id=pk
    )
    try:
        expert = User.objects.select_related("expert_profile__affiliation").get(
            pk=int(request.POST.get("expert", "")), role=Role.EXPERT
        )
    except (ValueError, User.DoesNotExist):
        messages.error(request, _("请选择专家。"))
        return redirect("manage:assign", pk=pk)
    try:
        assignment_services.swap_assignment(assignment=assignment, expert=expert, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已换为 %(expert)s。") % {"expert": expert})
    return redirect("manage:assign-case", pk=pk, case_pk=assignment.case_id)
