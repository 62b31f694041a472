from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from reform_cases.models import Campaign, Field

# Enough for dozens of phrases; the form and the expert import refuse longer text.
MAX_KEYWORDS_LENGTH = 1000


class ExpertProfile(models.Model):
    """A reviewer: affiliation, inside or outside the province, expertise, capacity."""

    # Cases per round when nothing else is said: a new profile's maximum, and the capacity of an
    # expert without a profile (reviews/assignment/services.expert_capacity).
    DEFAULT_MAX_CASES = 30

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    affiliation = models.ForeignKey(
        Organisation,
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experts",
        help_text=_("省内单位;用于回避判断。"),
    )
    institution = models.CharField(
        _("所在机构"), max_length=200, blank=True, help_text=_("省外或非政府机构的名称。")
    )
    inside_province = models.BooleanField(_("省内专家"), default=True)
    fields = models.ManyToManyField(Field, verbose_name=_("擅长领域"), blank=True)
    # Free text, segmented like a case (case_text): the automatic assignment compares it, with
    # the cases the expert reviewed before, to each case's text (reviews/assignment/matching.py).
    expertise_keywords = models.TextField(
        _("专长关键词"),
        blank=True,
        max_length=MAX_KEYWORDS_LENGTH,
        help_text=_("擅长的方向,用顿号或逗号分隔,例如:数字化改革、营商环境、基层治理。"),
    )
    max_cases_per_round = models.PositiveSmallIntegerField(
        _("每轮评审上限"), default=DEFAULT_MAX_CASES
    )

    class Meta:
        verbose_name = _("专家")
        verbose_name_plural = _("专家")

    def __str__(self):
        return str(self.user)

    @property
    def affiliation_label(self):
        return self.affiliation.name if self.affiliation_id else self.institution


class Panel(models.Model):
    """A review group (评审组) of a campaign, usually by field."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="panels")
    name = models.CharField(_("名称"), max_length=100)
    fields = models.ManyToManyField(Field, verbose_name=_("负责领域"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True, related_name="panels"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="panel_unique_name")
        ]

    def __str__(self):
        return self.name
