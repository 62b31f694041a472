"""Reads shared by the public pages, the exports, the statistics and the open data."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet

from accounts.models import Organisation
from reform_cases.models import (
    PUBLIC_OUTCOMES,
    Campaign,
    CampaignStatus,
    Case,
    CaseOutcome,
    Correction,
    Field,
    ResultsManifest,
    Tier,
)


@dataclass
class TierSection:
    tier: Tier
    cases: list = field(default_factory=list)
    listed: int = 0  # public cases of the tier in the whole campaign, whatever the filter

    @property
    def incomplete(self) -> bool:
        return self.listed < self.tier.quota


@dataclass
class ResultsPage:
    campaign: Campaign
    sections: list[TierSection]
    selected: list
    selected_total: int
    corrections: list
    regions: list
    fields: list
    filtered: bool
    manifests: list = field(default_factory=list)  # newest first

    @property
    def manifest(self) -> dict | None:
        return self.manifests[0] if self.manifests else None

    @property
    def manifest_has_scores(self) -> bool:
        """A historical result (loaded from public sources) has no raw scores on the platform."""
        return (
            bool(self.manifests)
            and self.manifests[-1]["reason"] != ResultsManifest.HISTORICAL_REASON
        )

    @property
    def listed_total(self) -> int:
        return sum(s.listed for s in self.sections)

    @property
    def quota_total(self) -> int:
        return sum(s.tier.quota for s in self.sections)

    @property
    def incomplete(self) -> bool:
        return any(s.incomplete for s in self.sections)

    @property
    def shown_count(self) -> int:
        return sum(len(s.cases) for s in self.sections) + len(self.selected)


def public_campaigns() -> QuerySet[Campaign]:
    """Every public campaign, newest first, with its number of listed cases."""
    # annotate() drops Meta.ordering, so the order is explicit.
    return (
        Campaign.objects.public()
        .annotate(listed=Count("cases", filter=Q(cases__outcome__in=PUBLIC_OUTCOMES)))
        .order_by("-year")
    )


def open_calls() -> QuerySet[Campaign]:
    """Campaigns whose call for entries is public now."""
    return Campaign.objects.filter(status=CampaignStatus.OPEN, is_demo=False).order_by("-year")


def latest_public_campaign() -> Campaign | None:
    return Campaign.objects.public().order_by("-year").first()


def public_cases(campaign=None) -> QuerySet[Case]:
    qs = (
        Case.objects.public()
        .select_related("organisation", "region", "field", "tier", "campaign")
        .prefetch_related(Prefetch("co_organisations", queryset=Organisation.objects.only("name")))
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by(
        F("tier__order").asc(nulls_last=True), F("rank").asc(nulls_last=True), "title"
    )


def case_meta_line(case) -> str:
    """'Units · region · field' for one row, computed once instead of in the template."""
    units = [case.organisation] if case.organisation else []
    units += list(case.co_organisations.all())
    parts = ["、".join(u.name for u in units)] if units else []
    if case.region:
        parts.append(case.region.name)
    if case.field:
        parts.append(case.field.localised_name)
    return " · ".join(parts)


def tier_counts(campaign) -> dict[int, int]:
    """{tier_id: number of public cases} for one campaign, in one query."""
    rows = Case.objects.public().filter(campaign=campaign).values("tier_id").annotate(n=Count("id"))
    return {row["tier_id"]: row["n"] for row in rows}


def public_corrections(campaign) -> QuerySet[Correction]:
    """The corrections anyone may read: those of the campaign's public cases, and the award
    corrections that took a case off the list (its title was public until then). A case that
    was never public (not awarded) stays unnamed, whatever was corrected on it."""
    return (
        Correction.objects.filter(campaign=campaign)
        .filter(Q(case__outcome__in=PUBLIC_OUTCOMES) | Q(field_name="award"))
        .select_related("case")
        .order_by("-at")
    )


def results_page(campaign, filtered_cases, *, filtered: bool) -> ResultsPage:
    """Everything the results page of one campaign shows, in a fixed number of queries."""
    tiers = list(campaign.tiers.order_by("order"))
    counts = tier_counts(campaign)
    sections = {t.pk: TierSection(tier=t, listed=counts.get(t.pk, 0)) for t in tiers}
    selected = []
    for case in filtered_cases:
        case.meta_line = case_meta_line(case)
        if case.outcome == CaseOutcome.SELECTED:
            selected.append(case)
        elif case.tier_id in sections:
            sections[case.tier_id].cases.append(case)
    facets = Case.objects.public().filter(campaign=campaign)
    region_ids = facets.values("region_id")
    field_ids = facets.values("field_id")
    return ResultsPage(
        campaign=campaign,
        sections=list(sections.values()),
        selected=selected,
        selected_total=counts.get(None, 0),
        corrections=list(public_corrections(campaign)),
        regions=list(Organisation.objects.filter(pk__in=region_ids).order_by("kind", "name")),
        fields=list(Field.objects.filter(pk__in=field_ids)),
        filtered=filtered,
        manifests=list(
            ResultsManifest.objects.filter(campaign=campaign)
            .order_by("-version")
            .values("version", "sha256", "reason", "created_at")
        ),
    )


def home_overview(campaign) -> list[TierSection]:
    """The latest campaign's tiers with how many of each quota are listed."""
    if campaign is None:
        return []
    counts = tier_counts(campaign)
    return [
        TierSection(tier=t, listed=counts.get(t.pk, 0)) for t in campaign.tiers.order_by("order")
    ]


def results_statistics(campaign) -> dict:
    """Listed cases by city and by field, per tier, with bar widths for the chart."""
    tiers = list(campaign.tiers.order_by("order"))
    rows = (
        Case.objects.public()
        .filter(campaign=campaign)
        .values("region__name", "field__name", "tier_id", "outcome")
        .annotate(n=Count("id"))
    )
    by_region, by_field = {}, {}
    for row in rows:
        for table, key in (
            (by_region, row["region__name"] or "—"),
            (by_field, row["field__name"] or "—"),
        ):
            counts = table.setdefault(
                key, {"total": 0, "tiers": {t.pk: 0 for t in tiers}, "selected": 0}
            )
            counts["total"] += row["n"]
            if row["tier_id"] in counts["tiers"]:
                counts["tiers"][row["tier_id"]] += row["n"]
            elif row["outcome"] == CaseOutcome.SELECTED:
                counts["selected"] += row["n"]

    def table(data):
        biggest = max((v["total"] for v in data.values()), default=0) or 1
        result = [
            {
                "name": name,
                "total": v["total"],
                "per_tier": [v["tiers"][t.pk] for t in tiers],
                "selected": v["selected"],
                "width": round(100 * v["total"] / biggest),
            }
            for name, v in data.items()
        ]
        return sorted(result, key=lambda r: (-r["total"], r["name"]))

    counts = tier_counts(campaign)
    sections = [TierSection(tier=t, listed=counts.get(t.pk, 0)) for t in tiers]
    return {
        "tiers": tiers,
        "sections": sections,
        "incomplete": any(s.incomplete for s in sections),
        "by_region": table(by_region),
        "by_field": table(by_field),
        "listed": sum(counts.values()),
    }


def open_data(campaign, base_url: str) -> dict:
    """The public list as plain data: tiers, units, region, field, links; never a score."""
    items = []
    for case in public_cases(campaign):
        units = [case.organisation] if case.organisation else []
        units += list(case.co_organisations.all())
        items.append(
            {
                "id": case.pk,
                "title": case.title,
                "tier": case.tier.code if case.tier else None,
                "tier_name": case.tier.name if case.tier else None,
                "outcome": case.outcome,
                "rank": case.rank,
                "units": [u.name for u in units],
                "region": case.region.name if case.region else None,
                "field": case.field.name if case.field else None,
                "evidence": case.evidence or None,
                "url": f"{base_url}/cases/{case.pk}/",
            }
        )
    counts = tier_counts(campaign)
    return {
        "year": campaign.year,
        "title": campaign.title,
        "status": campaign.status,
        "announced_on": campaign.announced_on.isoformat() if campaign.announced_on else None,
        "notice_ends_at": campaign.notice_ends_at.isoformat() if campaign.notice_ends_at else None,
        "tiers": [
            {
                "code": t.code,
                "name": t.name,
                "name_en": t.name_en,
                "quota": t.quota,
                "listed": counts.get(t.pk, 0),
            }
            for t in campaign.tiers.order_by("order")
        ],
        "complete": all(counts.get(t.pk, 0) >= t.quota for t in campaign.tiers.all()),
        "cases": items,
    }
