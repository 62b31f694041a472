"""Reads shared by the public pages, the exports, the statistics and the open data, and
the numbers the office's confirmation pages show before an irreversible step."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet

from accounts.models import Organisation, Role, User
from common.lists import join_list
from reform_cases.models import (
    PUBLIC_OUTCOMES,
    Campaign,
    CampaignEvent,
    CampaignEventKind,
    CampaignStatus,
    Case,
    CaseOutcome,
    CaseStatus,
    Correction,
    Field,
    ResultsManifest,
    Tier,
)

NOTICE_CHANGE_KINDS = (CampaignEventKind.NOTICE_EXTENDED, CampaignEventKind.NOTICE_SHORTENED)


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
    notice_change: "NoticeChange | None" = None  # the latest change of a running notice

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
    parts = [join_list(u.name for u in units)] if units else []
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
        notice_change=latest_notice_change(campaign),
    )


# --- a change of the notice period -------------------------------------------------------


@dataclass
class NoticeChange:
    """The latest change of a running notice's end, as the public page shows it."""

    extended: bool
    ends_at: datetime
    reason: str


def notice_change_note(old: str, new: str, reason: str) -> str:
    """The event's note: 'old → new' on the first line, the reason (verbatim) after it."""
    return f"{old} → {new}\n{reason}"


def latest_notice_change(campaign) -> NoticeChange | None:
    """None unless the campaign is on notice and its end was changed (one query then)."""
    if campaign.status != CampaignStatus.NOTICE or campaign.notice_ends_at is None:
        return None
    event = (
        CampaignEvent.objects.filter(campaign=campaign, kind__in=NOTICE_CHANGE_KINDS)
        .order_by("-at", "-pk")
        .only("kind", "note")
        .first()
    )
    if event is None:
        return None
    return NoticeChange(
        extended=event.kind == CampaignEventKind.NOTICE_EXTENDED,
        ends_at=campaign.notice_ends_at,
        reason=event.note.partition("\n")[2],
    )


# --- what an irreversible step will do, in numbers ---------------------------------------


@dataclass
class Impact:
    """What the office confirms: how many cases in each tier, and who will be notified."""

    rows: list[tuple[str, int]]  # (tier or outcome label, number of cases), in tier order
    not_awarded: int
    organisations: int  # organisations whose members will be notified
    experts: int  # experts who will be notified
    recipients: int  # every recipient (accounts) of the notifications

    @property
    def awarded(self) -> int:
        return sum(n for _label, n in self.rows)


def recipients_impact(rows, not_awarded, recipients) -> Impact:
    users = list(recipients)
    return Impact(
        rows=rows,
        not_awarded=not_awarded,
        organisations=len(
            {u.organisation_id for u in users if u.role == Role.LOCALITY and u.organisation_id}
        ),
        experts=sum(1 for u in users if u.role == Role.EXPERT),
        recipients=len(users),
    )


def outcome_recipients(campaign) -> list[tuple[Case, list[User]]]:
    """Each accepted case of `campaign` with the active locality accounts of its organisation:
    the recipients of its outcome when the results are published (two queries)."""
    cases = list(
        Case.objects.filter(
            campaign=campaign, status=CaseStatus.ACCEPTED, organisation__isnull=False
        )
        .select_related("tier", "organisation")
        .order_by("organisation_id", "pk")
    )
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(
        role=Role.LOCALITY,
        is_active=True,
        organisation_id__in={case.organisation_id for case in cases},
    ).order_by("pk"):
        members.setdefault(user.organisation_id, []).append(user)
    return [(case, members.get(case.organisation_id, [])) for case in cases]


def _tier_rows(tiers, tier_of: list[tuple[Tier | None, str]]) -> tuple[list, int]:
    """Counts per tier (every tier of the campaign, in order), 'selected' and not awarded."""
    counts = {t.pk: 0 for t in tiers}
    selected = not_awarded = 0
    for tier, outcome in tier_of:
        if tier is not None:
            counts[tier.pk] = counts.get(tier.pk, 0) + 1
        elif outcome == CaseOutcome.SELECTED:
            selected += 1
        else:
            not_awarded += 1
    rows = [(t.localised_name, counts[t.pk]) for t in tiers]
    if selected:
        rows.append((str(CaseOutcome.SELECTED.label), selected))
    return rows, not_awarded


def publication_impact(campaign) -> Impact:
    """What `publish_results` will publish and whom it will notify (its own recipients)."""
    tiers = list(campaign.tiers.order_by("order"))
    notices = outcome_recipients(campaign)
    rows, not_awarded = _tier_rows(tiers, [(case.tier, case.outcome) for case, _u in notices])
    recipients = {u.pk: u for _case, users in notices for u in users}
    return recipients_impact(rows, not_awarded, recipients.values())


def notice_impact(campaign, outcomes: dict) -> Impact:
    """What `open_public_notice` will put on notice given `outcomes` ({case id: (tier, rank,
    score)}); the notice itself notifies no one (the list is public on the results page)."""
    tiers = list(campaign.tiers.order_by("order"))
    accepted = Case.objects.filter(campaign=campaign, status=CaseStatus.ACCEPTED).values_list(
        "pk", flat=True
    )
    tier_of = []
    for pk in accepted:
        tier = outcomes.get(pk, (None, None, None))[0]
        tier_of.append((tier, CaseOutcome.AWARDED if tier else CaseOutcome.NOT_AWARDED))
    rows, not_awarded = _tier_rows(tiers, tier_of)
    return recipients_impact(rows, not_awarded, [])


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


# --- a locality's own outcome ----------------------------------------------------------


@dataclass
class OwnOutcome:
    """What a locality reads of its own case: the proposed tier during the notice, the tier
    and rank once published."""

    on_notice: bool
    label: str  # the tier's name, or the outcome (入选 / 不获奖)
    awarded: bool
    rank: int | None  # the published rank, after publication only
    notice_ends_at: datetime | None


def own_outcome(case) -> OwnOutcome | None:
    """None before the notice: nothing of the ranking shows until it is public.

    Reads only `case`, its `campaign` and its `tier` (select_related them for a list).
    """
    campaign = case.campaign
    if case.status != CaseStatus.ACCEPTED or campaign.status not in (
        CampaignStatus.NOTICE,
        CampaignStatus.PUBLISHED,
    ):
        return None
    if case.outcome == CaseOutcome.PENDING:
        return None
    published = campaign.status == CampaignStatus.PUBLISHED
    awarded = case.outcome in PUBLIC_OUTCOMES
    return OwnOutcome(
        on_notice=not published,
        label=case.award_label,
        awarded=awarded,
        rank=case.rank if published and awarded else None,
        notice_ends_at=None if published else campaign.notice_ends_at,
    )
