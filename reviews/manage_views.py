"""The organising office's review pages: experts, panels, rubric, rounds, assignment, progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import import_session
from accounts.models import Role, User
from accounts.permissions import administrator_required
from accounts.tabular import TableFileError
from reform_cases.models import Campaign, Case

from . import auto_assign, selectors, services
from .conflicts import conflict_table
from .expert_import import apply_expert_import, plan_expert_import, read_expert_rows
from .forms import (
    CriterionFormSet,
    ExpertImportForm,
    ExpertProfileForm,
    PanelForm,
    ReasonForm,
    RoundForm,
)
from .models import Assignment, ExpertProfile, Panel, Review, ReviewRound

IMPORT_SESSION_KEY = "expert_import"


# --- experts -------------------------------------------------------------------


@administrator_required
@require_GET
def expert_list(request):
    return render(
        request, "reviews/manage/experts.html", {"experts": selectors.experts_for_listing()}
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def expert_edit(request, pk):
    user = get_object_or_404(User, pk=pk, role=Role.EXPERT)
    # A GET changes nothing: a missing profile is created only when the form is saved.
    profile = ExpertProfile.objects.filter(user=user).first() or ExpertProfile(user=user)
    form = ExpertProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("专家信息已保存。"))
        return redirect("manage:experts")
    return render(
        request,
        "manage/form_page.html",
        {"form": form, "page_title": _("专家信息:%(name)s") % {"name": user}},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def expert_import(request):
    form = ExpertImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_expert_rows(upload.read(), upload.name)
        except TableFileError as exc:
            form.add_error("file", str(exc))
        else:
            token = import_session.stash(request, IMPORT_SESSION_KEY, rows, upload.name)
            return render(
                request,
                "reviews/manage/expert_import_preview.html",
                {"plan": plan_expert_import(rows), "token": token, "filename": upload.name},
            )
    return render(request, "manage/form_page.html", {"form": form, "page_title": _("导入专家")})


@administrator_required
@require_POST
def expert_import_apply(request):
    stored = import_session.take(request, IMPORT_SESSION_KEY)
    if stored is None:
        messages.error(request, _("导入预览已过期,请重新上传文件。"))
        return redirect("manage:expert-import")
    plan = plan_expert_import([(line, row) for line, row in stored["rows"]])
    if not plan.ok:
        return render(
            request,
            "reviews/manage/expert_import_preview.html",
            {"plan": plan, "token": stored["token"], "filename": stored["filename"]},
        )
    created = apply_expert_import(plan=plan, by=request.user)
    import_session.discard(request, IMPORT_SESSION_KEY)
    messages.success(request, _("已导入 %(n)d 名专家,邀请邮件已发出。") % {"n": len(created)})
    return redirect("manage:experts")


# --- panels, rubric, rounds -----------------------------------------------------


@administrator_required
@require_http_methods(["GET", "POST"])
def panels(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = PanelForm(request.POST or None, instance=Panel(campaign=campaign))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("评审组已创建。"))
        return redirect("manage:panels", pk=pk)
    items = campaign.panels.prefetch_related("fields", "members").select_related("chair")
    return render(
        request, "reviews/manage/panels.html", {"campaign": campaign, "panels": items, "form": form}
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def panel_edit(request, pk):
    panel = get_object_or_404(Panel.objects.select_related("campaign"), pk=pk)
    form = PanelForm(request.POST or None, instance=panel)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("评审组已保存。"))
        return redirect("manage:panels", pk=panel.campaign_id)
    return render(request, "manage/form_page.html", {"form": form, "page_title": panel.name})


@administrator_required
@require_http_methods(["GET", "POST"])
def rubric(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    locked = services.rubric_locked(campaign)
    if request.method == "POST" and "defaults" in request.POST:
        services.ensure_default_rubric(campaign=campaign, by=request.user)
        return redirect("manage:rubric", pk=pk)
    formset = CriterionFormSet(request.POST or None, instance=campaign, prefix="criteria")
    if request.method == "POST" and formset.is_valid():
        try:
            services.save_rubric(campaign=campaign, formset=formset, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("评分指标已保存。"))
            return redirect("manage:rubric", pk=pk)
    return render(
        request,
        "reviews/manage/rubric.html",
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
        round = form.save()
        added = services.add_accepted_cases(round=round, by=request.user) if round.order == 1 else 0
        messages.success(request, _("评审轮次已创建,加入 %(n)d 个已受理案例。") % {"n": added})
        return redirect("manage:rounds", pk=pk)
    items = campaign.rounds.prefetch_related("panels")
    return render(
        request, "reviews/manage/rounds.html", {"campaign": campaign, "rounds": items, "form": form}
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    form = RoundForm(request.POST or None, instance=round)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("评审轮次已保存。"))
        return redirect("manage:rounds", pk=round.campaign_id)
    return render(request, "manage/form_page.html", {"form": form, "page_title": str(round)})


@administrator_required
@require_POST
def round_add_cases(request, pk):
    round = get_object_or_404(ReviewRound, pk=pk)
    added = services.add_accepted_cases(round=round, by=request.user)
    messages.success(request, _("加入 %(n)d 个已受理案例。") % {"n": added})
    return redirect("manage:assign", pk=pk)


# --- assignment ---------------------------------------------------------------------


BOARD_PAGE_SIZE = 50


@administrator_required
@require_GET
def assign(request, pk):
    """The round's cases (50 a page) with their reviewers, and every expert's load."""
    round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    only_short = request.GET.get("short") == "1"
    page = Paginator(
        selectors.assignment_board(round, only_short=only_short), BOARD_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    experts = list(services.round_experts(round))
    loads = services.expert_load(round)
    for expert in experts:
        expert.load = loads.get(expert.pk, 0)
        profile = getattr(expert, "expert_profile", None)
        expert.limit = profile.max_cases_per_round if profile else None
    for case in page:
        case.short = len(case.round_assignments) < round.reviewers_per_case
    return render(
        request,
        "reviews/manage/assign.html",
        {
            "round": round,
            "page": page,
            "experts": experts,
            "proposed": selectors.proposed_count(round),
            "only_short": only_short,
            "querystring": "short=1" if only_short else "",
        },
    )


@administrator_required
@require_GET
def assign_case(request, pk, case_pk):
    """One case: its reviewers (remove, swap) and every expert of the round, conflicts shown with reasons."""
    round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        case = selectors.assignment_board(round).get(pk=case_pk)
    except Case.DoesNotExist:
        raise Http404 from None
    experts = list(services.round_experts(round).prefetch_related("expert_profile__fields"))
    loads = services.expert_load(round)
    conflicts = conflict_table(experts, [case])
    assigned = {a.expert_id for a in case.round_assignments}
    for expert in experts:
        expert.load = loads.get(expert.pk, 0)
        profile = getattr(expert, "expert_profile", None)
        expert.limit = profile.max_cases_per_round if profile else None
        expert.conflict = conflicts.get((expert.pk, case.pk), "")
        expert.matches = bool(
            profile and case.field_id and any(f.pk == case.field_id for f in profile.fields.all())
        )
        expert.assigned = expert.pk in assigned
    experts.sort(key=lambda e: (bool(e.conflict), e.assigned, not e.matches, e.load, str(e)))
    return render(
        request,
        "reviews/manage/assign_case.html",
        {
            "round": round,
            "case": case,
            "experts": experts,
            "short": len(case.round_assignments) < round.reviewers_per_case,
        },
    )


@administrator_required
@require_POST
def assign_add(request, pk):
    round = get_object_or_404(ReviewRound, pk=pk)
    try:
        case = round.cases.get(pk=int(request.POST.get("case", "")))
        expert = User.objects.select_related("expert_profile__affiliation").get(
            pk=int(request.POST.get("expert", "")), role=Role.EXPERT
        )
    except (ValueError, Case.DoesNotExist, User.DoesNotExist):
        messages.error(request, _("请选择本轮的案例和专家。"))
        return redirect("manage:assign", pk=pk)
    try:
        services.assign_expert(round=round, case=case, expert=expert, by=request.user)
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
        services.remove_assignment(assignment=assignment, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已取消分配。"))
    return redirect("manage:assign-case", pk=pk, case_pk=assignment.case_id)


@administrator_required
@require_POST
def assign_confirm(request, pk):
    round = get_object_or_404(ReviewRound, pk=pk)
    n = services.confirm_assignments(round=round, by=request.user)
    messages.success(request, _("已确认 %(n)d 项分配,并通知了相关专家。") % {"n": n})
    return redirect("manage:assign", pk=pk)


@administrator_required
@require_POST
def conflict_record(request, pk):
    round = get_object_or_404(ReviewRound, pk=pk)
    form = ReasonForm(request.POST)
    try:
        case = round.cases.get(pk=int(request.POST.get("case", "")))
        expert = User.objects.get(pk=int(request.POST.get("expert", "")), role=Role.EXPERT)
    except (ValueError, Case.DoesNotExist, User.DoesNotExist):
        raise Http404 from None
    if not form.is_valid():
        messages.error(request, _("请说明回避理由。"))
    else:
        services.record_conflict(
            expert=expert, case=case, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("已登记回避。"))
    return redirect("manage:assign", pk=pk)


# --- progress -------------------------------------------------------------------------


@administrator_required
@require_GET
def progress(request, pk):
    round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    return render(
        request,
        "reviews/manage/progress.html",
        {"round": round, "progress": selectors.progress(round), "reopen_form": ReasonForm()},
    )


@administrator_required
@require_GET
def progress_expert(request, pk, expert_pk):
    round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    expert = get_object_or_404(User, pk=expert_pk, role=Role.EXPERT)
    return render(
        request,
        "reviews/manage/progress_expert.html",
        {"round": round, "expert": expert, "assignments": selectors.expert_in_round(round, expert)},
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
            services.reopen_review(
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


@administrator_required
@require_POST
def assign_auto(request, pk):
    round = get_object_or_404(ReviewRound, pk=pk)
    proposal = auto_assign.propose_assignment(
        round=round, by=request.user, accept_partial=request.POST.get("accept_partial") == "on"
    )
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
    round = get_object_or_404(ReviewRound, pk=pk)
    try:
        case = round.cases.get(pk=int(request.POST.get("case", "")))
    except (ValueError, Case.DoesNotExist):
        raise Http404 from None
    try:
        assignment = auto_assign.fill_gap(round=round, case=case, by=request.user)
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
        services.swap_assignment(assignment=assignment, expert=expert, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已换为 %(expert)s。") % {"expert": expert})
    return redirect("manage:assign-case", pk=pk, case_pk=assignment.case_id)
