"""The forms of two-factor log-in. They only carry what was typed; codes are checked by services."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.forms import form_helper


def code_field(*, recovery_allowed: bool, autofocus: bool = True) -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "spellcheck": "false"}
    if autofocus:
        attrs["autofocus"] = True
    if recovery_allowed:
        help_text = _("验证器应用中当前显示的 6 位数字;手机不在身边时,可输入一个恢复码。")
    else:
        attrs["inputmode"] = "numeric"
        help_text = _("验证器应用中当前显示的 6 位数字。")
    return forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


class CodeForm(forms.Form):
    """The second step of log-in; also confirms regenerating recovery codes."""

    def __init__(self, *args, submit=None, action=None, autofocus=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"] = code_field(recovery_allowed=True, autofocus=autofocus)
        self.helper = form_helper(("verify", submit or _("验证")))
        if action:
            self.helper.form_action = reverse(action)


class EnrolForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"] = code_field(recovery_allowed=False)
        self.helper = form_helper(("enrol", _("确认启用")))


class DisableForm(forms.Form):
    password = forms.CharField(
        label=_("登录密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_disable_%s")  # shares a page with the CodeForm
        super().__init__(*args, **kwargs)
        self.fields["code"] = code_field(recovery_allowed=True, autofocus=False)
        self.helper = form_helper(("disable", _("停用两步验证")))
        self.helper.form_action = reverse("accounts:two_factor_disable")
