"""Ranking a round into tiers: aggregates, flags, stability, overrides, shortlist, lock.

The arithmetic is in `scoring` (arrays in, arrays out); this module feeds it
with one query for the round and writes the results.
"""

from collections import defaultdict
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.exceptions import InvalidTransition
from common.lists import join_list
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.campaigns.services import complete_owned_transition
from reform_cases.models import Campaign, CampaignStatus
from reform_cases.publication.services import open_public_notice
from reviews.models import (
    RankingBasis,
    RankingConfig,
    RankingEntry,
    RankingFlag,
    ReviewRound,
    ReviewStatus,
    RoundEvent,
    RoundEventKind,
    Score,
    TierOverride,
)
from reviews.ranking import recompute, statistics
from reviews.ranking import rules as ranking_rules


def config_for(campaign) -> RankingConfig:
    config, _created = RankingConfig.objects.get_or_create(campaign=campaign)
    return config


def config_or_default(campaign) -> RankingConfig:
    """The campaign's ranking settings for a read (a page): its row, or an unsaved one with the
    model's defaults when it has none yet. Writes nothing, unlike `config_for`."""
    return RankingConfig.objects.filter(campaign=campaign).first() or RankingConfig(
        campaign=campaign
    )


def round_totals(review_round: ReviewRound) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(case ids, expert ids, totals) of the round's submitted reviews, from the raw scores."""
    criteria = list(
        review_round.campaign.criteria.order_by("order", "pk").values_list(
            "pk", "max_score", "weight"
        )
    )
    column = {pk: i for i, (pk, _m, _w) in enumerate(criteria)}
    rows = Score.objects.filter(
        review__assignment__round=review_round, review__status=ReviewStatus.SUBMITTED
    ).values_list(
        "review_id",
        "review__assignment__case_id",
        "review__assignment__expert_id",
        "criterion_id",
        "value",
    )
    reviews, cases, experts, matrix = {}, [], [], []
    for review_id, case_id, expert_id, criterion_id, value in rows.iterator(chunk_size=5000):
        if criterion_id not in column:
            continue
        i = reviews.get(review_id)
        if i is None:
            i = reviews[review_id] = len(cases)
            cases.append(case_id)
            experts.append(expert_id)
            matrix.append([0.0] * len(criteria))
        matrix[i][column[criterion_id]] = float(value or 0)
    if not criteria or not cases:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])
    totals = statistics.review_totals(
        np.array(matrix),
        np.array([float(m) for _p, m, _w in criteria]),
        np.array([float(w) for _p, _m, w in criteria]),
    )
    return np.array(cases), np.array(experts), totals


def _index(ids):
    unique = {value: i for i, value in enumerate(dict.fromkeys(ids))}
    return unique, np.array([unique[v] for v in ids], dtype=np.int64)


REWRITE_FROM = 1000  # changed rows from which rewriting beats updating
WRITE_BATCH = 500  # rows per INSERT / UPDATE (SQLite lowers it to its limit of parameters)


@transaction.atomic
def compute_ranking(
    *, review_round: ReviewRound, by, basis: str | None = None
) -> list[RankingEntry]:
    """(Re)compute the round's ranking, on a new `basis` if one is given. Overrides are kept.

    Refused once the ranking is locked (ranking/rules.py): a locked ranking changes only
    after it is reopened with a written reason.
    """
    review_round = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=review_round.pk)
    )
    campaign = review_round.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        ranking_rules.can_compute_ranking, by, campaign, _compute_refusal(campaign)
    )
    config = config_for(campaign)
    if basis is not None and basis != config.basis:
        if basis not in RankingBasis.values:
            raise ValidationError({"basis": _("请选择排名依据。")})
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.BASIS_CHANGED,
            note=f"{config.get_basis_display()} → {RankingBasis(basis).label}",
        )
        config.basis = basis
        config.save(update_fields=["basis"])
    tiers = list(campaign.tiers.order_by("order"))
    case_ids = list(review_round.cases.order_by("pk").values_list("pk", flat=True))
    position = {pk: i for i, pk in enumerate(case_ids)}
    review_cases, review_experts, totals = round_totals(review_round)
    keep = (
        np.array([c in position for c in review_cases], dtype=bool)
        if review_cases.size
        else np.array([], bool)
    )
    review_cases, review_experts, totals = review_cases[keep], review_experts[keep], totals[keep]
    case_idx = np.array([position[c] for c in review_cases], dtype=np.int64)
    _experts, expert_idx = _index(review_experts.tolist())
    n_cases = len(case_ids)

    quotas = [t.quota for t in tiers]
    # The one code path from raw totals to tiers, shared with verify_results and the
    # standalone manifest check (recompute.py).
    ranked = recompute.rank_cases(
        case_idx, expert_idx, totals, n_cases, len(_experts), quotas,
        basis=str(config.basis), tie_break=bool(config.tie_break),
    )  # fmt: skip
    agg, normalised, basis = ranked["agg"], ranked["normalised"], ranked["basis"]
    # Raw totals with their experts: the normalised basis is re-normalised in each resample.
    shares = statistics.bootstrap_tiers(
        case_idx,
        totals,
        n_cases,
        quotas,
        basis=str(config.basis),
        resamples=config.resamples,
        tie_break=bool(config.tie_break),
        expert_idx=expert_idx,
        n_experts=len(_experts),
    )

    existing = {e.case_id: e for e in RankingEntry.objects.filter(round=review_round)}
    # A recorded override is never erased: a case with one cannot silently leave the ranking.
    gone = [e.pk for case_id, e in existing.items() if case_id not in position]
    if gone:
        kept = list(
            RankingEntry.objects.filter(pk__in=gone, overrides__isnull=False).values_list(
                "case__title", flat=True
            )
        )
        if kept:
            raise InvalidTransition(
                _("以下案例已有等次调整记录,不能移出本轮排名:%(cases)s")
                % {"cases": join_list(sorted(set(kept)))}
            )
    threshold = float(config.disagreement_threshold)
    stable_from = float(config.stability_threshold)
    to_create, kept_entries = [], []
    changed = defaultdict(list)  # (attribute names that changed) → the entries they changed in
    for i, case_id in enumerate(case_ids):
        n = int(agg["n"][i])
        tier_index = int(ranked["tier"][i])
        proposed = tiers[tier_index] if tier_index >= 0 and n else None
        flags = []
        if n and statistics.is_disagreement(agg["std"][i], threshold):
            flags.append(RankingFlag.DISAGREEMENT)
        if n < config.min_reviews:
            flags.append(RankingFlag.FEW_REVIEWS)
        if ranked["boundary_tie"][i]:
            flags.append(RankingFlag.BOUNDARY_TIE)
        in_proposed = shares[i, tier_index] if tier_index >= 0 else 1 - shares[i].sum()
        if n and (ranked["boundary_tie"][i] or in_proposed < stable_from):
            flags.append(RankingFlag.BORDERLINE)
        values = {
            "n_reviews": n,
            "mean": _float(agg["mean"][i]),
            "median": _float(agg["median"][i]),
            "trimmed_mean": _float(agg["trimmed"][i]),
            "std": _float(agg["std"][i]) if n else None,
            "normalised_mean": _float(normalised[i]),
            "basis_value": _float(basis[i]),
            "rank": int(ranked["rank"][i]) if n else None,
            "proposed_tier_id": proposed.pk if proposed else None,
            "final_tier_id": proposed.pk if proposed else None,
            "flags": [str(f) for f in flags],
            "stability": {t.code: round(float(shares[i, j]), 3) for j, t in enumerate(tiers)},
        }
        entry = existing.get(case_id)
        if entry is None:
            to_create.append(RankingEntry(round=review_round, case_id=case_id, **values))
            continue
        if entry.overridden:
            del values["final_tier_id"]  # the committee's decision stays
        # Compared as stored (floats and JSON read back equal what was written).
        names = tuple(name for name, value in values.items() if getattr(entry, name) != value)
        for name in names:
            setattr(entry, name, values[name])
        if names:
            changed[names].append(entry)
        kept_entries.append(entry)
    # Many rows changed at once (another basis, the tie-break): rewriting them as new rows is
    # several times cheaper than UPDATE … CASE over every column. Overridden rows keep theirs
    # (their overrides refer to them).
    rewritten = [e for entries in changed.values() for e in entries if not e.overridden]
    if len(rewritten) >= REWRITE_FROM:
        ids = [e.pk for e in rewritten]
        for start in range(0, len(ids), WRITE_BATCH):
            RankingEntry.objects.filter(pk__in=ids[start : start + WRITE_BATCH]).delete()
        for entry in rewritten:
            entry.pk = None
        to_create += rewritten
        changed = {
            names: [e for e in entries if e.overridden] for names, entries in changed.items()
        }
        kept_entries = [e for e in kept_entries if e.pk is not None]
    RankingEntry.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
    # Only the rows that changed, each group with only the columns that changed in it (a
    # recompute with nothing new writes nothing).
    for names, entries in changed.items():
        if not entries:
            continue
        fields = [RankingEntry._meta.get_field(name).name for name in names]
        RankingEntry.objects.bulk_update(entries, fields, batch_size=WRITE_BATCH)
    if gone:
        RankingEntry.objects.filter(pk__in=gone).delete()
    RoundEvent.objects.create(
        round=review_round,
        actor=by,
        kind=RoundEventKind.RANKING_COMPUTED,
        note=_("依据“%(basis)s”,%(n)d 个案例,%(reviews)d 份评分")
        % {"basis": config.get_basis_display(), "n": len(case_ids), "reviews": int(totals.size)},
    )
    return to_create + kept_entries


def _float(value):
    value = float(value)
    return None if np.isnan(value) else value


def _compute_refusal(campaign) -> str:
    if campaign.status in campaign_rules.FROZEN:
        return campaign_rules.frozen_message(campaign)
    return _("专家评审开始后才能计算排名。")


def _require_ranking_status(review_round, by, rule=ranking_rules.can_change_ranking) -> None:
    campaign_rules.require_office(by)
    campaign = review_round.campaign
    message = (
        campaign_rules.frozen_message(campaign)
        if campaign.status in campaign_rules.FROZEN
        else _("评选活动进入“排名”阶段后才能调整和锁定排名。")
    )
    campaign_rules.require(rule, by, campaign, message)


@transaction.atomic
def override_tier(*, entry: RankingEntry, by, tier, reason: str) -> TierOverride:
    """Change a case's tier by hand, with a written reason that is recorded."""
    entry = (
        RankingEntry.objects.select_for_update(of=("self",))
        .select_related("round__campaign", "final_tier")
        .get(pk=entry.pk)
    )
    _require_ranking_status(entry.round, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("调整等次必须填写理由。")})
    if tier is not None and tier.campaign_id != entry.round.campaign_id:
        raise ValidationError({"tier": _("等次不属于本次评选。")})
    if tier == entry.final_tier and entry.overridden:
        raise ValidationError({"tier": _("等次没有变化。")})
    record = TierOverride.objects.create(
        entry=entry, actor=by, old_tier=entry.final_tier, new_tier=tier, reason=reason.strip()
    )
    entry.final_tier = tier
    entry.overridden = True
    entry.save(update_fields=["final_tier", "overridden"])
    return record


@transaction.atomic
def set_tie_break(*, review_round: ReviewRound, by, apply: bool) -> list[RankingEntry]:
    """Apply (or stop applying) the documented tie-break, then recompute."""
    campaign = review_round.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        ranking_rules.can_compute_ranking, by, campaign, _compute_refusal(campaign)
    )
    config = config_for(campaign)
    if config.tie_break != apply:
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.TIE_BREAK_CHANGED,
            note=_("应用并列处理规则") if apply else _("取消并列处理规则"),
        )
    config.tie_break = apply
    config.save(update_fields=["tie_break"])
    return compute_ranking(review_round=review_round, by=by)


def over_quota(review_round) -> list[tuple]:
    """(tier, count) for every tier holding more cases than its quota after manual changes."""
    counts = {}
    for tier_id in RankingEntry.objects.filter(
        round=review_round, final_tier__isnull=False
    ).values_list("final_tier_id", flat=True):
        counts[tier_id] = counts.get(tier_id, 0) + 1
    return [
        (t, counts[t.pk])
        for t in review_round.campaign.tiers.order_by("order")
        if counts.get(t.pk, 0) > t.quota
    ]


def unresolved(review_round) -> list[RankingEntry]:
    """Cases whose tier is undecided because of a tie at a boundary and not yet decided by hand."""
    entries = RankingEntry.objects.filter(round=review_round, overridden=False).select_related(
        "case"
    )
    return [e for e in entries if RankingFlag.BOUNDARY_TIE in e.flags]


@transaction.atomic
def lock_ranking(*, review_round: ReviewRound, by, note: str = "") -> list[tuple]:
    """Lock the final round's ranking: the campaign moves to `locked`.

    Refused unless the campaign is ranking, the round is the last one, its ranking has
    been computed and no boundary tie is left undecided. Returns the tiers that manual
    changes filled beyond their quota, as (tier, count) pairs (allowed: the committee
    decides, with reasons on record; the page says so).
    """
    review_round = ReviewRound.objects.select_related("campaign").get(pk=review_round.pk)
    _require_ranking_status(review_round, by, ranking_rules.can_lock_ranking)
    last = review_round.campaign.rounds.order_by("-order").first()
    if last.pk != review_round.pk:
        raise InvalidTransition(
            _("等次以最后一轮评审为准,请锁定“%(name)s”的排名。") % {"name": last.name}
        )
    if not RankingEntry.objects.filter(round=review_round).exists():
        raise InvalidTransition(_("请先计算排名。"))
    pending = unresolved(review_round)
    if pending:
        raise InvalidTransition(
            _("以下案例在等次边界并列,请先决定其等次:%(cases)s")
            % {"cases": join_list(e.case.title for e in pending)}
        )
    complete_owned_transition(
        campaign=review_round.campaign, by=by, to=CampaignStatus.LOCKED, note=note or _("锁定排名")
    )
    RoundEvent.objects.create(
        round=review_round, actor=by, kind=RoundEventKind.RANKING_LOCKED, note=note.strip()
    )
    return over_quota(review_round)


@transaction.atomic
def reopen_ranking(*, review_round: ReviewRound, by, reason: str) -> None:
    """Reopen a locked ranking with a written reason: the campaign goes back to `ranking`."""
    review_round = ReviewRound.objects.select_related("campaign").get(pk=review_round.pk)
    campaign_rules.require_office(by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("重新开放排名必须填写理由。")})
    campaign_rules.require(
        campaign_rules.can_reopen_ranking,
        by,
        review_round.campaign,
        _("只有已锁定、尚未公示的排名可以重新开放。"),
    )
    complete_owned_transition(
        campaign=review_round.campaign, by=by, to=CampaignStatus.RANKING, note=reason.strip()
    )
    RoundEvent.objects.create(
        round=review_round, actor=by, kind=RoundEventKind.RANKING_REOPENED, note=reason.strip()
    )


def shortlist(
    *, review_round: ReviewRound, target: ReviewRound, by, top: int, include_ties: bool = False
) -> int:
    """Put the top N cases of a round into the next round; a tie at the cut is flagged.

    The flag is written even when the shortlist is refused, so the committee sees
    the tied cases on the ranking page.
    """
    if target.campaign_id != review_round.campaign_id or target.order <= review_round.order:
        raise ValidationError(_("只能入围到本次评选中更后的轮次。"))
    campaign = review_round.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        ranking_rules.can_compute_ranking, by, campaign, _compute_refusal(campaign)
    )
    if top < 1:
        raise ValidationError({"top": _("入围数量至少为 1。")})
    entries = list(
        RankingEntry.objects.filter(round=review_round, rank__isnull=False).order_by("rank", "pk")
    )
    if not entries:
        raise InvalidTransition(_("请先计算排名。"))
    chosen = entries[:top]
    if len(entries) > top and entries[top].rank == entries[top - 1].rank:
        tied_rank = entries[top - 1].rank
        tied = [e for e in entries if e.rank == tied_rank]
        with transaction.atomic():
            for e in tied:
                if RankingFlag.SHORTLIST_TIE not in e.flags:
                    e.flags = [*e.flags, RankingFlag.SHORTLIST_TIE.value]
                    e.save(update_fields=["flags"])
        if not include_ties:
            raise InvalidTransition(
                _("第 %(n)d 名处有 %(k)d 个案例并列,请确认是否全部入围。")
                % {"n": top, "k": len(tied)}
            )
        chosen = [e for e in entries if e.rank <= tied_rank]
    with transaction.atomic():
        target.cases.add(*[e.case_id for e in chosen])
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.SHORTLISTED,
            note=_("前 %(top)d 名(%(n)d 个案例)入围“%(target)s”")
            % {"top": top, "n": len(chosen), "target": target.name},
        )
    return len(chosen)


@transaction.atomic
def publish_notice_from_ranking(*, review_round: ReviewRound, by, ends_at) -> Campaign:
    """Open the public notice from the final round's locked ranking.

    Turns the ranking into each case's (final tier, published rank, score) and hands it
    to `reform_cases.publication.services.open_public_notice`, which copies them onto the
    cases and moves the campaign to `notice`.
    """
    review_round = ReviewRound.objects.select_related("campaign").get(pk=review_round.pk)
    campaign_rules.require_office(by)
    refusal = notice_refusal(review_round=review_round, by=by)
    if refusal:
        raise InvalidTransition(refusal)
    return open_public_notice(
        campaign=review_round.campaign,
        by=by,
        ends_at=ends_at,
        outcomes=notice_outcomes(review_round),
    )


def notice_refusal(*, review_round: ReviewRound, by) -> str:
    """Why the notice cannot be opened from `review_round` now ('' when it can)."""
    if not ranking_rules.can_open_notice.test(by, review_round.campaign):
        return _("排名锁定后才能发布公示。")
    last = review_round.campaign.rounds.order_by("-order").first()
    if last.pk != review_round.pk:
        return _("等次以最后一轮评审为准,请从“%(name)s”发布公示。") % {"name": last.name}
    return ""


def notice_outcomes(review_round: ReviewRound) -> dict:
    """{case id: (final tier, published rank, score)}: what the notice copies onto the cases
    (and what its confirmation page counts)."""
    outcomes = {}
    entries = RankingEntry.objects.filter(round=review_round).select_related("final_tier")
    # Published ranks follow the final tiers (overrides included): 1, 2, 3... down the list.
    awarded = sorted(
        (e for e in entries if e.final_tier is not None),
        key=lambda e: (e.final_tier.order, e.rank or 10**9, e.pk),
    )
    published_rank = {e.pk: i for i, e in enumerate(awarded, start=1)}
    for entry in entries:
        score = None if entry.basis_value is None else two_place_decimal(entry.basis_value)
        outcomes[entry.case_id] = (entry.final_tier, published_rank.get(entry.pk), score)
    return outcomes


def two_place_decimal(value) -> Decimal:
    """A float as a Decimal to two places, exactly as the ranking compares it (`to_cents`):
    87.21499999999999 (a mean of 87.215 summed in another order) is 87.22 here too."""
    cents = int(statistics.to_cents([float(value)])[0])
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
