"""The committee's bundle (终评材料包): one ZIP per request, built by a Celery task."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reviews.models.rounds import ReviewRound


class BundleStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    BUILDING = "building", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")
    # The file deleted after COMMITTEE_BUNDLE_KEEP_DAYS or when newer bundles replaced it.
    EXPIRED = "expired", _("已过期删除")


# A bundle still queued after this long is waiting for a documents worker that is not running
# (a build starts within seconds when one is): the ranking page says so.
QUEUE_PATIENCE = timedelta(minutes=10)


def bundle_path(instance, filename: str) -> str:
    return f"bundles/{instance.round_id}/{filename}"


class CommitteeBundle(models.Model):
    """A round's papers for the final committee: cover, ranking table, each case's files."""

    round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="bundles", verbose_name=_("评审轮次")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申请人"),
    )
    # None: every case of the ranking.
    top = models.PositiveIntegerField(_("前 N 名"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BundleStatus.choices, default=BundleStatus.QUEUED
    )
    file = models.FileField(_("文件"), upload_to=bundle_path, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(_("大小"), null=True, blank=True)
    case_count = models.PositiveIntegerField(_("案例数"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    # Attachments the store no longer had: "003-<title>/附件02-<name>" each; the bundle holds a
    # note in their place and a list of them (bundle.MISSING_LIST_NAME).
    missing_files = models.JSONField(_("缺失的附件"), default=list, blank=True)
    expired_at = models.DateTimeField(_("删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("终评材料包")
        verbose_name_plural = _("终评材料包")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.round} {self.get_status_display()} #{self.pk}"

    @property
    def waiting_too_long(self) -> bool:
        return (
            self.status == BundleStatus.QUEUED
            and self.created_at is not None
            and self.created_at < timezone.now() - QUEUE_PATIENCE
        )
