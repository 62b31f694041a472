"""When a ranking may change (see reform_cases/campaigns/rules.py).

A ranking is computed while the review runs (to shortlist for a later round) and while
the campaign is being ranked; tiers are adjusted by hand only while it is being ranked.
The lock freezes everything that decides a tier until the office reopens the ranking
with a written reason; the notice is opened from a locked ranking only.
"""

import rules

from reform_cases.campaigns.rules import can_reopen_ranking, is_locked, is_office, is_ranking
from reform_cases.models import CampaignStatus


@rules.predicate
def ranking_may_be_computed(user, campaign) -> bool:
    return campaign.status in (CampaignStatus.REVIEWING, CampaignStatus.RANKING)


@rules.predicate
def is_reviewing(user, campaign) -> bool:
    """The stage before ranking: the ranking page offers the move to it."""
    return campaign.status == CampaignStatus.REVIEWING


can_compute_ranking = is_office & ranking_may_be_computed
can_change_ranking = is_office & is_ranking
can_lock_ranking = is_office & is_ranking
can_open_notice = is_office & is_locked
# The move itself is the status form's (change_campaign_status, with its checks).
can_start_ranking = is_office & is_reviewing

rules.add_rule("can_compute_ranking", can_compute_ranking)
rules.add_rule("can_change_ranking", can_change_ranking)
rules.add_rule("can_lock_ranking", can_lock_ranking)
rules.add_rule("can_open_notice", can_open_notice)
rules.add_rule("can_start_ranking", can_start_ranking)

__all__ = [
    "can_change_ranking",
    "can_compute_ranking",
    "can_lock_ranking",
    "can_open_notice",
    "can_reopen_ranking",
    "can_start_ranking",
]
