"""Who may change a case, and when: the submission's rules (see campaigns/rules.py).

A locality writes its drafts while the campaign is open (征集中) and its submission
deadline has not passed; a case returned by the formal check can be revised until its own
deadline (revise_by), and only while the formal check runs (open or checking): once the
campaign has moved on to the review, nothing of a case changes on the locality's side.
"""

import rules
from django.utils import timezone

from accounts.models import Role
from reform_cases.campaigns.rules import is_office
from reform_cases.models import Campaign, CampaignStatus, Case, CaseStatus

FORMAL_CHECK_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CHECKING)


@rules.predicate
def is_own_case(user, case: Case) -> bool:
    """A locality user of the case's organisation (or the system itself)."""
    if user is None:
        return True
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.LOCALITY
        and user.organisation_id is not None
        and user.organisation_id == case.organisation_id
    )


def submission_closed(campaign: Campaign, now=None) -> bool:
    """The submission deadline has passed: a draft can no longer be submitted, nor changed."""
    closes = campaign.submission_closes_at
    return closes is not None and (now or timezone.now()) > closes


@rules.predicate
def case_is_writable(user, case: Case) -> bool:
    """A draft while the campaign takes submissions (open, deadline not passed); a returned
    case until its own deadline, while the formal check runs."""
    if case.status == CaseStatus.DRAFT:
        return case.campaign.status == CampaignStatus.OPEN and not submission_closed(case.campaign)
    if case.status == CaseStatus.RETURNED:
        if case.campaign.status not in FORMAL_CHECK_STATUSES:
            return False
        return case.revise_by is None or timezone.now() <= case.revise_by
    return False


@rules.predicate
def formal_check_runs(user, campaign: Campaign) -> bool:
    return campaign.status in FORMAL_CHECK_STATUSES


can_edit_case = is_own_case & case_is_writable
can_formal_check = is_office & formal_check_runs

rules.add_rule("can_edit_case", can_edit_case)
rules.add_rule("can_formal_check", can_formal_check)
