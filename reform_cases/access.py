"""Who may see which case. The one place that decides it.

Experts see the cases assigned to them; assignments live in `reviews`, which
registers its rule here at start-up, so this app never imports `reviews`.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from accounts.models import Role
from reform_cases.models import Attachment, Case

# Each rule takes an expert and returns a queryset of case ids they may see.
_expert_rules: list[Callable] = []


def register_expert_rule(rule: Callable) -> None:
    if rule not in _expert_rules:
        _expert_rules.append(rule)


def cases_visible_to(user) -> QuerySet:
    """Every case `user` may open (beyond the public ones)."""
    qs = Case.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_administrator:
        return qs
    if user.role == Role.LOCALITY and user.organisation_id:
        return qs.filter(organisation_id=user.organisation_id, is_historical=False)
    if user.role == Role.EXPERT and _expert_rules:
        condition = Q()
        for rule in _expert_rules:
            condition |= Q(pk__in=rule(user))
        return qs.filter(condition)
    return qs.none()


def attachments_visible_to(user) -> QuerySet:
    """The files of the cases `user` may open; an expert never gets one the office hid."""
    qs = Attachment.objects.filter(case__in=cases_visible_to(user))
    if user.is_authenticated and user.role == Role.EXPERT and not user.is_administrator:
        qs = qs.filter(hidden_from_experts=False)
    return qs


def is_owner(user, case) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.LOCALITY
        and case.organisation_id is not None
        and case.organisation_id == user.organisation_id
    )
