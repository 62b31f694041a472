"""When the rubric and the rounds may change (see reform_cases/campaigns/rules.py).

Both decide tiers, so both freeze with the ranking's lock; the rubric also freezes as soon
as an expert has written a score, so that every review is scored on the same scale.
"""

import rules

from reform_cases.campaigns.rules import decisions_are_open, is_office
from reviews.models import Score


@rules.predicate
def no_score_yet(user, campaign) -> bool:
    return not Score.objects.filter(criterion__campaign=campaign, value__isnull=False).exists()


can_edit_rounds = is_office & decisions_are_open
can_edit_rubric = is_office & decisions_are_open & no_score_yet

rules.add_rule("can_edit_rounds", can_edit_rounds)
rules.add_rule("can_edit_rubric", can_edit_rubric)
