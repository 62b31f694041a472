from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reform_cases.models import Campaign, Case, Tier
from reviews.models.rounds import ReviewRound
from reviews.ranking.defaults import DEFAULT_DISAGREEMENT_SD


class RankingBasis(models.TextChoices):
    TRIMMED = "trimmed", _("去掉最高分和最低分后的平均分")
    MEAN = "mean", _("平均分")
    MEDIAN = "median", _("中位数")
    NORMALISED = "normalised", _("标准化后的平均分")


class RankingConfig(models.Model):
    """How a campaign turns review totals into a ranking."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="ranking_config"
    )
    basis = models.CharField(
        _("排名依据"), max_length=20, choices=RankingBasis.choices, default=RankingBasis.TRIMMED
    )
    disagreement_threshold = models.DecimalField(
        _("分歧阈值(标准差)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(f"{DEFAULT_DISAGREEMENT_SD:.2f}"),
    )
    min_reviews = models.PositiveSmallIntegerField(_("最少评审份数"), default=3)
    resamples = models.PositiveIntegerField(_("稳定性重抽样次数"), default=1000)
    stability_threshold = models.DecimalField(
        _("稳定性阈值"), max_digits=4, decimal_places=2, default=Decimal("0.80")
    )
    # Documented tie-break, applied only when an administrator asks: higher median, then lower disagreement.
    tie_break = models.BooleanField(_("应用并列处理规则"), default=False)

    class Meta:
        verbose_name = _("排名设置")
        verbose_name_plural = _("排名设置")

    def __str__(self):
        return f"{self.campaign}: {self.get_basis_display()}"


class RankingFlag(models.TextChoices):
    DISAGREEMENT = "disagreement", _("分歧较大")
    FEW_REVIEWS = "few_reviews", _("评审份数不足")
    BOUNDARY_TIE = "boundary_tie", _("等次边界并列")
    BORDERLINE = "borderline", _("等次不稳定")
    SHORTLIST_TIE = "shortlist_tie", _("入围线并列")


class RankingEntry(models.Model):
    """One case's aggregates, flags and tier in one round's ranking."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="ranking")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ranking_entries")
    n_reviews = models.PositiveSmallIntegerField(default=0)
    mean = models.FloatField(null=True)
    median = models.FloatField(null=True)
    trimmed_mean = models.FloatField(null=True)
    std = models.FloatField(null=True)
    normalised_mean = models.FloatField(null=True)
    basis_value = models.FloatField(null=True)
    rank = models.PositiveIntegerField(null=True)
    proposed_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    final_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden = models.BooleanField(default=False)
    flags = models.JSONField(default=list)
    stability = models.JSONField(default=dict)  # {tier code: share of resamples}
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("排名")
        verbose_name_plural = _("排名")
        ordering = ["round", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "case"], name="ranking_unique_case")
        ]

    def __str__(self):
        return f"{self.round} #{self.rank} {self.case}"


class TierOverride(models.Model):
    """A manual change of a proposed tier: who, when, old → new and why."""

    entry = models.ForeignKey(RankingEntry, on_delete=models.PROTECT, related_name="overrides")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    old_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("理由"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("等次调整记录")
        verbose_name_plural = _("等次调整记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.entry.case}: {self.old_tier} → {self.new_tier}"
