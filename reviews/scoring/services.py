"""State changes of scoring: pledges, score drafts, submission, reopening by the office."""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import chain
from common.exceptions import InvalidTransition
from common.forms import text_problems
from common.lists import join_list
from common.timefmt import local_datetime
from reform_cases.campaigns import rules as campaign_rules
from reviews.audit_records import REVIEW_SUBMITTED
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Pledge,
    Review,
    ReviewEvent,
    ReviewEventKind,
    ReviewRound,
    ReviewStatus,
    Score,
)
from reviews.ranking.statistics import plain, review_total
from reviews.scoring import selectors as scoring_selectors

STEP = Decimal("0.5")
COMMENT_MAX = 1000  # Score.comment
OVERALL_MAX = 5000


@transaction.atomic
def accept_pledge(*, review_round: ReviewRound, expert) -> Pledge:
    pledge, _created = Pledge.objects.get_or_create(round=review_round, expert=expert)
    return pledge


def has_pledged(review_round, expert) -> bool:
    return Pledge.objects.filter(round=review_round, expert=expert).exists()


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
    review_round = assignment.round
    if assignment.expert_id != by.pk or assignment.status != AssignmentStatus.CONFIRMED:
        raise InvalidTransition(_("该案例未分配给您。"))
    now = timezone.now()
    if not review_round.is_open(now):
        raise InvalidTransition(
            _("本轮评审时间为 %(opens)s 至 %(closes)s,现在不能修改评分。")
            % {
                "opens": local_datetime(review_round.opens_at),
                "closes": local_datetime(review_round.closes_at),
            }
        )
    if not campaign_rules.decisions_are_open(by, review_round.campaign):
        raise InvalidTransition(campaign_rules.frozen_message(review_round.campaign))
    if not has_pledged(review_round, by):
        raise InvalidTransition(_("请先阅读并接受评审承诺书。"))
    review, _created = Review.objects.select_for_update(of=("self",)).get_or_create(
        assignment=assignment
    )
    if review.status == ReviewStatus.SUBMITTED:
        raise InvalidTransition(_("评分已提交,不能再修改。"))
    criteria, _tiers = scoring_selectors.rubric(review_round.campaign_id)
    errors, values = [], {}
    for criterion in criteria:
        try:
            values[criterion.pk] = parse_score(scores.get(criterion.pk), criterion)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if submit:
        missing = [c.name for c in criteria if c.pk in values and values[c.pk] is None]
        if missing:
            errors.append(_("提交前请为以下指标打分:%(names)s。") % {"names": join_list(missing)})
        if not (overall_comment or "").strip():
            errors.append(_("提交前请填写总体评价。"))
        if not criteria:
            errors.append(_("本次评选还没有评分指标,请联系组织方。"))
    comments = {c.pk: (comments.get(c.pk) or "").strip() for c in criteria}
    overall_comment = (overall_comment or "").strip()
    for criterion in criteria:
        errors.extend(
            text_problems(
                comments[criterion.pk],
                label=_("%(c)s的评语") % {"c": criterion.name},
                max_length=COMMENT_MAX,
            )
        )
    errors.extend(text_problems(overall_comment, label=_("总体评价"), max_length=OVERALL_MAX))
    if recommended_tier is not None and recommended_tier.campaign_id != review_round.campaign_id:
        errors.append(_("建议等次无效。"))
    if errors:
        raise ValidationError(errors)
    # One INSERT for the new scores and one UPDATE for the changed ones, not one per criterion:
    # every expert saves here at the deadline (bench/deadline.py).
    existing = {s.criterion_id: s for s in review.scores.all()}
    added, changed = [], []
    for criterion in criteria:
        value, comment = values[criterion.pk], comments[criterion.pk]
        score = existing.get(criterion.pk)
        if score is None:
            added.append(Score(review=review, criterion=criterion, value=value, comment=comment))
        elif score.value != value or score.comment != comment:
            score.value, score.comment = value, comment
            changed.append(score)
    Score.objects.bulk_create(added)
    Score.objects.bulk_update(changed, ["value", "comment"])
    review.overall_comment = overall_comment
    review.recommended_tier = recommended_tier
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now
        review.total = review_total(
            [values[c.pk] for c in criteria],
            [c.max_score for c in criteria],
            [c.weight for c in criteria],
        )
        ReviewEvent.objects.create(review=review, actor=by, kind=ReviewEventKind.SUBMITTED)
    review.save()
    if submit:
        chain.record_state(REVIEW_SUBMITTED, review)
    return review


@transaction.atomic
def reopen_review(*, review: Review, by, reason: str) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("assignment__round__campaign")
        .get(pk=review.pk)
    )
    campaign = review.assignment.round.campaign
    campaign_rules.require_office(by)
    campaign_rules.require(
        campaign_rules.decisions_are_open, by, campaign, campaign_rules.frozen_message(campaign)
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
    ReviewEvent.objects.create(
        review=review, actor=by, kind=ReviewEventKind.REOPENED, note=reason.strip()
    )
    return review
