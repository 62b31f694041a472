"""Conflicts of interest (回避).

Automatic rule: an expert never reviews a case whose submitting or
co-implementing organisation is the expert's own organisation, or one directly
above or below it (a county and its city). Declared and recorded conflicts are
honoured too.
"""

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Role
from reviews.models import Conflict, ExpertProfile


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


def _affiliation(expert):
    profile = getattr(expert, "expert_profile", None)
    return profile.affiliation if profile is not None else None


def conflict_reason(expert, case) -> str | None:
    """The reason this expert may not review this case, or None: `conflict_table` for one pair."""
    return conflict_table([expert], [case]).get((expert.pk, case.pk))


def conflict_table(experts, cases) -> dict[tuple[int, int], str]:
    """{(expert id, case id): reason} for every conflicted pair, in a fixed number of queries.

    The one implementation of the rule: hand assignment (`conflict_reason`), the case page and
    the automatic proposal (`proposal.build_board`) all ask here. `experts` need
    `expert_profile__affiliation` loaded; `cases` need `organisation` and `co_organisations`
    prefetched (else one query per case).
    """
    table = {}
    organisations = {case.pk: case_organisations(case) for case in cases}
    # `organisation_conflict` can only name a case organisation that is the expert's own, its
    # parent or one of its children: index the cases by those, so that only these pairs are
    # asked (at 5,000 cases × 300 experts asking every pair would cost seconds).
    by_org, by_parent = defaultdict(set), defaultdict(set)  # organisation id → case ids
    for case_pk, orgs in organisations.items():
        for org in orgs:
            if org is not None:
                by_org[org.pk].add(case_pk)
                by_parent[org.parent_id].add(case_pk)
    # Many experts share a unit and many cases the same units: each combination is asked once.
    units = {
        pk: tuple(org.pk for org in orgs if org is not None) for pk, orgs in organisations.items()
    }
    answers = {}
    for expert in experts:
        affiliation = _affiliation(expert)
        if affiliation is None:
            continue
        candidates = by_org.get(affiliation.pk, set()) | by_parent.get(affiliation.pk, set())
        if affiliation.parent_id:
            candidates |= by_org.get(affiliation.parent_id, set())
        for case_pk in candidates:
            key = (affiliation.pk, units[case_pk])
            if key not in answers:
                answers[key] = organisation_conflict(affiliation, organisations[case_pk])
            if answers[key]:
                table[(expert.pk, case_pk)] = answers[key]
    declared = Conflict.objects.filter(
        expert__in=[e.pk for e in experts], case__in=[c.pk for c in cases]
    ).values_list("expert_id", "case_id", "reason")
    for expert_id, case_id, reason in declared:
        table.setdefault((expert_id, case_id), _("已登记回避:%(reason)s") % {"reason": reason})
    return table


def co_organisation_conflicts(case) -> dict[int, list[tuple[str, str]]]:
    """{co-organisation id: [(expert, reason)]}: the active experts each co-implementing
    organisation of `case` excludes by the automatic rule. For the formal-check page
    (registered in reform_cases at start-up); one query whatever the number of experts.
    """
    organisations = list(case.co_organisations.all())
    if not organisations:
        return {}
    ids = {o.pk for o in organisations}
    parents = {o.parent_id for o in organisations if o.parent_id}
    profiles = list(
        ExpertProfile.objects.filter(
            Q(affiliation_id__in=ids | parents) | Q(affiliation__parent_id__in=ids),
            user__role=Role.EXPERT,
            user__is_active=True,
        )
        .select_related("user", "affiliation")
        .order_by("affiliation__name", "user__display_name", "user__username")
    )
    table = {}
    for organisation in organisations:
        for profile in profiles:
            reason = organisation_conflict(profile.affiliation, [organisation])
            if reason:
                table.setdefault(organisation.pk, []).append((str(profile.user), reason))
    return table
