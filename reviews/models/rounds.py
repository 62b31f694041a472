from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reform_cases.models import Campaign, Case
from reviews.models.panels import Panel


class Criterion(models.Model):
    """One line of a campaign's rubric."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    max_score = models.DecimalField(
        _("满分"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    weight = models.DecimalField(
        _("权重"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评分指标")
        verbose_name_plural = _("评分指标")
        ordering = ["campaign", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="criterion_unique_name"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self):
        return self.name


class Visibility(models.TextChoices):
    NEVER = "never", _("从不显示")
    AFTER_OWN = "after_own", _("提交本人评分后")
    AFTER_CLOSE = "after_close", _("本轮结束后")


class ReviewRound(models.Model):
    """A round of scoring (初评, 终评...) with its own window and reviewers per case."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(_("名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    panels = models.ManyToManyField(Panel, verbose_name=_("评审组"), blank=True)
    cases = models.ManyToManyField(
        Case, verbose_name=_("参评案例"), blank=True, related_name="rounds"
    )
    reviewers_per_case = models.PositiveSmallIntegerField(
        _("每案评审人数"), default=3, validators=[MinValueValidator(1)]
    )
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    visibility = models.CharField(
        _("其他专家评分可见"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.AFTER_CLOSE,
    )
    blind = models.BooleanField(_("匿名评审(隐藏申报单位)"), default=False)
    reminder_days = models.PositiveSmallIntegerField(_("截止前提醒天数"), default=3)

    class Meta:
        verbose_name = _("评审轮次")
        verbose_name_plural = _("评审轮次")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="round_unique_order"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opens"
            ),
        ]

    def __str__(self):
        return f"{self.campaign.year} {self.name}"

    def is_open(self, now):
        return self.opens_at <= now <= self.closes_at


class RoundEventKind(models.TextChoices):
    RANKING_COMPUTED = "ranking_computed", pgettext_lazy("event", "计算排名")
    TIE_BREAK_CHANGED = "tie_break_changed", _("调整并列处理")
    BASIS_CHANGED = "basis_changed", _("调整排名依据")
    SHORTLISTED = "shortlisted", _("入围下一轮")
    ASSIGNMENT_REMOVED = "assignment_removed", _("移除评审分配")
    RANKING_LOCKED = "ranking_locked", pgettext_lazy("event", "锁定排名")
    RANKING_REOPENED = "ranking_reopened", pgettext_lazy("event", "重新开放排名")
    ROUND_SAVED = "round_saved", _("保存轮次设置")
    CASES_ADDED = "cases_added", _("加入评审案例")
    ASSIGNMENTS_CONFIRMED = "assignments_confirmed", _("确认评审分配")
    BUNDLE_REQUESTED = "bundle_requested", _("申请生成终评材料包")


class RoundEvent(models.Model):
    """What the office did to a round's assignment or ranking: who, when, what and why."""

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=30, choices=RoundEventKind.choices)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("轮次记录")
        verbose_name_plural = _("轮次记录")
        ordering = ["at", "pk"]

    def __str__(self):
        when = f" {self.at:%Y-%m-%d}" if self.at else ""
        return f"{self.round} {self.get_kind_display()}{when}"
