"""The one table of `common`: which uploads have been applied (see `common.import_session`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppliedImport(models.Model):
    """An upload applied through its preview's one-time token.

    The row is written in the same transaction as the import itself, and the token is
    unique: of two requests that post the same token at once only one can commit, and a
    later post of the token is recognised as already applied.
    """

    kind = models.CharField(_("类型"), max_length=40)
    token = models.CharField(_("一次性令牌"), max_length=64, unique=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已完成的导入")
        verbose_name_plural = _("已完成的导入")

    def __str__(self):
        return f"{self.kind} {self.applied_at:%Y-%m-%d %H:%M}"
