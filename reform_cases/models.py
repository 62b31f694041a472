import re
import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


def normalise_title(title: str) -> str:
    """The identity of a case title: width-folded, no spaces, no quotation marks.

    The same case is written “车辆检测‘一件事’” in one source and 车辆检测"一件事" in another.
    """
    text = unicodedata.normalize("NFKC", title or "")
    return re.sub(r"[\s\"'“”‘’「」『』《》〈〉]+", "", text)


class FieldManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Field(models.Model):
    """A field of reform (领域), e.g. 营商环境."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    objects = FieldManager()

    class Meta:
        verbose_name = _("领域")
        verbose_name_plural = _("领域")
        ordering = ["order", "name"]

    def __str__(self):
        return self.localised_name

    def natural_key(self):
        return (self.name,)

    @property
    def localised_name(self):
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("征集中")
    CHECKING = "checking", _("形式审查")
    REVIEWING = "reviewing", _("专家评审")
    RANKING = "ranking", _("排名")
    LOCKED = "locked", _("结果锁定")
    NOTICE = "notice", _("公示中")
    PUBLISHED = "published", _("已发布")


PUBLIC_CAMPAIGN_STATUSES = (CampaignStatus.NOTICE, CampaignStatus.PUBLISHED)


class AttachmentKind(models.TextChoices):
    APPLICATION_FORM = "application_form", _("申报书")
    RECOMMENDATION_LETTER = "recommendation_letter", _("推荐函(加盖公章)")
    SUPPORTING = "supporting", _("佐证材料")


class CampaignQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=PUBLIC_CAMPAIGN_STATUSES, is_demo=False)


class CampaignManager(models.Manager.from_queryset(CampaignQuerySet)):
    def get_by_natural_key(self, year, is_demo=False):
        return self.get(year=year, is_demo=is_demo)


class Campaign(models.Model):
    """One year's award, e.g. 2020年度浙江省改革创新实践案例."""

    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    is_demo = models.BooleanField(_("演示"), default=False, help_text=_("演示活动从不公开。"))
    submission_opens_at = models.DateTimeField(_("申报开始"), null=True, blank=True)
    submission_closes_at = models.DateTimeField(_("申报截止"), null=True, blank=True)
    announced_on = models.DateField(_("揭晓日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("公示截止"), null=True, blank=True)
    description = models.TextField(_("简介"), blank=True)
    description_en = models.TextField(_("英文简介"), blank=True)
    sources = models.TextField(
        _("资料来源"), blank=True, help_text=_("结果所依据的公开来源,每行一条,如“S1:……”。")
    )
    call_for_entries = models.TextField(
        _("申报通知"),
        blank=True,
        help_text=_("支持 Markdown 和安全的 HTML 子集;脚本等不安全内容会被去除。"),
    )
    max_cases_per_organisation = models.PositiveSmallIntegerField(
        _("每单位申报上限"), null=True, blank=True, help_text=_("留空表示不限。")
    )
    required_attachment_kinds = models.JSONField(_("必交附件"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignManager()

    class Meta:
        verbose_name = _("评选活动")
        verbose_name_plural = _("评选活动")
        ordering = ["-year"]
        constraints = [
            # Demo campaigns may share a year with a real one; real years are unique.
            models.UniqueConstraint(
                fields=["year"], condition=Q(is_demo=False), name="campaign_unique_real_year"
            ),
        ]

    def __str__(self):
        return self.localised_title

    def get_absolute_url(self):
        return reverse("results:year", kwargs={"year": self.year})

    def natural_key(self):
        return (self.year, self.is_demo)

    @property
    def localised_title(self):
        if get_language() == "en" and self.title_en:
            return self.title_en
        return self.title

    @property
    def localised_description(self):
        if get_language() == "en" and self.description_en:
            return self.description_en
        return self.description

    @property
    def is_public(self):
        return self.status in PUBLIC_CAMPAIGN_STATUSES and not self.is_demo


class TierManager(models.Manager):
    def get_by_natural_key(self, code, *campaign_key):
        return self.get(code=code, campaign=Campaign.objects.get_by_natural_key(*campaign_key))


class Tier(models.Model):
    """An award tier of one campaign, e.g. 最佳实践案例 with a quota of 10."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("评选活动"), on_delete=models.CASCADE, related_name="tiers"
    )
    code = models.SlugField(_("代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"))
    quota = models.PositiveSmallIntegerField(_("名额"))

    objects = TierManager()

    class Meta:
        verbose_name = _("奖项等次")
        verbose_name_plural = _("奖项等次")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="tier_unique_code"),
            models.UniqueConstraint(fields=["campaign", "name"], name="tier_unique_name"),
            models.UniqueConstraint(fields=["campaign", "order"], name="tier_unique_order"),
        ]

    def __str__(self):
        return self.localised_name

    def natural_key(self):
        return (self.code, *self.campaign.natural_key())

    natural_key.dependencies = ["reform_cases.campaign"]

    @property
    def localised_name(self):
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


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


PUBLIC_OUTCOMES = (CaseOutcome.AWARDED, CaseOutcome.SELECTED)


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
        limit_choices_to={"kind__in": ["province", "city"]},
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

    objects = CaseManager()

    class Meta:
        verbose_name = _("案例")
        verbose_name_plural = _("案例")
        ordering = ["campaign", "rank", "title"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "title_key"], name="case_unique_title"),
            # An award has a tier; nothing else has one.
            models.CheckConstraint(
                condition=(Q(outcome="awarded") & Q(tier__isnull=False))
                | (~Q(outcome="awarded") & Q(tier__isnull=True)),
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


class CaseEventKind(models.TextChoices):
    CREATED = "created", _("创建草稿")
    SUBMITTED = "submitted", _("提交")
    RESUBMITTED = "resubmitted", _("修改后重新提交")
    RETURNED = "returned", _("退回修改")
    ACCEPTED = "accepted", _("受理")
    INELIGIBLE = "ineligible", _("不予受理")
    WITHDRAWN = "withdrawn", _("撤回")
    CORRECTED = "corrected", _("更正")
    IMPORTED = "imported", _("导入")


class CaseEvent(models.Model):
    """Every transition of a case: who, when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="corrections")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    field_name = models.CharField(_("更正项"), max_length=40)
    old_value = models.TextField(_("原内容"), blank=True)
    new_value = models.TextField(_("新内容"), blank=True)
    reason = models.TextField(_("理由"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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


def campaign_file_path(instance, filename):
    return f"campaigns/{instance.campaign_id}/{filename}"


class CampaignFile(models.Model):
    """A downloadable template of the call for entries (e.g. the application form)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(_("名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to=campaign_file_path, max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("模板文件")
        verbose_name_plural = _("模板文件")
        ordering = ["title", "pk"]

    def __str__(self):
        return self.title


class CampaignStatusChange(models.Model):
    """Every status change of a campaign: who, when, from, to and why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.campaign_id}: {self.from_status} → {self.to_status}"


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

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["kind", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class AttachmentDownload(models.Model):
    """Who downloaded a file of an unpublished case, and when."""

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件下载记录")
        verbose_name_plural = _("附件下载记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.attachment_id} {self.user_id} {self.at:%Y-%m-%d %H:%M}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    UPHELD = "upheld", _("成立")
    DISMISSED = "dismissed", _("不成立")


def objection_file_path(instance, filename):
    return f"objections/{instance.campaign_id}/{uuid.uuid4().hex}/{filename}"


class Objection(models.Model):
    """An objection raised by anyone during the public notice (公示), answered in writing."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="objections")
    case = models.ForeignKey(
        Case,
        verbose_name=_("涉及案例"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ip_address", "created_at"])]

    def __str__(self):
        return f"{self.campaign.year} · {self.name}"
