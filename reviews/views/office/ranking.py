"""The committee's ranking page, its actions and its export."""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import administrator_required
from common.forms import posted_text
from common.lists import join_list
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.campaigns import services as campaign_services
from reform_cases.models import CampaignStatus, Tier
from reform_cases.publication import selectors as publication_selectors
from reform_cases.publication.exports import XLSX_TYPE
from reform_cases.publication.forms import NoticePeriodForm
from reform_cases.publication.services import NOTICE_DAYS
from reviews.documents import bundle_services
from reviews.models import (
    BundleStatus,
    CommitteeBundle,
    RankingBasis,
    RankingEntry,
    ReviewRound,
    TierOverride,
)
from reviews.ranking import rules as ranking_rules
from reviews.ranking import services as ranking_services
from reviews.ranking import table as ranking_table
from reviews.ranking.forms import NoticeForm

PAGE_SIZE = 250
BUNDLES_SHOWN = 5  # the latest committee bundles listed on the page
SORTS = {
    "rank": [F("rank").asc(nulls_last=True), "pk"],
    "-basis": [F("basis_value").desc(nulls_last=True), "pk"],
    "std": [F("std").desc(nulls_last=True), "pk"],
    "n": ["n_reviews", "pk"],
    "title": ["case__title", "pk"],
    "tier": [F("final_tier__order").asc(nulls_last=True), F("rank").asc(nulls_last=True), "pk"],
}
FLAG_LABELS = ranking_table.FLAG_LABELS


def _entries(review_round, sort):
    return (
        RankingEntry.objects.filter(round=review_round)
        .select_related("case__organisation", "proposed_tier", "final_tier")
        .prefetch_related(
            Prefetch(
                "overrides",
                queryset=TierOverride.objects.select_related("actor", "old_tier", "new_tier"),
            )
        )
        .order_by(*SORTS.get(sort, SORTS["rank"]))
    )


@administrator_required
@require_GET
def ranking_page(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    sort = request.GET.get("sort", "rank")
    page = Paginator(_entries(review_round, sort), PAGE_SIZE).get_page(request.GET.get("page"))
    tiers = list(review_round.campaign.tiers.order_by("order"))
    config = ranking_services.config_or_default(review_round.campaign)  # a GET writes nothing
    for entry in page:
        entry.flag_labels = [FLAG_LABELS.get(f, f) for f in entry.flags]
        entry.stability_text = " · ".join(
            f"{t.name} {round(100 * float(entry.stability.get(t.code, 0)))}%"
            for t in tiers
            if entry.stability.get(t.code)
        )
    later_rounds = list(
        review_round.campaign.rounds.filter(order__gt=review_round.order).order_by("order")
    )
    user, campaign = request.user, review_round.campaign
    can_lock = ranking_rules.can_lock_ranking(user, campaign)
    bundles = list(
        CommitteeBundle.objects.filter(round=review_round).select_related("requested_by")[
            :BUNDLES_SHOWN
        ]
    )
    return render(
        request,
        "office/ranking.html",
        {
            "round": review_round,
            "page": page,
            "tiers": tiers,
            "config": config,
            "bases": RankingBasis.choices,
            "sort": sort,
            "querystring": f"sort={sort}",
            "later_rounds": later_rounds,
            "can_compute": ranking_rules.can_compute_ranking(user, campaign),
            "can_change": ranking_rules.can_change_ranking(user, campaign),
            "can_lock": can_lock,
            "can_notice": ranking_rules.can_open_notice(user, campaign),
            "can_reopen": ranking_rules.can_reopen_ranking(user, campaign),
            "can_start": ranking_rules.can_start_ranking(user, campaign),
            "over_quota": ranking_services.over_quota(review_round) if can_lock else [],
            "status_note": _lock_status_note(campaign),
            "bundles": bundles,
            # A long wait with a bundle being built is a queue, not a worker that is down.
            "documents_worker_silent": any(b.waiting_too_long for b in bundles)
            and not bundle_services.building_now(),
            "bundle_ready": BundleStatus.READY,
            "bundle_failed": BundleStatus.FAILED,
            "bundle_expired": BundleStatus.EXPIRED,
            "keep_days": settings.COMMITTEE_BUNDLE_KEEP_DAYS,
        },
    )


@administrator_required
@require_POST
def ranking_compute(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    basis = request.POST.get("basis") or None  # none chosen: the campaign's setting
    if basis is not None and basis not in RankingBasis.values:
        messages.error(request, _("请选择有效的排名依据。"))
        return redirect("manage:ranking", pk=pk)
    try:
        entries = ranking_services.compute_ranking(
            review_round=review_round, by=request.user, basis=basis
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("排名已计算:%(n)d 个案例。") % {"n": len(entries)})
    return redirect("manage:ranking", pk=pk)


@administrator_required
@require_POST
def ranking_tie_break(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        ranking_services.set_tie_break(
            review_round=review_round, by=request.user, apply=request.POST.get("apply") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重新计算排名。"))
    return redirect("manage:ranking", pk=pk)


@administrator_required
@require_POST
def ranking_reopen(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        reason = posted_text(request.POST, "reason", label=_("重新开放理由"), max_length=1000)
        ranking_services.reopen_ranking(review_round=review_round, by=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("排名已重新开放,本次操作及理由已记录。"))
    return redirect("manage:ranking", pk=pk)


@administrator_required
@require_POST
def ranking_override(request, pk, entry_pk):
    entry = get_object_or_404(
        RankingEntry.objects.select_related("round__campaign"), pk=entry_pk, round_id=pk
    )
    tier_pk = request.POST.get("tier", "")
    tier = None
    if tier_pk:
        try:
            tier = Tier.objects.get(pk=int(tier_pk), campaign=entry.round.campaign)
        except (ValueError, Tier.DoesNotExist):
            raise Http404 from None
    try:
        reason = posted_text(request.POST, "reason", label=_("调整理由"), max_length=2000)
        ranking_services.override_tier(entry=entry, by=request.user, tier=tier, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("等次已调整并记录。"))
    return redirect(
        f"/manage/rounds/{pk}/ranking/?{request.POST.get('querystring', '')}#entry-{entry_pk}"
    )


@administrator_required
@require_POST
def ranking_start(request, pk):
    """Move the campaign from review to ranking, from the ranking page: the status form's path."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        campaign = campaign_services.change_campaign_status(
            campaign=review_round.campaign, by=request.user, to=CampaignStatus.RANKING
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("评选活动已进入“%(status)s”阶段:现在可以调整等次并锁定排名。")
            % {"status": campaign.get_status_display()},
        )
    return redirect("manage:ranking", pk=pk)


def _tier_counts(review_round, tiers) -> tuple[list[tuple], int, int]:
    """([(tier, cases in it)], cases without a tier, all cases) of the round's ranking."""
    counts = dict(
        RankingEntry.objects.filter(round=review_round)
        .values("final_tier")
        .annotate(n=Count("id"))
        .values_list("final_tier", "n")
    )
    return [(t, counts.get(t.pk, 0)) for t in tiers], counts.get(None, 0), sum(counts.values())


@administrator_required
@require_http_methods(["GET", "POST"])
def ranking_lock(request, pk):
    """Lock the ranking: a GET says what will happen, in numbers; the POST does it."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    campaign = review_round.campaign
    if not ranking_rules.can_lock_ranking(request.user, campaign):
        messages.error(request, _lock_status_note(campaign))
        return redirect("manage:ranking", pk=pk)
    note = ""
    if request.method == "POST":
        try:
            note = posted_text(request.POST, "note", label=_("锁定说明"), max_length=1000)
            over = ranking_services.lock_ranking(
                review_round=review_round, by=request.user, note=note
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            note = request.POST.get("note", "")
        else:
            messages.success(
                request,
                _("排名已锁定,评选活动进入“%(status)s”阶段。")
                % {"status": CampaignStatus.LOCKED.label},
            )
            if over:
                messages.warning(
                    request,
                    _("注意:以下等次因人工调整超过名额:%(tiers)s。")
                    % {"tiers": join_list(f"{t.name} {n}/{t.quota}" for t, n in over)},
                )
            return redirect("manage:ranking", pk=pk)
    tiers = list(campaign.tiers.order_by("order"))
    tier_counts, without_tier, total = _tier_counts(review_round, tiers)
    return render(
        request,
        "office/ranking_lock_confirm.html",
        {
            "round": review_round,
            "campaign": campaign,
            "tier_counts": tier_counts,
            "without_tier": without_tier,
            "total": total,
            "over_quota": [(t, n) for t, n in tier_counts if n > t.quota],
            "pending": ranking_services.unresolved(review_round),
            "locked_label": CampaignStatus.LOCKED.label,
            "note": note,
        },
    )


def _lock_status_note(campaign) -> str:
    if campaign.status in campaign_rules.FROZEN:
        return campaign_rules.frozen_message(campaign)
    return _("评选活动进入“排名”阶段后才能调整和锁定。")


@administrator_required
@require_POST
def ranking_shortlist(request, pk):
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    try:
        target = review_round.campaign.rounds.get(pk=int(request.POST.get("target", "")))
        top = int(request.POST.get("top", ""))
    except (ValueError, ReviewRound.DoesNotExist):
        messages.error(request, _("请选择下一轮并填写入围数量。"))
        return redirect("manage:ranking", pk=pk)
    try:
        n = ranking_services.shortlist(
            review_round=review_round,
            target=target,
            by=request.user,
            top=top,
            include_ties=request.POST.get("include_ties") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d 个案例入围“%(name)s”。") % {"n": n, "name": target.name})
    return redirect("manage:ranking", pk=pk)


@administrator_required
@require_GET
def ranking_export(request, pk):
    """The committee's table as XLSX, written row by row to a temporary file and streamed."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    # FileResponse closes the file once sent: no context manager here.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    ranking_table.write_xlsx(review_round, handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"ranking-{review_round.campaign.year}-{review_round.pk}.xlsx",
        content_type=XLSX_TYPE,
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def ranking_notice(request, pk):
    """GET: the confirmation of 发布公示 (the end, and what goes on notice in numbers);
    POST (from that page, with the end it showed): open the notice."""
    review_round = get_object_or_404(ReviewRound.objects.select_related("campaign"), pk=pk)
    if request.method == "GET":
        return _notice_confirmation(request, review_round)
    form = NoticeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[name].label}:{error}"
                for name, errors in form.errors.items()
                for error in errors
            ),
        )
        return redirect("manage:ranking", pk=pk)
    try:
        ranking_services.publish_notice_from_ranking(
            review_round=review_round, by=request.user, ends_at=form.cleaned_data["ends_at"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manage:ranking", pk=pk)
    messages.success(request, _("公示已发布,公示名单已在结果页公开。"))
    return redirect("manage:campaign-detail", pk=review_round.campaign_id)


def _notice_confirmation(request, review_round):
    campaign = review_round.campaign
    # Days or an end time, as typed on the ranking page; nothing typed: the default days.
    form = NoticePeriodForm(request.GET or {"days": NOTICE_DAYS})
    refusal = ranking_services.notice_refusal(review_round=review_round, by=request.user)
    impact = None
    if not refusal:
        outcomes = ranking_services.notice_outcomes(review_round)
        impact = publication_selectors.notice_impact(campaign, outcomes)
    return render(
        request,
        "office/notice_confirm.html",
        {
            "round": review_round,
            "campaign": campaign,
            "form": form,
            "ends_at": form.cleaned_data["ends_at"] if form.is_valid() else None,
            "refusal": refusal,
            "impact": impact,
        },
    )
