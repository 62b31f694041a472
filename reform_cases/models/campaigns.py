from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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
    # Printed on the award certificates (获奖证书) under the place for the seal. It decides no
    # tier and is not in the results manifest, so the office may correct it in any status
    # (campaigns/services.set_organiser_name).
    organiser_name = models.CharField(
        _("主办单位"),
        max_length=120,
        blank=True,
        help_text=_("印在获奖证书落款处,如“浙江省改革办”。"),
    )
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

    def submission_window_is_open(self, now=None) -> bool:
        """Open for entries and between the submission opening and closing times (inclusive)."""
        now = now or timezone.now()
        return (
            self.status == CampaignStatus.OPEN
            and self.submission_opens_at is not None
            and self.submission_closes_at is not None
            and self.submission_opens_at <= now <= self.submission_closes_at
        )


def _protecting_relations(model):
    """The reverse relations whose rows forbid deleting a row of `model` (on_delete=PROTECT).

    Read from the model registry so that this app names no app that depends on it.
    """
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created
        and not rel.concrete
        and getattr(rel, "on_delete", None) is models.PROTECT
    ]


def _referencing_rows(rel, target):
    return rel.related_model._base_manager.filter(**{rel.field.name: target})


class TierQuerySet(models.QuerySet):
    def referenced(self):
        """Tiers that something points at and so cannot be deleted (see `Tier.is_referenced`)."""
        condition = Q(pk__in=[])
        for rel in _protecting_relations(self.model):
            condition |= Q(models.Exists(_referencing_rows(rel, models.OuterRef("pk"))))
        return self.filter(condition)


class TierManager(models.Manager.from_queryset(TierQuerySet)):
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

    @property
    def is_referenced(self) -> bool:
        """Used by a case, by a ranking entry (proposed or final tier) or by a tier override
        (old or new tier): the rows that protect the tier from deletion."""
        if self.pk is None:
            return False
        return any(_referencing_rows(rel, self).exists() for rel in _protecting_relations(Tier))


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


class CampaignEventKind(models.TextChoices):
    CREATED = "created", _("创建评选活动")
    SETTINGS_CHANGED = "settings_changed", _("修改评选设置")
    TIERS_CHANGED = "tiers_changed", _("修改奖项等次")
    FILE_ADDED = "file_added", _("上传模板文件")
    FILE_REMOVED = "file_removed", _("删除模板文件")
    RUBRIC_CHANGED = "rubric_changed", _("修改评分指标")
    PANEL_SAVED = "panel_saved", _("保存评审组")
    NOTICE_EXTENDED = "notice_extended", _("延长公示期")
    NOTICE_SHORTENED = "notice_shortened", _("缩短公示期")
    ORGANISER_CHANGED = "organiser_changed", _("修改主办单位")


class CampaignEvent(models.Model):
    """A change of a campaign's settings by the office (what its status changes do not say):
    who, when, what, before → after."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=30, choices=CampaignEventKind.choices)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评选活动记录")
        verbose_name_plural = _("评选活动记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.campaign_id} {self.kind}"


class CampaignStatusChange(models.Model):
    """Every status change of a campaign: who, when, from, to and why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.campaign_id}: {self.from_status} → {self.to_status}"
