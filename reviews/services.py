"""State changes of the review: rubric, rounds, assignment, conflicts, pledges, scores."""

import math
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from notifications.services import notify
from reform_cases.exceptions import InvalidTransition
from reform_cases.models import Case, CaseStatus

from .conflicts import conflict_reason
from .models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    Criterion,
    Pledge,
    Review,
    ReviewEvent,
    ReviewRound,
    ReviewStatus,
    Score,
)
from .scoring import plain, review_total

DEFAULT_RUBRIC = [
    ("创新性", "改革举措的首创性、突破性", Decimal("25"), Decimal("1.2")),
    ("实效性", "改革取得的实际成效和数据支撑", Decimal("25"), Decimal("1.2")),
    ("示范推广性", "在省内外复制推广的价值", Decimal("20"), Decimal("1")),
    ("系统集成性", "跨部门、跨层级协同和制度集成程度", Decimal("15"), Decimal("0.8")),
    ("群众获得感", "群众和企业的获得感、满意度", Decimal("15"), Decimal("0.8")),
]
ACTIVE = (AssignmentStatus.PROPOSED, AssignmentStatus.CONFIRMED)
STEP = Decimal("0.5")


# --- rubric ------------------------------------------------------------------


def rubric_locked(campaign) -> bool:
    """The rubric cannot change once any score of the campaign exists."""
    return Score.objects.filter(criterion__campaign=campaign, value__isnull=False).exists()


@transaction.atomic
def ensure_default_rubric(*, campaign, by) -> list[Criterion]:
    if campaign.criteria.exists():
        return list(campaign.criteria.all())
    return [
        Criterion.objects.create(
            campaign=campaign, name=name, description=text, max_score=top, weight=weight, order=i
        )
        for i, (name, text, top, weight) in enumerate(DEFAULT_RUBRIC, start=1)
    ]


@transaction.atomic
def save_rubric(*, campaign, formset, by) -> None:
    if rubric_locked(campaign):
        raise InvalidTransition(_("已有专家评分,评分指标已锁定,不能再修改。"))
    formset.instance = campaign
    changed = formset.save(commit=False)
    for criterion in formset.deleted_objects:
        # Only empty draft placeholders can point at it (the rubric is unlocked): they go with it.
        Score.objects.filter(criterion=criterion, value__isnull=True, comment="").delete()
        if Score.objects.filter(criterion=criterion).exists():
            raise InvalidTransition(
                _("指标“%(name)s”已有专家写了评语,不能删除。") % {"name": criterion.name}
            )
        criterion.delete()
    for criterion in changed:
        criterion.save()


# --- rounds --------------------------------------------------------------------


@transaction.atomic
def add_accepted_cases(*, round: ReviewRound, by) -> int:
    """Put every accepted case of the campaign into the round (初评 on all accepted cases)."""
    cases = Case.objects.filter(campaign=round.campaign, status=CaseStatus.ACCEPTED)
    before = round.cases.count()
    round.cases.add(*cases)
    return round.cases.count() - before


# --- assignment ------------------------------------------------------------------


def expert_load(round: ReviewRound) -> dict[int, int]:
    rows = (
        Assignment.objects.filter(round=round, status__in=ACTIVE)
        .values("expert_id")
        .annotate(n=Count("id"))
    )
    return {row["expert_id"]: row["n"] for row in rows}


def round_experts(round: ReviewRound):
    """The experts who may review in this round: members of its panels (all experts if none)."""
    qs = User.objects.filter(role=Role.EXPERT, is_active=True)
    if round.panels.exists():
        qs = qs.filter(panels__in=round.panels.all()).distinct()
    return qs.select_related("expert_profile__affiliation").order_by("display_name", "username")


@transaction.atomic
def assign_expert(*, round: ReviewRound, case, expert, by) -> Assignment:
    """Propose one expert for one case; a conflicted pair is refused with the reason."""
    round = ReviewRound.objects.select_for_update(of=("self",)).get(pk=round.pk)
    if not round.cases.filter(pk=case.pk).exists():
        raise InvalidTransition(_("该案例不在本轮评审范围内。"))
    if expert.role != Role.EXPERT or not expert.is_active:
        raise InvalidTransition(_("只能分配给启用的评审专家。"))
    if not round_experts(round).filter(pk=expert.pk).exists():
        raise InvalidTransition(_("该专家不在本轮的评审组中。"))
    reason = conflict_reason(expert, case)
    if reason:
        raise InvalidTransition(_("不能分配:%(reason)s") % {"reason": reason})
    existing = Assignment.objects.filter(round=round, case=case, expert=expert).first()
    if existing and existing.status in ACTIVE:
        raise InvalidTransition(_("该专家已分配到这个案例。"))
    active = Assignment.objects.filter(round=round, case=case, status__in=ACTIVE).count()
    if active >= round.reviewers_per_case:
        raise InvalidTransition(_("该案例已有 %(n)d 名评审专家,达到每案人数。") % {"n": active})
    profile = getattr(expert, "expert_profile", None)
    limit = profile.max_cases_per_round if profile else None
    if limit is not None and expert_load(round).get(expert.pk, 0) >= limit:
        raise InvalidTransition(
            _("%(expert)s 本轮已分配 %(n)d 件,达到其评审上限。") % {"expert": expert, "n": limit}
        )
    if existing:  # released earlier for another reason than a conflict: reuse the row
        existing.status = AssignmentStatus.PROPOSED
        existing.created_by = by
        existing.save(update_fields=["status", "created_by"])
        return existing
    return Assignment.objects.create(round=round, case=case, expert=expert, created_by=by)


@transaction.atomic
def remove_assignment(*, assignment: Assignment, by) -> None:
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    if Review.objects.filter(assignment=assignment).exists():
        raise InvalidTransition(_("该专家已开始评分,不能取消分配。"))
    assignment.delete()


def notify_assigned(expert, round: ReviewRound, cases) -> None:
    """Tell an expert which cases wait for them, the deadline and where to go."""
    notify(
        [expert],
        kind="expert_assigned",
        obj=round,
        context={
            "cases": list(cases),
            "round": round,
            "deadline": timezone.localtime(round.closes_at).strftime("%Y-%m-%d %H:%M"),
            "blind": round.blind,
        },
        link=f"{settings.SITE_URL}/review/",
    )


@transaction.atomic
def swap_assignment(*, assignment: Assignment, expert, by) -> Assignment:
    """Replace the expert of an unstarted assignment; the new pair is checked like any other."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round", "case")
        .get(pk=assignment.pk)
    )
    if Review.objects.filter(assignment=assignment).exists():
        raise InvalidTransition(_("该专家已开始评分,不能更换。"))
    round, case, status = assignment.round, assignment.case, assignment.status
    assignment.delete()
    new = assign_expert(round=round, case=case, expert=expert, by=by)
    if status == AssignmentStatus.CONFIRMED:
        # The original was confirmed: confirm the replacement and tell the new expert.
        new.status = AssignmentStatus.CONFIRMED
        new.confirmed_at = new.notified_at = timezone.now()
        new.save(update_fields=["status", "confirmed_at", "notified_at"])
        notify_assigned(expert, round, [case])
    return new


@transaction.atomic
def confirm_assignments(*, round: ReviewRound, by) -> int:
    """Confirm the proposed assignments and tell each expert once (cases, deadline, link)."""
    now = timezone.now()
    proposed = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(round=round, status=AssignmentStatus.PROPOSED)
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
        notify_assigned(expert, round, cases)
    return len(proposed)


# --- conflicts ------------------------------------------------------------------


@transaction.atomic
def declare_conflict(*, assignment: Assignment, by, reason: str) -> Conflict:
    """The expert declares a conflict: the assignment is released for reassignment."""
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    if assignment.expert_id != by.pk:
        raise InvalidTransition(_("只能为分配给自己的案例申报回避。"))
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


# --- scoring ----------------------------------------------------------------------


@transaction.atomic
def accept_pledge(*, round: ReviewRound, expert) -> Pledge:
    pledge, _created = Pledge.objects.get_or_create(round=round, expert=expert)
    return pledge


def has_pledged(round, expert) -> bool:
    return Pledge.objects.filter(round=round, expert=expert).exists()


def parse_score(raw, criterion) -> Decimal | None:
    """A score from a form field, or ValidationError with a message naming the criterion."""
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("%(c)s:请填写数字。") % {"c": criterion.name}) from None
    if not value.is_finite() or (isinstance(raw, float) and math.isnan(raw)):
        raise ValidationError(_("%(c)s:请填写数字。") % {"c": criterion.name})
    if value < 0 or value > criterion.max_score:
        raise ValidationError(
            _("%(c)s:分数应在 0 到 %(max)s 之间。")
            % {"c": criterion.name, "max": plain(criterion.max_score)}
        )
    if value % STEP != 0:
        raise ValidationError(_("%(c)s:分数以 0.5 为单位。") % {"c": criterion.name})
    return value


@transaction.atomic
def save_review(
    *,
    assignment: Assignment,
    by,
    scores: dict,
    comments: dict,
    overall_comment: str,
    recommended_tier=None,
    submit: bool = False,
) -> Review:
    """Save a draft review, or submit it (then it is locked).

    `scores` and `comments` map criterion ids to the raw form values. Every
    problem is reported at once; nothing is saved when any value is invalid.
    """
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round__campaign", "case")
        .get(pk=assignment.pk)
    )
    round = assignment.round
    if assignment.expert_id != by.pk or assignment.status != AssignmentStatus.CONFIRMED:
        raise InvalidTransition(_("该案例未分配给您。"))
    now = timezone.now()
    if not round.is_open(now):
        raise InvalidTransition(
            _("本轮评审时间为 %(opens)s 至 %(closes)s,现在不能修改评分。")
            % {
                "opens": timezone.localtime(round.opens_at).strftime("%Y-%m-%d %H:%M"),
                "closes": timezone.localtime(round.closes_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if not has_pledged(round, by):
        raise InvalidTransition(_("请先阅读并接受评审承诺书。"))
    review, _created = Review.objects.select_for_update(of=("self",)).get_or_create(
        assignment=assignment
    )
    if review.status == ReviewStatus.SUBMITTED:
        raise InvalidTransition(_("评分已提交,不能再修改。"))
    criteria = list(round.campaign.criteria.all())
    errors, values = [], {}
    for criterion in criteria:
        try:
            values[criterion.pk] = parse_score(scores.get(criterion.pk), criterion)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if submit:
        missing = [c.name for c in criteria if c.pk in values and values[c.pk] is None]
        if missing:
            errors.append(_("提交前请为以下指标打分:%(names)s。") % {"names": "、".join(missing)})
        if not (overall_comment or "").strip():
            errors.append(_("提交前请填写总体评价。"))
        if not criteria:
            errors.append(_("本次评选还没有评分指标,请联系组织方。"))
    if recommended_tier is not None and recommended_tier.campaign_id != round.campaign_id:
        errors.append(_("建议等次无效。"))
    if errors:
        raise ValidationError(errors)
    existing = {s.criterion_id: s for s in review.scores.all()}
    for criterion in criteria:
        score = existing.get(criterion.pk) or Score(review=review, criterion=criterion)
        score.value = values[criterion.pk]
        score.comment = (comments.get(criterion.pk) or "").strip()[:1000]
        score.save()
    review.overall_comment = (overall_comment or "").strip()
    review.recommended_tier = recommended_tier
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now
        review.total = review_total(
            [values[c.pk] for c in criteria],
            [c.max_score for c in criteria],
            [c.weight for c in criteria],
        )
        ReviewEvent.objects.create(review=review, actor=by, kind="submitted")
    review.save()
    return review


@transaction.atomic
def reopen_review(*, review: Review, by, reason: str) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("assignment__round")
        .get(pk=review.pk)
    )
    if review.status != ReviewStatus.SUBMITTED:
        raise InvalidTransition(_("只有已提交的评分可以重新开放。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写重新开放的理由。")})
    if timezone.now() > review.assignment.round.closes_at:
        raise InvalidTransition(_("本轮已结束,请先延长截止时间。"))
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.total = None
    review.save(update_fields=["status", "submitted_at", "total", "updated_at"])
    ReviewEvent.objects.create(review=review, actor=by, kind="reopened", note=reason.strip())
    return review
