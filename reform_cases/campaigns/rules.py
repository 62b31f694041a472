"""What may change in each campaign status, and who may change it: the campaign's rules.

Every rule is a named predicate of (user, object). Services call them and refuse with
`InvalidTransition` (the status does not allow it) or `PermissionDenied` (the role does
not); views and templates ask the same predicates to show or hide a button
(`{% load rules %}{% test_rule "can_edit_campaign" user campaign as allowed %}`).
`user=None` is the system itself (set-up commands, demo data): it passes role checks,
never status checks.

The statuses fall into two stages. Up to `ranking` everything that decides a tier can
still change. From `locked` on, nothing that decides a tier changes, except by reopening
the ranking with a written reason (back to `ranking`) or, during the notice, through an
upheld objection and the correction service.
"""

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from common.exceptions import InvalidTransition
from reform_cases.models import Campaign, CampaignStatus, Tier

S = CampaignStatus
BEFORE_LOCK = (S.DRAFT, S.OPEN, S.CHECKING, S.REVIEWING, S.RANKING)
FROZEN = (S.LOCKED, S.NOTICE, S.PUBLISHED)

# Transitions that belong to one service each, with its own checks; the generic status
# form offers only the others (draft ⇄ open ⇄ checking ⇄ reviewing ⇄ ranking).
OWNED_TRANSITIONS = {
    (S.RANKING, S.LOCKED): "lock_ranking",
    (S.LOCKED, S.RANKING): "reopen_ranking",
    (S.LOCKED, S.NOTICE): "publish_notice_from_ranking",
    (S.NOTICE, S.PUBLISHED): "publish_results",
}


# --- roles ------------------------------------------------------------------------------


@rules.predicate
def is_office(user) -> bool:
    """The organising office (or the system itself)."""
    return user is None or bool(getattr(user, "is_administrator", False))


# --- campaign stages (the object is a campaign) ---------------------------------------


@rules.predicate
def decisions_are_open(user, campaign: Campaign) -> bool:
    """Nothing that decides a tier is frozen yet."""
    return campaign.status in BEFORE_LOCK


@rules.predicate
def is_ranking(user, campaign: Campaign) -> bool:
    return campaign.status == S.RANKING


@rules.predicate
def is_locked(user, campaign: Campaign) -> bool:
    return campaign.status == S.LOCKED


@rules.predicate
def is_in_notice(user, campaign: Campaign) -> bool:
    return campaign.status == S.NOTICE


@rules.predicate
def is_published(user, campaign: Campaign) -> bool:
    return campaign.status == S.PUBLISHED


# --- tiers (the object is a tier) --------------------------------------------------------


@rules.predicate
def tier_decisions_are_open(user, tier: Tier) -> bool:
    return tier.campaign.status in BEFORE_LOCK


@rules.predicate
def tier_is_unused(user, tier: Tier) -> bool:
    """No case, ranking entry or recorded override refers to the tier."""
    return tier.pk is None or not tier.is_referenced


# --- the rules ---------------------------------------------------------------------------

can_edit_campaign = is_office & decisions_are_open
can_edit_tiers = is_office & decisions_are_open
can_delete_tier = is_office & tier_decisions_are_open & tier_is_unused
can_reopen_ranking = is_office & is_locked
# The name printed on the certificates decides no tier: correctable in every status.
can_set_organiser_name = is_office

rules.add_rule("can_edit_campaign", can_edit_campaign)
rules.add_rule("can_edit_tiers", can_edit_tiers)
rules.add_rule("can_delete_tier", can_delete_tier)
rules.add_rule("can_reopen_ranking", can_reopen_ranking)
rules.add_rule("can_set_organiser_name", can_set_organiser_name)


def form_targets(campaign: Campaign, forward: dict, backward: dict) -> list[str]:
    """Statuses the generic status form may move `campaign` to (owned transitions excluded)."""
    targets = (forward.get(campaign.status), backward.get(campaign.status))
    return [t for t in targets if t and (campaign.status, t) not in OWNED_TRANSITIONS]


# --- refusing, for services ---------------------------------------------------------------


def require_office(user) -> None:
    """PermissionDenied unless `user` is the organising office (or the system itself)."""
    if not is_office(user):
        raise PermissionDenied


def require(rule, user, obj, message: str) -> None:
    """InvalidTransition with `message` unless `rule` allows `user` to change `obj` now."""
    if not rule.test(user, obj):
        raise InvalidTransition(message)


def frozen_message(campaign: Campaign) -> str:
    """Why something that decides a tier cannot change in `campaign`'s status."""
    if campaign.status == S.LOCKED:
        return _("排名已锁定,不能再修改;如需修改,请先在排名页面填写理由重新开放排名。")
    if campaign.status == S.NOTICE:
        return _("评选结果公示中,等次只能通过成立的异议更正。")
    if campaign.status == S.PUBLISHED:
        return _("评选结果已发布,只能通过记录在案的更正修改。")
    return _("评选活动当前阶段(%(status)s)不允许这项修改。") % {
        "status": campaign.get_status_display()
    }
