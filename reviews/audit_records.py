"""What of the review the audit chain covers (audit/chain.py), registered at start-up.

A submitted review's scores are a state: chained at each submission, and checked while the
review stays submitted (a review reopened by the office is chained again when resubmitted).
"""

from django.db.models import Prefetch

from audit import chain
from reviews.models import Review, ReviewEvent, ReviewStatus, RoundEvent, Score, TierOverride

REVIEW_SUBMITTED = "reviews.review.submitted"


def submitted_review(review: Review) -> dict:
    """What an expert submitted: every score and comment, the total and the recommendation."""
    return {
        "assignment_id": review.assignment_id,
        "total": review.total,
        "submitted_at": review.submitted_at,
        "overall_comment": review.overall_comment,
        "recommended_tier_id": review.recommended_tier_id,
        "scores": {
            str(score.criterion_id): [score.value, score.comment]
            for score in sorted(review.scores.all(), key=lambda s: s.criterion_id)
        },
    }


def submitted_reviews():
    return Review.objects.prefetch_related(
        Prefetch("scores", queryset=Score.objects.order_by("criterion_id"))
    )


def register() -> None:
    chain.track_rows(ReviewEvent)
    chain.track_rows(RoundEvent)
    chain.track_rows(TierOverride)
    chain.track_state(
        Review,
        REVIEW_SUBMITTED,
        content=submitted_review,
        applies=lambda review: review.status == ReviewStatus.SUBMITTED,
        queryset=submitted_reviews,
    )
