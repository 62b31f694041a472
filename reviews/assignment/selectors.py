"""Reads of the assignment pages: the board, proposed assignments, an expert's cases in a round."""

from django.db import models
from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from case_text.core.vectors import cosine, current_model, shared_terms
from case_text.selectors import case_vectors
from reform_cases.models import Case
from reviews.assignment.matching import MATCH_TERMS, match_percent
from reviews.models import (
    Assignment,
    AssignmentStatus,
    ExpertVector,
    ReviewRound,
)


class BoardOrder(models.TextChoices):
    """How the board lists the round's cases (`?sort=`)."""

    TITLE = "title", _("按标题")
    WEAKEST_MATCH = "match", _("匹配度低的在前")
    STRONGEST_MATCH = "-match", _("匹配度高的在前")


def proposed_count(review_round: ReviewRound) -> int:
    return Assignment.objects.filter(round=review_round, status=AssignmentStatus.PROPOSED).count()


def assignment_board(
    review_round: ReviewRound, *, only_short: bool = False, order: str = BoardOrder.TITLE
) -> QuerySet[Case]:
    """Cases of the round with their active assignments (a queryset: the page paginates it).

    By 匹配度, a case counts by its weakest active pair, so that the pairs worth a second look
    come first (or last); cases without any measured pair go last either way."""
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
    if order in (BoardOrder.WEAKEST_MATCH, BoardOrder.STRONGEST_MATCH):
        weakest = Min(
            "assignments__match_percent",
            filter=Q(assignments__round=review_round)
            & ~Q(assignments__status=AssignmentStatus.RELEASED),
        )
        by_match = F("weakest_match")
        by_match = (
            by_match.asc(nulls_last=True)
            if order == BoardOrder.WEAKEST_MATCH
            else by_match.desc(nulls_last=True)
        )
        cases = cases.annotate(weakest_match=weakest).order_by(by_match, "title", "pk")
    return cases


def expert_in_round(review_round: ReviewRound, expert) -> list[Assignment]:
    """One expert's assignments in a round with their reviews (for reopening one)."""
    return list(
        Assignment.objects.filter(round=review_round, expert=expert)
        .exclude(status=AssignmentStatus.PROPOSED)
        .select_related("case", "review")
        .order_by("case__title")
    )


def expert_matches(case: Case, experts) -> dict[int, tuple[int, list[str]]]:
    """{expert id: (匹配度, shared words)} of one case with each expert that has a vector under
    the current text model; empty before the first fit or while the case has no vector. Three
    queries whatever the number of experts; stored vectors are read, never computed."""
    model = current_model()
    if model is None:
        return {}
    case_vector = case_vectors([case.pk], version=model.version).get(case.pk)
    if case_vector is None or not len(case_vector):
        return {}
    rows = ExpertVector.objects.filter(
        model_id=model.version, user_id__in=[e.pk for e in experts]
    ).only("user_id", "indices", "weights")
    matches = {}
    for row in rows:
        vector = row.as_vector()
        matches[row.user_id] = (
            match_percent(cosine(case_vector, vector)),
            shared_terms(case_vector, vector, model, k=MATCH_TERMS),
        )
    return matches
