from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from reform_cases.models import Campaign, Case, Field, Tier


class ExpertProfile(models.Model):
    """A reviewer: affiliation, inside or outside the province, expertise, capacity."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    affiliation = models.ForeignKey(
        Organisation,
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experts",
        help_text=_("省内单位;用于回避判断。"),
    )
    institution = models.CharField(
        _("所在机构"), max_length=200, blank=True, help_text=_("省外或非政府机构的名称。")
    )
    inside_province = models.BooleanField(_("省内专家"), default=True)
    fields = models.ManyToManyField(Field, verbose_name=_("擅长领域"), blank=True)
    max_cases_per_round = models.PositiveSmallIntegerField(_("每轮评审上限"), default=30)

    class Meta:
        verbose_name = _("专家")
        verbose_name_plural = _("专家")

    def __str__(self):
        return str(self.user)

    @property
    def affiliation_label(self):
        return self.affiliation.name if self.affiliation_id else self.institution


class Panel(models.Model):
    """A review group (评审组) of a campaign, usually by field."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="panels")
    name = models.CharField(_("名称"), max_length=100)
    fields = models.ManyToManyField(Field, verbose_name=_("负责领域"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True, related_name="panels"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="panel_unique_name")
        ]

    def __str__(self):
        return self.name


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


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    RELEASED = "released", _("已释放(回避)")


class Assignment(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PROPOSED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评审分配")
        verbose_name_plural = _("评审分配")
        constraints = [
            models.UniqueConstraint(fields=["round", "case", "expert"], name="assignment_unique")
        ]
        indexes = [
            models.Index(fields=["expert", "status"]),
            models.Index(fields=["round", "status"]),
        ]

    def __str__(self):
        return f"{self.expert} → {self.case}"


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("专家申报")
    RECORDED = "recorded", _("组织方登记")


class Conflict(models.Model):
    """A declared or recorded conflict of interest (回避) between an expert and a case."""

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=20, choices=ConflictSource.choices)
    reason = models.TextField(_("理由"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回避")
        verbose_name_plural = _("回避")
        constraints = [models.UniqueConstraint(fields=["expert", "case"], name="conflict_unique")]

    def __str__(self):
        return f"{self.expert} × {self.case}"


class Pledge(models.Model):
    """The confidentiality and no-conflict pledge (承诺书), once per expert and round."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="pledges")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评审承诺")
        verbose_name_plural = _("评审承诺")
        constraints = [models.UniqueConstraint(fields=["round", "expert"], name="pledge_unique")]

    def __str__(self):
        return f"{self.expert} {self.accepted_at:%Y-%m-%d}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class Review(models.Model):
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    overall_comment = models.TextField(_("总体评价"), blank=True)
    recommended_tier = models.ForeignKey(
        Tier,
        verbose_name=_("建议等次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评审意见")
        verbose_name_plural = _("评审意见")

    def __str__(self):
        return f"{self.assignment} ({self.status})"


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.CharField(_("评语"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("分项得分")
        verbose_name_plural = _("分项得分")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_unique"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="score_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.value}"


class ReviewEvent(models.Model):
    """Submissions and reopenings of a review, with who, when and why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.review_id} {self.kind}"


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
        _("分歧阈值(标准差)"), max_digits=5, decimal_places=2, default=Decimal("15")
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
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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

    entry = models.ForeignKey(RankingEntry, on_delete=models.CASCADE, related_name="overrides")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("理由"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("等次调整记录")
        verbose_name_plural = _("等次调整记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.entry.case}: {self.old_tier} → {self.new_tier}"


class ReminderSent(models.Model):
    """A deadline reminder already sent to an expert for a round, so it is sent once."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reminders")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # "days_before" or "last_day"
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "expert", "kind"], name="reminder_once")
        ]

    def __str__(self):
        return f"{self.round} {self.expert} {self.kind}"
