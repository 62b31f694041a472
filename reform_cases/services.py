"""State changes of campaigns and cases. Each runs in one transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Case, CaseEvent, CaseOutcome, Correction
from .public_cache import invalidate_public_results

# Fields a correction may change, and how each is shown in the public record.
CORRECTABLE_FIELDS = (
    "title",
    "award",
    "organisation",
    "co_organisations",
    "region",
    "field",
    "summary",
    "evidence",
)


def award_label(case_or_tier, outcome=None) -> str:
    """'最佳实践案例', '入选(等次未公布)', ... for a case or a (tier, outcome) pair."""
    if isinstance(case_or_tier, Case):
        tier, outcome = case_or_tier.tier, case_or_tier.outcome
    else:
        tier = case_or_tier
    if tier is not None:
        return tier.name
    return str(CaseOutcome(outcome or "").label) if outcome else ""


def _display(case: Case, name: str) -> str:
    if name == "award":
        return award_label(case)
    if name == "co_organisations":
        return "、".join(o.name for o in case.co_organisations.all())
    value = getattr(case, name)
    if value is None:
        return ""
    if name in ("organisation", "region", "field"):
        return getattr(value, "name", str(value))
    return str(value)


@transaction.atomic
def correct_case(*, case: Case, by, reason: str, changes: dict) -> list[Correction]:
    """Change a case's published facts, recording who, when, old → new and why.

    `changes` may hold any of CORRECTABLE_FIELDS; "award" is a (tier, outcome)
    pair. Returns the corrections recorded (none when nothing differed).
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写更正理由。")})
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not correctable: {sorted(unknown)}")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("tier", "organisation", "region", "field")
        .get(pk=case.pk)
    )

    recorded = []
    for name, new in changes.items():
        old_text = _display(case, name)
        if name == "award":
            tier, outcome = new
            if tier is not None and tier.campaign_id != case.campaign_id:
                raise ValidationError({"tier": _("等次不属于该案例所在的评选活动。")})
            case.tier, case.outcome = tier, outcome
        elif name == "co_organisations":
            current = {o.pk for o in case.co_organisations.all()}
            if current == {o.pk for o in new}:
                continue
            case.co_organisations.set(new)
        else:
            setattr(case, name, new)
        new_text = _display(case, name)
        if new_text != old_text:
            recorded.append(
                Correction(
                    campaign_id=case.campaign_id,
                    case=case,
                    field_name=name,
                    old_value=old_text,
                    new_value=new_text,
                    reason=reason.strip(),
                    actor=by,
                )
            )
    if not recorded:
        return []
    case.full_clean(exclude=["title_key", "created_by"], validate_unique=True)
    case.save()
    Correction.objects.bulk_create(recorded)
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind="corrected",
        note=reason.strip(),
    )
    transaction.on_commit(invalidate_public_results)
    return recorded


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
        status="accepted",
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
        kind="imported",
        note=_("由 %(source)s 导入") % {"source": source} if source else "",
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
