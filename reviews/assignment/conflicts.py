"""Conflicts of interest (回避).

Automatic rule: an expert never reviews a case whose submitting or
co-implementing organisation is the expert's own organisation, or one directly
above or below it (a county and its city). Declared and recorded conflicts are
honoured too.
"""

from django.utils.translation import gettext as _

from reviews.models import Conflict


def organisation_conflict(expert_org, case_orgs) -> str | None:
    """Why `expert_org` may not judge a case of `case_orgs`, or None."""
    if expert_org is None:
        return None
    for org in case_orgs:
        if org is None:
            continue
        if org.pk == expert_org.pk:
            return _("专家所在单位“%(org)s”是该案例的申报或共同实施单位。") % {"org": org.name}
        if org.parent_id == expert_org.pk:
            return _("案例单位“%(org)s”是专家所在单位的下级单位。") % {"org": org.name}
        if expert_org.parent_id == org.pk:
            return _("案例单位“%(org)s”是专家所在单位的上级单位。") % {"org": org.name}
    return None


def case_organisations(case) -> list:
    return [case.organisation, *case.co_organisations.all()]


def conflict_reason(expert, case) -> str | None:
    """The reason this expert may not review this case, or None."""
    profile = getattr(expert, "expert_profile", None)
    reason = organisation_conflict(
        profile.affiliation if profile else None, case_organisations(case)
    )
    if reason:
        return reason
    declared = Conflict.objects.filter(expert=expert, case=case).first()
    if declared:
        return _("已登记回避:%(reason)s") % {"reason": declared.reason}
    return None


def conflict_table(experts, cases) -> dict[tuple[int, int], str]:
    """{(expert id, case id): reason} for every conflicted pair, in a fixed number of queries.

    `experts` need `expert_profile__affiliation` loaded; `cases` need
    `organisation` and `co_organisations` prefetched.
    """
    table = {}
    for expert in experts:
        profile = getattr(expert, "expert_profile", None)
        affiliation = profile.affiliation if profile else None
        if affiliation is None:
            continue
        for case in cases:
            reason = organisation_conflict(affiliation, case_organisations(case))
            if reason:
                table[(expert.pk, case.pk)] = reason
    declared = Conflict.objects.filter(
        expert__in=[e.pk for e in experts], case__in=[c.pk for c in cases]
    ).values_list("expert_id", "case_id", "reason")
    for expert_id, case_id, reason in declared:
        table.setdefault((expert_id, case_id), _("已登记回避:%(reason)s") % {"reason": reason})
    return table
