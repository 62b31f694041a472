import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reform_cases.models.campaigns import Campaign
from reform_cases.models.submission import Case

CORRECTION_LABELS = {
    "title": _("案例名称"),
    "award": _("等次"),
    "organisation": _("申报单位"),
    "co_organisations": _("共同实施单位"),
    "region": _("地区"),
    "field": _("领域"),
    "summary": _("案例简介"),
    "evidence": _("来源"),
}


class Correction(models.Model):
    """A recorded change to public data: who, when, old → new, why. Listed publicly."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="corrections")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="corrections")
    field_name = models.CharField(_("更正项"), max_length=40)
    old_value = models.TextField(_("原内容"), blank=True)
    new_value = models.TextField(_("新内容"), blank=True)
    reason = models.TextField(_("理由"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("更正记录")
        verbose_name_plural = _("更正记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.case} · {self.field_name}"

    @property
    def field_label(self):
        return CORRECTION_LABELS.get(self.field_name, self.field_name)


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    UPHELD = "upheld", _("成立")
    DISMISSED = "dismissed", _("不成立")


def objection_file_path(instance, filename):
    return f"objections/{instance.campaign_id}/{uuid.uuid4().hex}/{filename}"


class Objection(models.Model):
    """An objection raised by anyone during the public notice (公示), answered in writing."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(
        Case,
        verbose_name=_("涉及案例"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
    )
    name = models.CharField(_("姓名或单位"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100)
    text = models.TextField(_("异议内容"))
    file = models.FileField(_("附件"), upload_to=objection_file_path, max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    status = models.CharField(
        _("处理结果"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    answer = models.TextField(_("书面答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ip_address", "created_at"])]

    def __str__(self):
        return f"{self.campaign.year} · {self.name}"


class ResultsManifest(models.Model):
    """One frozen version of a campaign's published result, with its SHA-256.

    The first version is frozen on publication; every correction after it appends a new
    version that carries the correction and the previous version's hash. Its content is
    public (`/api/results/<year>/manifest.json`) so that anyone can recompute the tiers.
    """

    # The reason of the only version of a result loaded from public sources (2019, 2020).
    HISTORICAL_REASON = "历史结果:依据公开来源载入,本平台未存有该轮的原始评分"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="manifests")
    version = models.PositiveIntegerField(_("版本"))
    content = models.TextField(_("内容"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    previous_sha256 = models.CharField(_("上一版本的 SHA-256"), max_length=64, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结果清单")
        verbose_name_plural = _("结果清单")
        ordering = ["campaign", "version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="manifest_unique_version")
        ]

    def __str__(self):
        return f"{self.campaign.year} v{self.version} {self.sha256[:12]}"
