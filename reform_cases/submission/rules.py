"""Who may change a case, and when: the submission's rules (see campaigns/rules.py).

A locality writes its drafts while the campaign is open (征集中) and its submission
deadline has not passed; a case returned by the formal check can be revised until its own
deadline (revise_by), and only while the formal check runs (open or checking): once the
campaign has moved on to the review, nothing of a case changes on the locality's side.
A new draft is started only where it could still be submitted: an open campaign whose
deadline has not passed.

The office may hide an attachment from the experts (a file that would reveal the
organisation in a blind review) from the formal check until the review has ended.
"""

import rules
from django.utils import timezone

from accounts.models import Role
from reform_cases.campaigns.rules import is_office
from reform_cases.models import Campaign, CampaignStatus, Case, CaseStatus

FORMAL_CHECK_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CHECKING)
# Cases on their way to, or in, the experts' hands; and the campaign stages of that way.
EXPERT_BOUND_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.ACCEPTED)
EXPERT_BOUND_CAMPAIGN_STATUSES = (*FORMAL_CHECK_STATUSES, CampaignStatus.REVIEWING)


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
def is_locality_user(user) -> bool:
    """A locality user with an organisation to submit for."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role == Role.LOCALITY
        and user.organisation_id is not None
    )


@rules.predicate
def campaign_takes_drafts(user, campaign: Campaign) -> bool:
    """An open, non-public campaign whose submission deadline has not passed."""
    return (
        campaign.status == CampaignStatus.OPEN
        and not campaign.is_public
        and not submission_closed(campaign)
    )


@rules.predicate
def formal_check_runs(user, campaign: Campaign) -> bool:
    return campaign.status in FORMAL_CHECK_STATUSES


@rules.predicate
def case_goes_to_experts(user, case: Case) -> bool:
    """A submitted, returned or accepted case, from the formal check to the end of the review."""
    return (
        case.status in EXPERT_BOUND_STATUSES
        and case.campaign.status in EXPERT_BOUND_CAMPAIGN_STATUSES
    )


can_edit_case = is_own_case & case_is_writable
can_start_draft = is_locality_user & campaign_takes_drafts
can_formal_check = is_office & formal_check_runs
can_hide_attachments = is_office & case_goes_to_experts

rules.add_rule("can_edit_case", can_edit_case)
rules.add_rule("can_start_draft", can_start_draft)
rules.add_rule("can_formal_check", can_formal_check)
rules.add_rule("can_hide_attachments", can_hide_attachments)
