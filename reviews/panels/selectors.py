"""Reads of the expert pages."""

from django.db.models import Count, Q, QuerySet

from accounts.models import Role, User
from reviews.models import (
    AssignmentStatus,
)


def experts_for_listing() -> QuerySet[User]:
    return (
        User.objects.filter(role=Role.EXPERT)
        .select_related("expert_profile__affiliation")
        .prefetch_related("expert_profile__fields")
        .annotate(
            n_active=Count("assignments", filter=Q(assignments__status=AssignmentStatus.CONFIRMED))
        )
        .order_by("display_name", "username")
    )
