"""The ranking's section of the results manifest (reform_cases/publication/manifest.py).

Everything needed to recompute the tiers of the final round without the database: the
configuration, every ranked case (public ones by their id, the others under opaque ids with
no title, unit or text), every override with its reason, and every submitted review's raw
criterion scores under an expert pseudonym. Scores are otherwise never public; here they
are, deliberately, because without them nobody could check the tiers. No expert's name is in it.
"""

import hashlib

from audit.chain import canonical
from reform_cases.models import Campaign
from reviews.models import RankingEntry, ReviewRound, ReviewStatus, Score, TierOverride
from reviews.ranking import statistics
from reviews.ranking.services import config_or_default

NO_SCORES = "本评选未存有原始评分(历史结果依据公开来源载入),清单只包含公布的名单。"


def _pseudonyms(campaign: Campaign, ids, prefix: str) -> dict[int, str]:
    """Stable, meaningless labels: ordered by a hash of (campaign, id), not by id."""
    ordered = sorted(
        set(ids), key=lambda pk: hashlib.sha256(f"{campaign.pk}:{prefix}:{pk}".encode()).digest()
    )
    width = max(3, len(str(len(ordered))))
    return {pk: f"{prefix}{i:0{width}d}" for i, pk in enumerate(ordered, start=1)}


def final_round(campaign: Campaign) -> ReviewRound | None:
    return campaign.rounds.order_by("-order").first()


def ranking_section(campaign: Campaign, public_ids: set[int]) -> dict:
    review_round = final_round(campaign)
    if review_round is None:
        return {"ranking": None, "ranking_note": NO_SCORES}
    config = config_or_default(campaign)
    criteria = list(campaign.criteria.order_by("order", "pk"))
    criterion_label = {c.pk: f"K{i}" for i, c in enumerate(criteria, start=1)}
    entries = list(
        RankingEntry.objects.filter(round=review_round)
        .select_related("proposed_tier", "final_tier")
        .order_by("case_id")
    )
    opaque = _pseudonyms(campaign, [e.case_id for e in entries if e.case_id not in public_ids], "N")

    def case_id(pk: int) -> str:
        return str(pk) if pk in public_ids else opaque[pk]

    rows = (
        Score.objects.filter(
            review__assignment__round=review_round, review__status=ReviewStatus.SUBMITTED
        )
        .values_list(
            "review_id", "review__assignment__case_id", "review__assignment__expert_id",
            "criterion_id", "value",
        )
        .order_by("review_id", "criterion_id")
    )  # fmt: skip
    reviews: dict[int, dict] = {}
    for review_id, case_pk, expert_pk, criterion_pk, value in rows.iterator(chunk_size=5000):
        if case_pk not in opaque and case_pk not in public_ids:
            continue  # a review of a case that is not ranked in this round
        review = reviews.setdefault(review_id, {"case": case_pk, "expert": expert_pk, "scores": {}})
        review["scores"][criterion_label[criterion_pk]] = value
    experts = _pseudonyms(campaign, [r["expert"] for r in reviews.values()], "E")
    review_list = sorted(
        (
            {"case": case_id(r["case"]), "expert": experts[r["expert"]], "scores": r["scores"]}
            for r in reviews.values()
        ),
        key=lambda r: (r["case"], r["expert"]),
    )
    overrides = [
        {
            "case": case_id(o.entry.case_id),
            "from": o.old_tier.code if o.old_tier else None,
            "to": o.new_tier.code if o.new_tier else None,
            "reason": o.reason,
            "at": o.at,
        }
        for o in TierOverride.objects.filter(entry__round=review_round)
        .select_related("entry", "old_tier", "new_tier")
        .order_by("at", "pk")
    ]
    return {
        "ranking": {
            "round": review_round.name,
            "basis": str(config.basis),
            "tie_break": bool(config.tie_break),
            "trim_from": statistics.TRIM_FROM,
            "normalise_from": statistics.NORMALISE_FROM,
            "compared_at_decimals": 2,
            "criteria": [
                {
                    "id": criterion_label[c.pk],
                    "name": c.name,
                    "max": c.max_score,
                    "weight": c.weight,
                }
                for c in criteria
            ],
            "cases": [
                {
                    "id": case_id(e.case_id),
                    "public": e.case_id in public_ids,
                    "proposed_tier": e.proposed_tier.code if e.proposed_tier else None,
                    "final_tier": e.final_tier.code if e.final_tier else None,
                    "rank": e.rank,
                    "overridden": e.overridden,
                }
                for e in sorted(entries, key=lambda e: case_id(e.case_id))
            ],
            "overrides": overrides,
            "reviews": review_list,
            "reviews_sha256": hashlib.sha256(canonical({"r": review_list}).encode()).hexdigest(),
        }
    }
