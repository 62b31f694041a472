"""When the rubric and the rounds may change (see reform_cases/campaigns/rules.py).

Both decide tiers, so both freeze with the ranking's lock; the rubric also freezes as soon
as an expert has written a score, so that every review is scored on the same scale.
"""

import rules
from django.utils.translation import gettext as _

from reform_cases.campaigns.rules import decisions_are_open, is_office
from reviews.models import RankingConfig, Score

# Fewer reviews per case than this and one reviewer's high or low score decides a case's
# place: the round pages warn (the campaign's ranking setting `min_reviews` may ask for more).
MIN_RELIABLE_REVIEWERS = 3


@rules.predicate
def no_score_yet(user, campaign) -> bool:
    return not Score.objects.filter(criterion__campaign=campaign, value__isnull=False).exists()


can_edit_rounds = is_office & decisions_are_open
can_edit_rubric = is_office & decisions_are_open & no_score_yet

rules.add_rule("can_edit_rounds", can_edit_rounds)
rules.add_rule("can_edit_rubric", can_edit_rubric)


def reviewers_needed(campaign) -> int:
    """Reviewers per case a reliable ranking needs: MIN_RELIABLE_REVIEWERS, or the campaign's
    own minimum (its ranking setting) when that is higher."""
    configured = (
        RankingConfig.objects.filter(campaign=campaign)
        .values_list("min_reviews", flat=True)
        .first()
    )
    return max(MIN_RELIABLE_REVIEWERS, configured or 0)


def too_few_reviewers(review_round, needed: int) -> str:
    """Why `review_round` is short of reviewers for a reliable ranking, or "" when it is not."""
    if review_round.reviewers_per_case >= needed:
        return ""
    return _(
        "本轮每个案例只安排 %(k)d 位专家评审,少于可靠排名所需的 %(n)d 位:"
        "评审份数太少时,一位专家偏高或偏低的评分就能左右案例的名次和等次。"
        "建议将每案评审人数改为至少 %(n)d 位。"
    ) % {"k": review_round.reviewers_per_case, "n": needed}
