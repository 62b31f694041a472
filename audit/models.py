"""One chain of audit records: each carries the SHA-256 of its content and of the previous record."""

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditRecord(models.Model):
    """A fact of the record (an event row, a submitted review's scores, an answer), chained.

    `content` is the canonical JSON of what the record covers; personal data that an
    audited row only refers to (an objector's contact details, uploaded files) is not in it,
    so that it can be erased after its retention period without breaking the chain.
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    kind = models.CharField(_("类别"), max_length=60)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    content = models.TextField(_("内容"))
    prev_hash = models.CharField(_("前一条的哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链记录")
        verbose_name_plural = _("审计链记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """The last record's number and hash: appends lock this one row, so the chain stays a line."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("审计链末端")
        verbose_name_plural = _("审计链末端")

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"
