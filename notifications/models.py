from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ACCOUNT_INVITATION = "account_invitation", _("账户邀请")
    PASSWORD_RESET = "password_reset", _("重置密码")
    ORGANISATION_CHANGED = "organisation_changed", _("所属单位变更")
    CASE_SUBMITTED = "case_submitted", _("案例已提交")
    CASE_RETURNED = "case_returned", _("案例被退回")
    CASE_ACCEPTED = "case_accepted", _("案例已受理")
    CASE_INELIGIBLE = "case_ineligible", _("案例不予受理")
    EXPERT_ASSIGNED = "expert_assigned", _("评审任务分配")
    CASE_OUTCOME = "case_outcome", _("评选结果")
    REVIEW_REMINDER = "review_reminder", _("评审截止提醒")
    OBJECTION_RECEIVED = "objection_received", _("收到异议")
    COMMITTEE_BUNDLE = "committee_bundle", _("终评材料包")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")  # claimed by a worker (claimed_at); sent outside any lock
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One message to one user: the outbox row, written with the change that causes it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=40, choices=NotificationKind.choices)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    # Never a link holding a token: those are made at delivery (notifications/secret_links.py).
    link = models.CharField(_("链接"), max_length=500, blank=True)
    # What caused it, as "app_label.model:pk", so this app imports no other app.
    target = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        _("发送状态"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # When a worker claimed the row (status SENDING); an old claim may be taken over.
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("下次重试"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self):
        return self.subject
