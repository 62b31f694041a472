"""Reading and checking a results file (the column format of results-2020.csv).

`read_rows` turns an uploaded CSV or XLSX into dictionaries; `plan_import`
checks every row against the database without changing it and says, row by
row, what applying would do or why it cannot. `services.apply_import` applies
a plan that has no errors, all or nothing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import UnitPlan, find_region, plan_unit
from common.tabular import TableFileError, read_table
from reform_cases.models import (
    CORRECTION_LABELS,
    Campaign,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseOutcome,
    CaseStatus,
    Field,
    award_label,
    normalise_title,
)
from reform_cases.publication import manifest
from reform_cases.publication.cache import invalidate_public_results
from reform_cases.publication.services import correct_case

COLUMNS = ("year", "tier", "title", "units", "region", "field", "evidence")
REQUIRED_COLUMNS = ("year", "tier", "title")
# Accepted for the "selected, tier not published" outcome besides its code.
SELECTED_NAMES = {"selected", "入选", "入选(等次未公布)", "入选案例"}


ImportFileError = TableFileError


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return _("第 %(line)d 行:%(message)s") % {"line": self.line, "message": self.message}


@dataclass
class RowPlan:
    line: int
    year: int
    title: str
    action: str  # "create", "update" or "unchanged"
    campaign: Campaign
    tier: object
    outcome: str
    region: object
    field: object
    units: list[UnitPlan]
    evidence: str
    case: Case | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def award(self):
        return award_label(self.tier, self.outcome)

    @property
    def labelled_changes(self):
        return [(CORRECTION_LABELS.get(name, name), old, new) for name, old, new in self.changes]


@dataclass
class ImportPlan:
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """Return (line number, row) pairs; the header is line 1."""
    return read_table(data, filename, required=REQUIRED_COLUMNS, expected=COLUMNS)


def _resolve_award(campaign, text):
    """(tier, outcome) for a tier cell: a code, a Chinese name or 'selected'."""
    text = text.strip()
    if text.lower() in SELECTED_NAMES or text in SELECTED_NAMES:
        return None, CaseOutcome.SELECTED
    for tier in campaign.tier_list:
        if text.lower() == tier.code.lower() or text == tier.name:
            return tier, CaseOutcome.AWARDED
    return None, None


def plan_import(rows: list[tuple[int, dict]]) -> ImportPlan:
    plan = ImportPlan()
    campaigns = {}
    fields = {f.name: f for f in Field.objects.all()}
    fields.update({f.name_en.lower(): f for f in fields.values() if f.name_en})
    seen_titles = {}

    for line, row in rows:
        problems = []
        title = row.get("title", "").strip()
        if not title:
            problems.append(_("缺少案例名称(title)。"))
        elif len(title) > Case._meta.get_field("title").max_length:
            problems.append(_("案例名称过长(上限 200 字)。"))

        year_text = row.get("year", "").strip()
        campaign = None
        try:
            year = int(float(year_text))
        except ValueError:
            year = None
            problems.append(_("年度“%(value)s”不是有效的年份。") % {"value": year_text})
        if year is not None:
            if year not in campaigns:
                campaigns[year] = (
                    Campaign.objects.filter(year=year, is_demo=False)
                    .prefetch_related("tiers")
                    .first()
                )
                if campaigns[year] is not None:
                    campaigns[year].tier_list = list(campaigns[year].tiers.all())
            campaign = campaigns[year]
            if campaign is None:
                problems.append(_("没有 %(year)d 年度的评选活动。") % {"year": year})

        tier, outcome = None, None
        if campaign is not None:
            tier, outcome = _resolve_award(campaign, row.get("tier", ""))
            if outcome is None:
                names = "、".join(
                    [f"{t.code}/{t.name}" for t in campaign.tier_list] + ["selected/入选"]
                )
                problems.append(
                    _("等次“%(value)s”不存在(可用:%(names)s)。")
                    % {"value": row.get("tier", ""), "names": names}
                )

        region_name = row.get("region", "").strip()
        region = find_region(region_name) if region_name else None
        if region_name and region is None:
            problems.append(_("地区“%(value)s”不是浙江省或其设区市。") % {"value": region_name})

        field_name = row.get("field", "").strip()
        field_obj = fields.get(field_name) or fields.get(field_name.lower())
        if field_name and field_obj is None:
            problems.append(_("领域“%(value)s”不存在。") % {"value": field_name})

        units = []
        for name in [u for u in row.get("units", "").replace(";", ";").split(";") if u.strip()]:
            if len(name.strip()) > 120:
                problems.append(_("单位名称“%(value)s”过长。") % {"value": name[:20]})
                continue
            units.append(plan_unit(name, region))

        key = (year, normalise_title(title))
        if title and year is not None:
            if key in seen_titles:
                problems.append(_("与第 %(line)d 行是同一个案例。") % {"line": seen_titles[key]})
            seen_titles.setdefault(key, line)

        if problems:
            plan.errors.extend(RowError(line, p) for p in problems)
            continue
        row_plan = RowPlan(
            line=line,
            year=year,
            title=title,
            action="create",
            campaign=campaign,
            tier=tier,
            outcome=outcome,
            region=region,
            field=field_obj,
            units=units,
            evidence=row.get("evidence", "").strip(),
        )
        _compare_with_existing(row_plan)
        plan.rows.append(row_plan)

    if plan.rows or not plan.errors:
        _check_quotas(plan, campaigns)
    return plan


def _compare_with_existing(row: RowPlan) -> None:
    case = (
        Case.objects.filter(campaign=row.campaign, title_key=normalise_title(row.title))
        .select_related("tier", "organisation", "region", "field")
        .prefetch_related("co_organisations")
        .first()
    )
    if case is None:
        return
    row.case = case
    changes = []
    if case.title != row.title:
        changes.append(("title", case.title, row.title))
    if (case.tier_id, case.outcome) != (getattr(row.tier, "pk", None), row.outcome):
        changes.append(("award", case.award_label, row.award))
    if row.units:
        new_org = row.units[0]
        old_org = case.organisation.name if case.organisation else ""
        if new_org.is_new or new_org.existing.pk != case.organisation_id:
            changes.append(("organisation", old_org, new_org.name))
        old_co = [o.name for o in case.co_organisations.all()]
        new_co = [u.name for u in row.units[1:]]
        if sorted(old_co) != sorted(new_co):
            changes.append(("co_organisations", "、".join(old_co), "、".join(new_co)))
    if row.region is not None and row.region.pk != case.region_id:
        changes.append(("region", case.region.name if case.region else "", row.region.name))
    if row.field is not None and row.field.pk != case.field_id:
        changes.append(("field", case.field.name if case.field else "", row.field.name))
    if row.evidence and row.evidence != case.evidence:
        changes.append(("evidence", case.evidence, row.evidence))
    row.changes = changes
    row.action = "update" if changes else "unchanged"


def _check_quotas(plan: ImportPlan, campaigns: dict) -> None:
    """A tier may not hold more cases than its quota once the file is applied."""
    for campaign in (c for c in campaigns.values() if c is not None):
        rows = [r for r in plan.rows if r.campaign.pk == campaign.pk]
        in_file = {r.case.pk for r in rows if r.case is not None}
        for tier in campaign.tier_list:
            kept = Case.objects.filter(campaign=campaign, tier=tier).exclude(pk__in=in_file).count()
            tier_rows = [r for r in rows if r.tier is not None and r.tier.pk == tier.pk]
            if kept + len(tier_rows) <= tier.quota:
                continue
            for row in tier_rows[max(tier.quota - kept, 0) :]:
                plan.errors.append(
                    RowError(
                        row.line,
                        _("%(tier)s名额为 %(quota)d 个,导入后将有 %(total)d 个。")
                        % {"tier": tier.name, "quota": tier.quota, "total": kept + len(tier_rows)},
                    )
                )
    plan.errors.sort(key=lambda e: e.line)


@transaction.atomic
def record_historical_case(
    *,
    campaign,
    by,
    title: str,
    tier,
    outcome: str,
    organisation=None,
    co_organisations=(),
    region=None,
    field=None,
    summary: str = "",
    evidence: str = "",
    source: str = "",
) -> Case:
    """Add a case of an earlier, already decided round (e.g. completing the 2020 list)."""
    case = Case(
        campaign=campaign,
        title=title.strip(),
        tier=tier,
        outcome=outcome,
        organisation=organisation,
        region=region,
        field=field,
        summary=summary,
        evidence=evidence,
        status=CaseStatus.ACCEPTED,
        is_historical=True,
        created_by=by,
    )
    case.full_clean(exclude=["title_key", "created_by"])
    case.save()
    if co_organisations:
        case.co_organisations.set(co_organisations)
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind=CaseEventKind.IMPORTED,
        note=_("由 %(source)s 导入") % {"source": source} if source else "",
    )
    if campaign.manifests.exists():
        manifest.freeze_manifest(
            campaign=campaign, by=by, reason=_("补充历史案例:%(title)s") % {"title": case.title}
        )
    transaction.on_commit(invalidate_public_results)
    return case


@transaction.atomic
def apply_import(*, plan, by, source: str) -> dict[str, int]:
    """Apply a checked results file: all rows or none.

    New cases are recorded as historical cases; a row that differs from an
    existing case goes through `correct_case`, with the file as the reason.
    """
    from accounts.services import ensure_unit

    if not plan.ok:
        raise ValidationError([str(e) for e in plan.errors])
    reason = _("依据导入文件“%(source)s”") % {"source": source}
    counts = {"create": 0, "update": 0, "unchanged": 0}
    for row in plan.rows:
        counts[row.action] += 1
        if row.action == "unchanged":
            continue
        organisations = [ensure_unit(unit) for unit in row.units]
        if row.action == "create":
            record_historical_case(
                campaign=row.campaign,
                by=by,
                title=row.title,
                tier=row.tier,
                outcome=row.outcome,
                organisation=organisations[0] if organisations else None,
                co_organisations=organisations[1:],
                region=row.region,
                field=row.field,
                evidence=row.evidence,
                source=source,
            )
            continue
        values = {
            "title": row.title,
            "award": (row.tier, row.outcome),
            "organisation": organisations[0] if organisations else None,
            "co_organisations": organisations[1:],
            "region": row.region,
            "field": row.field,
            "evidence": row.evidence,
        }
        changed = {name: values[name] for name, _old, _new in row.changes}
        correct_case(case=row.case, by=by, reason=reason, changes=changed)
    return counts
