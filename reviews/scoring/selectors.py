"""Reads of the expert's workspace and scoring page, and of the office's progress pages."""

from collections import defaultdict

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from accounts.models import Role, User
from common.invalidated_cache import cached, invalidate
from reform_cases.access import attachments_visible_to
from reform_cases.models import Attachment, Case, Tier
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    Review,
    ReviewRound,
    ReviewStatus,
    Score,
    Visibility,
)
from reviews.ranking.services import config_or_default
from reviews.ranking.statistics import is_disagreement, spread

LIST_LIMIT = 100  # longer lists are counted, and exported with the ranking


def my_assignments(expert) -> QuerySet[Assignment]:
    """The expert's confirmed assignments with their review state, newest rounds first."""
    return (
        Assignment.objects.filter(expert=expert, status=AssignmentStatus.CONFIRMED)
        .select_related("round__campaign", "case", "review")
        .order_by("-round__closes_at", "case__title")
    )


def workspace(expert) -> list:
    """{round: [assignment...]} with each assignment's state, and per-round progress."""
    rounds = defaultdict(list)
    for assignment in my_assignments(expert):
        review = getattr(assignment, "review", None)
        assignment.state = review.status if review else "not_started"
        rounds[assignment.round].append(assignment)
    result = []
    for review_round, items in rounds.items():
        done = sum(1 for a in items if a.state == ReviewStatus.SUBMITTED)
        result.append(
            {
                "round": review_round,
                "assignments": items,
                "done": done,
                "total": len(items),
                "percent": percent_done(done, len(items)),
            }
        )
    return result


def percent_done(done, total) -> int:
    """Whole percent of `total` that is done, rounded down; 0 when there is nothing to do."""
    return int(100 * done / total) if total else 0


def assignment_for_expert(expert, pk) -> Assignment:
    return (
        Assignment.objects.select_related(
            "round__campaign", "case__campaign", "case__field", "case__organisation"
        )
        .prefetch_related(
            # Files the office hid (they would reveal the organisation) are not the expert's.
            Prefetch("case__attachments", queryset=attachments_visible_to(expert)),
            "case__co_organisations",
        )
        .get(pk=pk, expert=expert, status=AssignmentStatus.CONFIRMED)
    )


# The scoring page is the one the experts all hit at the deadline (bench/deadline.py): its
# reads are the fewest and lightest that draw it. The case's campaign is the round's, so it
# is not joined twice; the co-organisations are read by the page only when it shows them.


def assignment_to_score(expert, pk) -> Assignment:
    """The expert's confirmed assignment with its round and campaign: enough to save scores."""
    return Assignment.objects.select_related("round__campaign").get(
        pk=pk, expert=expert, status=AssignmentStatus.CONFIRMED
    )


def score_page(expert, pk) -> Assignment:
    """The assignment with its round, campaign, case, field, organisation and review (one
    query), and the case's files the expert may see (one more)."""
    assignment = Assignment.objects.select_related(
        "round__campaign", "case__field", "case__organisation", "review"
    ).get(pk=pk, expert=expert, status=AssignmentStatus.CONFIRMED)
    case = assignment.case
    if case.campaign_id == assignment.round.campaign_id:
        case.campaign = assignment.round.campaign
    # The confirmed assignment just read is what lets this expert see the case (the expert
    # rule registered in reform_cases/access.py), so its files are read without that rule's
    # subquery; as in attachments_visible_to, files the office hid (they would reveal the
    # organisation) are not the expert's.
    files = Attachment.objects.filter(case=case)
    if expert.role == Role.EXPERT and not expert.is_administrator:
        files = files.filter(hidden_from_experts=False)
    prefetch_related_objects([case], Prefetch("attachments", queryset=files))
    return assignment


RUBRIC_CACHE = "reviews-rubric"


def rubric(campaign_id) -> tuple[list[Criterion], list[Tier]]:
    """The campaign's criteria and its tiers (in order), as the scoring page and its save use
    them: from the shared cache until one of them is saved or deleted (`forget_rubric`, on
    the models' signals, connected in apps.py), instead of two queries on every request."""
    return cached(
        RUBRIC_CACHE,
        campaign_id,
        lambda: (
            list(Criterion.objects.filter(campaign_id=campaign_id)),
            list(Tier.objects.filter(campaign_id=campaign_id).order_by("order")),
        ),
    )


def forget_rubric(sender, instance, **kwargs) -> None:
    invalidate(RUBRIC_CACHE, instance.campaign_id)


def may_see_others(assignment, review, now=None) -> bool:
    """Whether the round's rule lets this expert see the other experts' scores now."""
    now = now or timezone.now()
    rule = assignment.round.visibility
    if rule == Visibility.AFTER_OWN:
        return review is not None and review.status == ReviewStatus.SUBMITTED
    if rule == Visibility.AFTER_CLOSE:
        return now > assignment.round.closes_at
    return False


def other_reviews(assignment) -> QuerySet[Review]:
    return (
        Review.objects.filter(
            assignment__round=assignment.round,
            assignment__case=assignment.case,
            status=ReviewStatus.SUBMITTED,
        )
        .exclude(assignment=assignment)
        .select_related("assignment__expert")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
    )


def progress(review_round: ReviewRound, now=None) -> dict:
    """Completion, per-expert done / assigned, overdue reviews and widely spread cases.

    A case is widely spread by the campaign's own disagreement threshold (its ranking
    settings, the model's default when it has none), the one the ranking flags by.
    Counted by the database, so the page costs the same at 50 and at 5,000 cases.
    """
    now = now or timezone.now()
    threshold = float(config_or_default(review_round.campaign).disagreement_threshold)
    confirmed = Assignment.objects.filter(round=review_round, status=AssignmentStatus.CONFIRMED)
    counts = list(
        confirmed.values("expert_id").annotate(
            assigned=Count("id"),
            done=Count("id", filter=Q(review__status=ReviewStatus.SUBMITTED)),
            drafts=Count("id", filter=Q(review__status=ReviewStatus.DRAFT)),
        )
    )
    users = User.objects.in_bulk([row["expert_id"] for row in counts])
    experts = [
        {
            "expert": users[row["expert_id"]],
            "assigned": row["assigned"],
            "done": row["done"],
            "drafts": row["drafts"],
            "percent": percent_done(row["done"], row["assigned"]),
        }
        for row in counts
    ]
    totals = defaultdict(list)
    for case_id, total in confirmed.filter(review__status=ReviewStatus.SUBMITTED).values_list(
        "case_id", "review__total"
    ):
        totals[case_id].append(float(total))
    flagged = sorted(
        (
            (case_id, spread(values), values)
            for case_id, values in totals.items()
            if is_disagreement(spread(values), threshold)
        ),
        key=lambda item: -item[1],
    )
    shown = Case.objects.in_bulk([case_id for case_id, _sd, _values in flagged[:LIST_LIMIT]])
    done = sum(r["done"] for r in experts)
    total = sum(r["assigned"] for r in experts)
    late = confirmed.exclude(review__status=ReviewStatus.SUBMITTED)
    overdue, overdue_count = [], 0
    if now > review_round.closes_at:
        overdue_count = late.count()
        overdue = list(
            late.select_related("expert", "case", "review").order_by("expert_id", "case__title")[
                :LIST_LIMIT
            ]
        )
    released = list(
        Assignment.objects.filter(
            round=review_round, status=AssignmentStatus.RELEASED
        ).select_related("expert", "case")
    )
    return {
        "experts": sorted(experts, key=lambda r: (r["percent"], str(r["expert"]))),
        "done": done,
        "total": total,
        "percent": percent_done(done, total),
        "overdue": overdue,
        "overdue_count": overdue_count,
        "spread": [(shown[case_id], sd, values) for case_id, sd, values in flagged[:LIST_LIMIT]],
        "spread_count": len(flagged),
        "threshold": threshold,
        "released": released,
    }
