"""What may change once results are public, and who may change it (see campaigns/rules.py).

During the public notice (公示) a tier changes only through an upheld objection, answered
in writing; the texts of a case (title, summary) may be corrected, on record. After
publication any published fact may be corrected, on record and listed publicly. While the
notice runs its end may be moved (longer or shorter), with a written reason, shown publicly.
Once published, each award has a certificate (获奖证书) for its unit and the office.
"""

import rules
from django.utils import timezone

from reform_cases.access import is_owner
from reform_cases.campaigns.rules import is_in_notice, is_office
from reform_cases.models import CampaignStatus, Case, CaseOutcome


@rules.predicate
def case_is_public(user, case: Case) -> bool:
    return case.campaign.is_public


@rules.predicate
def case_is_published(user, case: Case) -> bool:
    return case.campaign.status == CampaignStatus.PUBLISHED and case.campaign.is_public


@rules.predicate
def objections_are_answerable(user, campaign) -> bool:
    return campaign.status in (CampaignStatus.NOTICE, CampaignStatus.PUBLISHED)


@rules.predicate
def notice_is_running(user, campaign) -> bool:
    """On notice and its end not yet reached: once it has ended, it can only be published."""
    return (
        campaign.status == CampaignStatus.NOTICE
        and campaign.notice_ends_at is not None
        and timezone.now() < campaign.notice_ends_at
    )


def has_certificate(case: Case) -> bool:
    """An award (a tier) of a published campaign: only a final, public result is certified.

    On notice the tier may still change; a selection without a tier (入选) is not an award.
    """
    return (
        case.outcome == CaseOutcome.AWARDED
        and case.tier_id is not None
        and case.campaign.status == CampaignStatus.PUBLISHED
        and case.campaign.is_public
    )


@rules.predicate
def case_has_certificate(user, case: Case) -> bool:
    return has_certificate(case)


@rules.predicate
def owns_case(user, case: Case) -> bool:
    """A locality user of the submitting unit (co-implementing units are not its owners)."""
    return is_owner(user, case)


can_correct_case = is_office & case_is_public
can_correct_award = is_office & case_is_published
can_answer_objection = is_office & objections_are_answerable
can_publish_results = is_office & is_in_notice
can_change_notice_period = is_office & notice_is_running

# The certificate goes to the submitting unit and the office, never to experts.
can_download_certificate = (is_office | owns_case) & case_has_certificate

rules.add_rule("can_correct_case", can_correct_case)
rules.add_rule("can_download_certificate", can_download_certificate)
rules.add_rule("can_correct_award", can_correct_award)
rules.add_rule("can_answer_objection", can_answer_objection)
rules.add_rule("can_publish_results", can_publish_results)
rules.add_rule("can_change_notice_period", can_change_notice_period)
