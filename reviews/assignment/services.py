"""State changes of assignment: hand assignment, swaps, confirmation, conflicts of interest."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from common.exceptions import InvalidTransition
from common.links import absolute_url
from common.timefmt import local_datetime
from notifications.models import NotificationKind
from notifications.services import notify
from reform_cases.campaigns import rules as campaign_rules
from reviews.assignment import rules as assignment_rules
from reviews.assignment.conflicts import conflict_reason
from reviews.assignment.selectors import expert_matches
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    ExpertProfile,
    Review,
    ReviewRound,
    ReviewStatus,
    RoundEvent,
    RoundEventKind,
)

ACTIVE = (AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED)


def expert_load(review_round: ReviewRound) -> dict[int, int]:
    rows = (
        Assignment.objects.filter(round=review_round, status__in=ACTIVE)
        .values("expert_id")
        .annotate(n=Count("id"))
    )
    return {row["expert_id"]: row["n"] for row in rows}


def expert_capacity(expert) -> int:
    """How many cases `expert` may hold in one round, proposed and confirmed together: the
    profile's maximum, or `ExpertProfile.DEFAULT_MAX_CASES` without a profile. Hand assignment
    (`assign_expert`), the automatic proposal and gap filling (`proposal.py`) all ask here."""
    profile = getattr(expert, "expert_profile", None)
    return profile.max_cases_per_round if profile is not None else ExpertProfile.DEFAULT_MAX_CASES


def round_experts(review_round: ReviewRound) -> QuerySet[User]:
    """The experts who may review in this round: members of its panels (all experts if none)."""
    qs = User.objects.filter(role=Role.EXPERT, is_active=True)
    if review_round.panels.exists():
        qs = qs.filter(panels__in=review_round.panels.all()).distinct()
    return qs.select_related("expert_profile__affiliation").order_by("display_name", "username")


@transaction.atomic
def assign_expert(*, review_round: ReviewRound, case, expert, by) -> Assignment:
    """Propose one expert for one case; a conflicted pair is refused with the reason."""
    review_round = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=review_round.pk)
    )
    require_assignments_open(review_round.campaign, by)
    if not review_round.cases.filter(pk=case.pk).exists():
        raise InvalidTransition(_("该案例不在本轮评审范围内。"))
    if expert.role != Role.EXPERT or not expert.is_active:
        raise InvalidTransition(_("只能分配给启用的评审专家。"))
    if not round_experts(review_round).filter(pk=expert.pk).exists():
        raise InvalidTransition(_("该专家不在本轮的评审组中。"))
    reason = conflict_reason(expert, case)
    if reason:
        raise InvalidTransition(_("不能分配:%(reason)s") % {"reason": reason})
    existing = Assignment.objects.filter(round=review_round, case=case, expert=expert).first()
    if existing and existing.status in ACTIVE:
        raise InvalidTransition(_("该专家已分配到这个案例。"))
    active = Assignment.objects.filter(round=review_round, case=case, status__in=ACTIVE).count()
    if active >= review_round.reviewers_per_case:
        raise InvalidTransition(_("该案例已有 %(n)d 名评审专家,达到每案人数。") % {"n": active})
    limit = expert_capacity(expert)
    if expert_load(review_round).get(expert.pk, 0) >= limit:
        raise InvalidTransition(
            _("%(expert)s 本轮已分配 %(n)d 件,达到其评审上限。") % {"expert": expert, "n": limit}
        )
    # The pair's 匹配度 as the board shows it, like a proposed pair's (None without vectors).
    percent, words = expert_matches(case, [expert]).get(expert.pk, (None, []))
    if existing:  # released earlier for another reason than a conflict: reuse the row
        existing.status = AssignmentStatus.PROPOSED
        existing.created_by = by
        existing.match_percent, existing.match_terms = percent, words
        existing.save(update_fields=["status", "created_by", "match_percent", "match_terms"])
        return existing
    return Assignment.objects.create(
        round=review_round,
        case=case,
        expert=expert,
        created_by=by,
        match_percent=percent,
        match_terms=words,
    )


@transaction.atomic
def remove_assignment(*, assignment: Assignment, by) -> None:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round__campaign", "case", "expert")
        .get(pk=assignment.pk)
    )
    require_assignments_open(assignment.round.campaign, by)
    if Review.objects.filter(assignment=assignment).exists():
        raise InvalidTransition(_("该专家已开始评分,不能取消分配。"))
    _record_removal(assignment, by, _("取消分配"))
    assignment.delete()


def _record_removal(assignment: Assignment, by, what: str) -> None:
    RoundEvent.objects.create(
        round=assignment.round,
        actor=by,
        kind=RoundEventKind.ASSIGNMENT_REMOVED,
        note=f"{what}:{assignment.case.title} · {assignment.expert}({assignment.get_status_display()})",
    )


def require_assignments_open(campaign, by) -> None:
    """Refuse any change of who reviews what once the ranking is locked (assignment/rules.py)."""
    campaign_rules.require_office(by)
    campaign_rules.require(
        assignment_rules.can_change_assignments,
        by,
        campaign,
        campaign_rules.frozen_message(campaign),
    )


def notify_assigned(expert, review_round: ReviewRound, cases) -> None:
    """Tell an expert which cases wait for them, the deadline and where to go."""
    notify(
        [expert],
        kind=NotificationKind.EXPERT_ASSIGNED,
        obj=review_round,
        context={
            "cases": list(cases),
            "round": review_round,
            "deadline": local_datetime(review_round.closes_at),
            "blind": review_round.blind,
        },
        link=absolute_url(reverse("reviews:workspace")),
    )


@transaction.atomic
def swap_assignment(*, assignment: Assignment, expert, by) -> Assignment:
    """Replace the expert of an unstarted assignment; the new pair is checked like any other."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round__campaign", "case", "expert")
        .get(pk=assignment.pk)
    )
    require_assignments_open(assignment.round.campaign, by)
    if Review.objects.filter(assignment=assignment).exists():
        raise InvalidTransition(_("该专家已开始评分,不能更换。"))
    review_round, case, status = assignment.round, assignment.case, assignment.status
    _record_removal(assignment, by, _("更换为 %(expert)s") % {"expert": expert})
    assignment.delete()
    new = assign_expert(review_round=review_round, case=case, expert=expert, by=by)
    if status == AssignmentStatus.CONFIRMED:
        # The original was confirmed: confirm the replacement and tell the new expert.
        new.status = AssignmentStatus.CONFIRMED
        new.confirmed_at = new.notified_at = timezone.now()
        new.save(update_fields=["status", "confirmed_at", "notified_at"])
        notify_assigned(expert, review_round, [case])
    return new


@transaction.atomic
def confirm_assignments(*, review_round: ReviewRound, by) -> int:
    """Confirm the proposed assignments and tell each expert once (cases, deadline, link)."""
    require_assignments_open(review_round.campaign, by)
    now = timezone.now()
    proposed = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(round=review_round, status=AssignmentStatus.PROPOSED)
        .select_related("expert", "case")
    )
    by_expert = defaultdict(list)
    for assignment in proposed:
        assignment.status = AssignmentStatus.CONFIRMED
        assignment.confirmed_at = now
        assignment.notified_at = now
        by_expert[assignment.expert].append(assignment.case)
    Assignment.objects.bulk_update(proposed, ["status", "confirmed_at", "notified_at"])
    for expert, cases in by_expert.items():
        notify_assigned(expert, review_round, cases)
    if proposed:
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.ASSIGNMENTS_CONFIRMED,
            note=_("确认 %(n)d 项分配,通知 %(experts)d 名专家")
            % {"n": len(proposed), "experts": len(by_expert)},
        )
    return len(proposed)


@transaction.atomic
def declare_conflict(*, assignment: Assignment, by, reason: str) -> Conflict:
    """The expert declares a conflict: the assignment is released for reassignment."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round__campaign")
        .get(pk=assignment.pk)
    )
    if assignment.expert_id != by.pk:
        raise InvalidTransition(_("只能为分配给自己的案例申报回避。"))
    campaign = assignment.round.campaign
    if not campaign_rules.decisions_are_open(by, campaign):
        raise InvalidTransition(campaign_rules.frozen_message(campaign))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明回避理由。")})
    review = Review.objects.filter(assignment=assignment).first()
    if review and review.status == ReviewStatus.SUBMITTED:
        raise InvalidTransition(_("评分已提交,不能再申报回避;如有问题请联系组织方。"))
    conflict, _created = Conflict.objects.update_or_create(
        expert=by,
        case=assignment.case,
        defaults={"source": ConflictSource.DECLARED, "reason": reason.strip(), "recorded_by": by},
    )
    assignment.status = AssignmentStatus.RELEASED
    assignment.save(update_fields=["status"])
    return conflict


@transaction.atomic
def record_conflict(*, expert, case, by, reason: str) -> Conflict:
    """An administrator records a conflict; any active assignment of the pair is released."""
    require_assignments_open(case.campaign, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明回避理由。")})
    conflict, _created = Conflict.objects.update_or_create(
        expert=expert,
        case=case,
        defaults={"source": ConflictSource.RECORDED, "reason": reason.strip(), "recorded_by": by},
    )
    for assignment in Assignment.objects.select_for_update(of=("self",)).filter(
        expert=expert, case=case, status__in=ACTIVE
    ):
        if Review.objects.filter(assignment=assignment, status=ReviewStatus.SUBMITTED).exists():
            continue
        assignment.status = AssignmentStatus.RELEASED
        assignment.save(update_fields=["status"])
    return conflict
