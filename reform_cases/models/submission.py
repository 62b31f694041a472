import re
import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, OrganisationKind
from reform_cases.models.campaigns import (
    PUBLIC_CAMPAIGN_STATUSES,
    AttachmentKind,
    Campaign,
    Field,
    Tier,
)


def normalise_title(title: str) -> str:
    """The identity of a case title: width-folded, no spaces, no quotation marks.

    The same case is written “车辆检测‘一件事’” in one source and 车辆检测"一件事" in another.
    """
    text = unicodedata.normalize("NFKC", title or "")
    return re.sub(r"[\s\"'“”‘’「」『』《》〈〉]+", "", text)


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已受理")
    INELIGIBLE = "ineligible", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


class CaseOutcome(models.TextChoices):
    PENDING = "", _("未定")
    AWARDED = "awarded", _("获奖")
    SELECTED = "selected", _("入选(等次未公布)")
    NOT_AWARDED = "not_awarded", _("未获奖")


def award_label(tier, outcome: str) -> str:
    """'最佳实践案例', '入选(等次未公布)', … for a (tier, outcome) pair; '' while undecided."""
    if tier is not None:
        return tier.name
    return str(CaseOutcome(outcome).label) if outcome else ""


PUBLIC_OUTCOMES = (CaseOutcome.AWARDED, CaseOutcome.SELECTED)


# The text sections of a case, in the order the locality writes them (申报书 order).
CASE_SECTIONS = ("summary", "background", "measures", "results", "innovation", "replicability")


class CaseQuerySet(models.QuerySet):
    def public(self):
        """Cases anyone may read: a public campaign and an award or selection."""
        return self.filter(
            campaign__status__in=PUBLIC_CAMPAIGN_STATUSES,
            campaign__is_demo=False,
            outcome__in=PUBLIC_OUTCOMES,
        )


class CaseManager(models.Manager.from_queryset(CaseQuerySet)):
    def get_by_natural_key(self, title_key, *campaign_key):
        return self.get(
            title_key=title_key, campaign=Campaign.objects.get_by_natural_key(*campaign_key)
        )


class Case(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("评选活动"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("案例名称"), max_length=200)
    # Identity of the case within its campaign (see normalise_title).
    title_key = models.CharField(max_length=200, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("申报单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    co_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("共同实施单位"),
        blank=True,
        related_name="co_implemented_cases",
    )
    region = models.ForeignKey(
        Organisation,
        verbose_name=_("地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind__in": [OrganisationKind.PROVINCE, OrganisationKind.CITY]},
    )
    field = models.ForeignKey(
        Field, verbose_name=_("领域"), null=True, blank=True, on_delete=models.PROTECT
    )
    summary = models.TextField(_("案例简介"), blank=True)
    background = models.TextField(_("背景"), blank=True)
    measures = models.TextField(_("主要做法"), blank=True)
    results = models.TextField(_("成效"), blank=True)
    innovation = models.TextField(_("创新点"), blank=True)
    replicability = models.TextField(_("推广价值"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    outcome = models.CharField(
        _("评选结果"), max_length=20, choices=CaseOutcome.choices, blank=True, default=""
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("等次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    final_score = models.DecimalField(
        _("最终得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    evidence = models.CharField(
        _("来源"), max_length=200, blank=True, help_text=_("历史案例的公开来源。")
    )
    is_historical = models.BooleanField(_("历史数据"), default=False)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    revise_by = models.DateTimeField(
        _("修改截止"), null=True, blank=True, help_text=_("退回修改时设定的重新提交截止时间。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Raised by each save of the draft's text (update_draft, under the row lock): a page
    # holds the version it was drawn from, and a save from an older one is refused instead
    # of silently overwriting what someone else (or another window) saved in between.
    edit_version = models.PositiveIntegerField(_("编辑版本"), default=1, editable=False)
    # The one-time token of the new-case form that created this draft: the same form posted
    # twice (a double click, a resent request) finds the draft it already made.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = CaseManager()

    class Meta:
        verbose_name = _("案例")
        verbose_name_plural = _("案例")
        ordering = ["campaign", "rank", "title"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "title_key"], name="case_unique_title"),
            # An award has a tier; nothing else has one.
            models.CheckConstraint(
                condition=(Q(outcome=CaseOutcome.AWARDED) & Q(tier__isnull=False))
                | (~Q(outcome=CaseOutcome.AWARDED) & Q(tier__isnull=True)),
                name="case_tier_matches_outcome",
                violation_error_message=_("获奖案例必须有等次;其他结果不能有等次。"),
            ),
        ]
        indexes = [models.Index(fields=["campaign", "outcome"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.title_key = normalise_title(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "title_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:detail", kwargs={"pk": self.pk})

    def natural_key(self):
        return (self.title_key, *self.campaign.natural_key())

    natural_key.dependencies = ["reform_cases.campaign", "accounts.organisation"]

    @property
    def is_public(self):
        return self.campaign.is_public and self.outcome in PUBLIC_OUTCOMES

    @property
    def award_label(self) -> str:
        """The tier's name, or the outcome's label when there is no tier."""
        return award_label(self.tier, self.outcome)


class CaseEventKind(models.TextChoices):
    CREATED = "created", _("创建草稿")
    # An event is what happened ("Submitted"); the same Chinese on a button is what to do
    # ("Submit"): the "event" context lets English tell them apart.
    SUBMITTED = "submitted", pgettext_lazy("event", "提交")
    RESUBMITTED = "resubmitted", _("修改后重新提交")
    RETURNED = "returned", pgettext_lazy("event", "退回修改")
    ACCEPTED = "accepted", pgettext_lazy("event", "受理")
    INELIGIBLE = "ineligible", pgettext_lazy("event", "不予受理")
    WITHDRAWN = "withdrawn", pgettext_lazy("event", "撤回")
    CORRECTED = "corrected", _("更正")
    IMPORTED = "imported", _("导入")
    ATTACHMENT_HIDDEN = "attachment_hidden", _("附件对专家隐藏")
    ATTACHMENT_SHOWN = "attachment_shown", _("附件恢复对专家显示")


class FormalCheckAction(models.TextChoices):
    """The decisions of the formal check (形式审查) on a submitted case."""

    ACCEPT = "accept", _("受理")
    RETURN = "return", _("退回修改")
    INELIGIBLE = "ineligible", _("不予受理")


class CaseEvent(models.Model):
    """Every transition of a case: who, when and why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("事件"), max_length=30, choices=CaseEventKind.choices)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("案例记录")
        verbose_name_plural = _("案例记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d}"


def attachment_path(instance, filename):
    # Stored under a random folder: the original name is kept only as data.
    return (
        f"attachments/{instance.case.campaign_id}/{instance.case_id}/{uuid.uuid4().hex}/{filename}"
    )


class Attachment(models.Model):
    """A file of a case. Served only through a view that checks who may see the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("附件类型"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    # Set by the office when a file would reveal the organisation in a blind review: experts
    # neither see it listed nor can download it (reform_cases/access.attachments_visible_to).
    hidden_from_experts = models.BooleanField(_("不向专家显示"), default=False)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["kind", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class AttachmentDownload(models.Model):
    """Who downloaded a file of an unpublished case, when, and from which address."""

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    # common.client_address: the client behind our proxies, never a forged header entry.
    ip_address = models.GenericIPAddressField(_("网络地址"), null=True, blank=True)
    # The code stamped on an expert's watermarked copy (reviews/documents); blank when the
    # file was served as stored.
    watermark_code = models.CharField(_("水印编号"), max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = _("附件下载记录")
        verbose_name_plural = _("附件下载记录")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["watermark_code"],
                condition=~models.Q(watermark_code=""),
                name="attachment_download_unique_watermark_code",
            )
        ]

    def __str__(self):
        return f"{self.attachment_id} {self.user_id} {self.at:%Y-%m-%d %H:%M}"


class ApplicationFormDownload(models.Model):
    """An expert's watermarked copy of a case's 申报书 (reviews/documents): who, when, from
    where, whether it was the blind copy, and the code stamped on every page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="form_downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("网络地址"), null=True, blank=True)
    blind = models.BooleanField(_("匿名版"), default=False)
    watermark_code = models.CharField(_("水印编号"), max_length=16, unique=True)

    class Meta:
        verbose_name = _("申报书下载记录")
        verbose_name_plural = _("申报书下载记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.case_id} {self.user_id} {self.watermark_code}"
