import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from accounts import personal_data
from accounts.models import Organisation, Role, User
from accounts.services import request_password_reset
from common.forms import ModelChoiceField, form_helper

MOBILE = re.compile(r"^1[3-9]\d{9}$")


class OrganisationChoiceField(ModelChoiceField):
    """One organisation among some 120, with a type-to-search box (static/js/forms.js)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "queryset",
            Organisation.objects.select_related("parent").order_by("parent__name", "name"),
        )
        kwargs.setdefault("widget", forms.Select(attrs={"data-searchable": "1"}))
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


# A user name (150) or an e-mail address (254).
LOGIN_NAME_MAX_LENGTH = 254


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名或邮箱")
        # Django sets the field's max_length after it is built, so nothing checks it: an
        # over-long name would reach authenticate() and the throttling table (varchar 255).
        self.fields["username"].validators.append(MaxLengthValidator(LOGIN_NAME_MAX_LENGTH))
        self.fields["password"].label = _("密码")
        self.error_messages["invalid_login"] = _("用户名(或邮箱)与密码不匹配,或账户已停用。")
        self.helper = form_helper(("submit", _("登录")))


class NotifyingPasswordResetForm(PasswordResetForm):
    """Sends the reset e-mail through the notifications outbox, in the user's language.

    The request's Host header plays no part: the link is built from SITE_URL, with
    a token minted when the e-mail is sent (accounts.services.password_reset_link),
    so neither a forged Host nor the outbox ever holds a working link.
    """

    def save(self, domain_override=None, **kwargs):
        # A fixed domain: Django would otherwise read the Host header (get_current_site).
        return super().save(domain_override=urlsplit(settings.SITE_URL).netloc, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # context["token"] and context["domain"] are ignored on purpose (see the docstring).
        request_password_reset(user=context["user"])


class AccountForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=60)
    email = forms.EmailField(label=_("邮箱"), max_length=254)
    phone = forms.CharField(label=_("手机"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    organisation = OrganisationChoiceField(
        label=_("所属单位"), required=False, help_text=_("申报单位用户必填。")
    )
    username = forms.CharField(
        label=_("用户名"), max_length=150, required=False, help_text=_("留空则使用邮箱。")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(("save", _("创建并发送邀请")))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("该邮箱已被其他账户使用。"))
        return email

    def clean_phone(self):
        phone = re.sub(r"[\s\-()()]", "", self.cleaned_data["phone"]).removeprefix("+86")
        if phone and not MOBILE.match(phone):
            raise forms.ValidationError(_("请填写有效的 11 位大陆手机号码。"))
        return phone

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.LOCALITY and not data.get("organisation"):
            self.add_error("organisation", _("申报单位用户必须绑定一个单位。"))
        username = (data.get("username") or data.get("email") or "").strip()
        if username and User.objects.filter(username=username).exists():
            self.add_error("username", _("该用户名已存在。"))
        data["username"] = username
        return data


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label=_("账户文件"),
        help_text=_(
            "CSV(UTF-8)或 XLSX,列为 name,email,phone,role,organisation,city,username;"
            "role 填 locality/申报单位、expert/评审专家 或 admin/组织方。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(("preview", _("预览")))
        self.helper.form_enctype = "multipart/form-data"


class MoveOrganisationForm(forms.Form):
    organisation = OrganisationChoiceField(label=_("新单位"))
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(("move", _("调整单位")))


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class PersonalDataQueryForm(forms.Form):
    """Whose data: an e-mail address, a phone number or a user name (accounts/personal_data.py)."""

    q = forms.CharField(
        label=_("电子邮箱、电话号码或用户名"), max_length=personal_data.QUERY_MAX_LENGTH
    )

    def clean(self):
        cleaned = super().clean()
        if "q" in cleaned:
            try:
                cleaned["person"] = personal_data.find_person(cleaned["q"])
            except ValidationError as exc:
                self.add_error("q", exc.messages)
        return cleaned
