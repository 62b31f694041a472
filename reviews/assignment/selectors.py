"""Reads of the assignment pages: the board, proposed assignments, an expert's cases in a round."""

from django.db.models import Count, Prefetch, Q, QuerySet

from reform_cases.models import Case
from reviews.models import (
    Assignment,
    AssignmentStatus,
    ReviewRound,
)


def proposed_count(review_round: ReviewRound) -> int:
    return Assignment.objects.filter(round=review_round, status=AssignmentStatus.PROPOSED).count()


def assignment_board(review_round: ReviewRound, *, only_short: bool = False) -> QuerySet[Case]:
    """Cases of the round with their active assignments (a queryset: the page paginates it)."""
    cases = (
        review_round.cases.select_related("organisation__parent", "field")
        .prefetch_related(
            "co_organisations",
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(round=review_round)
                .exclude(status=AssignmentStatus.RELEASED)
                .select_related("expert"),
                to_attr="round_assignments",
            ),
        )
        .order_by("title", "pk")
    )
    if only_short:
        active = Count(
            "assignments",
            filter=Q(assignments__round=review_round)
            & ~Q(assignments__status=AssignmentStatus.RELEASED),
        )
        cases = cases.annotate(n_active=active).filter(n_active__lt=review_round.reviewers_per_case)
    return cases


def expert_in_round(review_round: ReviewRound, expert) -> list[Assignment]:
    """One expert's assignments in a round with their reviews (for reopening one)."""
    return list(
        Assignment.objects.filter(round=review_round, expert=expert)
        .exclude(status=AssignmentStatus.PROPOSED)
        .select_related("case", "review")
        .order_by("case__title")
    )
