from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PROVINCE = "province", _("省")
    DEPARTMENT = "department", _("省直部门")
    CITY = "city", _("设区市")
    COUNTY = "county", _("县(市、区)")
    OTHER = "other", _("其他单位")


class OrganisationManager(models.Manager):
    def get_by_natural_key(self, name, *parent_key):
        if parent_key:
            return self.get(name=name, parent=self.get_by_natural_key(*parent_key))
        return self.get(name=name, parent__isnull=True)


class Organisation(models.Model):
    """A submitting or co-implementing unit, identified by its name within its parent."""

    name = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = OrganisationManager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        constraints = [
            # NULL parents are distinct in SQL, so top-level names need their own index.
            models.UniqueConstraint(
                fields=["name", "parent"],
                condition=Q(parent__isnull=False),
                name="organisation_unique_name_in_parent",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="organisation_unique_top_level_name",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        if self.parent_id:
            return (self.name, *self.parent.natural_key())
        return (self.name,)

    natural_key.dependencies = []

    def clean(self):
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("上级单位不能是自身。")})

    @property
    def city(self):
        """The prefecture-level city this unit belongs to, if any."""
        node = self
        while node is not None:
            if node.kind == OrganisationKind.CITY:
                return node
            node = node.parent
        return None


class Role(models.TextChoices):
    LOCALITY = "locality", _("申报单位")
    EXPERT = "expert", _("评审专家")
    ADMINISTRATOR = "admin", _("组织方")


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    language = models.CharField(
        _("通知语言"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    invited_at = models.DateTimeField(_("邀请时间"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.LOCALITY) | Q(organisation__isnull=False),
                name="locality_user_has_organisation",
                violation_error_message=_("申报单位用户必须绑定一个单位。"),
            ),
            # Email is how people log in and get invitations: one account per address.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_unique_email",
                violation_error_message=_("该邮箱已被其他账户使用。"),
            ),
        ]

    def __str__(self):
        return self.display_name or self.get_username()

    def clean(self):
        super().clean()
        if self.role == Role.LOCALITY and not self.organisation_id:
            raise ValidationError({"organisation": _("申报单位用户必须绑定一个单位。")})

    def save(self, *args, **kwargs):
        # Administrators work in the Django admin too, so they are staff.
        if self.role == Role.ADMINISTRATOR:
            self.is_staff = True
        super().save(*args, **kwargs)

    def has_perm(self, perm, obj=None):
        # The organising office uses the Django admin; which fields it may change
        # there is decided by the admin classes (status, tier, outcome are read-only).
        if self.is_active and self.role == Role.ADMINISTRATOR:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.is_active and self.role == Role.ADMINISTRATOR:
            return True
        return super().has_module_perms(app_label)

    @property
    def is_locality(self):
        return self.role == Role.LOCALITY

    @property
    def is_expert(self):
        return self.role == Role.EXPERT

    @property
    def is_administrator(self):
        return self.is_active and (self.role == Role.ADMINISTRATOR or self.is_superuser)


class AccountEventKind(models.TextChoices):
    CREATED = "created", _("创建账户")
    INVITED = "invited", _("发送邀请")
    PASSWORD_SET = "password_set", _("设置密码")
    DEACTIVATED = "deactivated", _("停用")
    REACTIVATED = "reactivated", _("恢复")
    ORGANISATION_CHANGED = "organisation_changed", _("调整单位")
    EXPERT_PROFILE_CHANGED = "expert_profile_changed", _("修改专家信息")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("启用两步验证")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("停用两步验证")
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", _("重新生成恢复码")
    RECOVERY_CODE_USED = "recovery_code_used", _("使用恢复码登录")


class AccountEvent(models.Model):
    """What happened to an account, by whom and when; kept when the account is deactivated."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="account_events")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=30, choices=AccountEventKind.choices)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("账户记录")
        verbose_name_plural = _("账户记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.kind}"
