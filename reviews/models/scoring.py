from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reform_cases.models import Tier
from reviews.models.assignment import Assignment
from reviews.models.rounds import Criterion, ReviewRound


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
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="scores")
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


class ReviewEventKind(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    REOPENED = "reopened", pgettext_lazy("event", "重新开放")


class ReviewEvent(models.Model):
    """Submissions and reopenings of a review, with who, when and why."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ReviewEventKind.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评审意见记录")
        verbose_name_plural = _("评审意见记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.review_id} {self.kind}"


class ReminderKind(models.TextChoices):
    DAYS_BEFORE = "days_before", _("截止前提醒")
    LAST_DAY = "last_day", _("截止日提醒")


class ReminderSent(models.Model):
    """A deadline reminder already sent to an expert for a round, so it is sent once."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reminders")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "expert", "kind"], name="reminder_once")
        ]

    def __str__(self):
        return f"{self.round} {self.expert} {self.kind}"
