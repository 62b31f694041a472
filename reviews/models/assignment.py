from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reform_cases.models import Case
from reviews.models.rounds import ReviewRound


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
    # 匹配度 when the pair was chosen: round(100 · cosine) of the expert's and the case's text
    # vectors, and the words that weigh most in it (reviews/assignment/matching.py). Null when
    # either vector was missing; the board only reads them.
    match_percent = models.PositiveSmallIntegerField(_("匹配度"), null=True, blank=True)
    match_terms = models.JSONField(_("匹配词"), default=list, blank=True)

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
