"""State changes of the rubric and of review rounds."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.exceptions import InvalidTransition
from common.forms import describe_changes, describe_formset
from reform_cases.campaigns import rules as campaign_rules
from reform_cases.models import CampaignEvent, CampaignEventKind, Case, CaseStatus
from reviews.models import (
    Criterion,
    ReviewRound,
    RoundEvent,
    RoundEventKind,
    Score,
)
from reviews.rounds import rules as round_rules

DEFAULT_RUBRIC = [
    ("创新性", "改革举措的首创性、突破性", Decimal("25"), Decimal("1.2")),
    ("实效性", "改革取得的实际成效和数据支撑", Decimal("25"), Decimal("1.2")),
    ("示范推广性", "在省内外复制推广的价值", Decimal("20"), Decimal("1")),
    ("系统集成性", "跨部门、跨层级协同和制度集成程度", Decimal("15"), Decimal("0.8")),
    ("群众获得感", "群众和企业的获得感、满意度", Decimal("15"), Decimal("0.8")),
]


def rubric_locked(campaign) -> bool:
    """The rubric cannot change once any score of the campaign exists, nor after the lock."""
    return not round_rules.can_edit_rubric(None, campaign)


def _require_rounds_editable(campaign, by) -> None:
    campaign_rules.require_office(by)
    campaign_rules.require(
        round_rules.can_edit_rounds, by, campaign, campaign_rules.frozen_message(campaign)
    )


@transaction.atomic
def save_round(*, form, by) -> ReviewRound:
    """Create or edit a round (its window, reviewers per case, panels, visibility)."""
    _require_rounds_editable(form.instance.campaign, by)
    created = form.instance.pk is None
    changes = "" if created else describe_changes(form)
    review_round = form.save()
    if created or changes:
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.ROUND_SAVED,
            note=_("新建轮次“%(name)s”") % {"name": review_round.name} if created else changes,
        )
    return review_round


@transaction.atomic
def ensure_default_rubric(*, campaign, by) -> list[Criterion]:
    if campaign.criteria.exists():
        return list(campaign.criteria.all())
    _require_rounds_editable(campaign, by)
    CampaignEvent.objects.create(
        campaign=campaign, actor=by, kind=CampaignEventKind.RUBRIC_CHANGED, note=_("使用默认指标")
    )
    return [
        Criterion.objects.create(
            campaign=campaign, name=name, description=text, max_score=top, weight=weight, order=i
        )
        for i, (name, text, top, weight) in enumerate(DEFAULT_RUBRIC, start=1)
    ]


@transaction.atomic
def save_rubric(*, campaign, formset, by) -> None:
    _require_rounds_editable(campaign, by)
    if not round_rules.no_score_yet(by, campaign):
        raise InvalidTransition(_("已有专家评分,评分指标已锁定,不能再修改。"))
    formset.instance = campaign
    what = describe_formset(formset)
    changed = formset.save(commit=False)
    for criterion in formset.deleted_objects:
        # Only empty draft placeholders can point at it (the rubric is unlocked): they go with it.
        Score.objects.filter(criterion=criterion, value__isnull=True, comment="").delete()
        if Score.objects.filter(criterion=criterion).exists():
            raise InvalidTransition(
                _("指标“%(name)s”已有专家写了评语,不能删除。") % {"name": criterion.name}
            )
        criterion.delete()
    try:
        with transaction.atomic():
            for criterion in changed:
                criterion.save()
    except IntegrityError:
        # Two saves at once: both passed the formset's check, the second meets the first's rows.
        raise ValidationError(_("评分指标刚被他人修改过,请刷新页面后重试。")) from None
    if what:
        CampaignEvent.objects.create(
            campaign=campaign, actor=by, kind=CampaignEventKind.RUBRIC_CHANGED, note=what
        )


@transaction.atomic
def add_accepted_cases(*, review_round: ReviewRound, by) -> int:
    """Put every accepted case of the campaign into the round (初评 on all accepted cases)."""
    _require_rounds_editable(review_round.campaign, by)
    cases = Case.objects.filter(campaign=review_round.campaign, status=CaseStatus.ACCEPTED)
    before = review_round.cases.count()
    review_round.cases.add(*cases)
    added = review_round.cases.count() - before
    if added:
        RoundEvent.objects.create(
            round=review_round,
            actor=by,
            kind=RoundEventKind.CASES_ADDED,
            note=_("加入 %(n)d 个已受理案例") % {"n": added},
        )
    return added
