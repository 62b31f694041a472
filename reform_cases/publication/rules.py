"""What may change once results are public, and who may change it (see campaigns/rules.py).

During the public notice (公示) a tier changes only through an upheld objection, answered
in writing; the texts of a case (title, summary) may be corrected, on record. After
publication any published fact may be corrected, on record and listed publicly.
"""

import rules

from reform_cases.campaigns.rules import is_in_notice, is_office
from reform_cases.models import CampaignStatus, Case


@rules.predicate
def case_is_public(user, case: Case) -> bool:
    return case.campaign.is_public


@rules.predicate
def case_is_published(user, case: Case) -> bool:
    return case.campaign.status == CampaignStatus.PUBLISHED and case.campaign.is_public


@rules.predicate
def objections_are_answerable(user, campaign) -> bool:
    return campaign.status in (CampaignStatus.NOTICE, CampaignStatus.PUBLISHED)


can_correct_case = is_office & case_is_public
can_correct_award = is_office & case_is_published
can_answer_objection = is_office & objections_are_answerable
can_publish_results = is_office & is_in_notice

rules.add_rule("can_correct_case", can_correct_case)
rules.add_rule("can_correct_award", can_correct_award)
rules.add_rule("can_answer_objection", can_answer_objection)
rules.add_rule("can_publish_results", can_publish_results)
