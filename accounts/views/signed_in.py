"""Log-in, password and invitation pages."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import LoginForm, NotifyingPasswordResetForm
from accounts.models import User
from accounts.services import accept_invitation
from accounts.tokens import invitation_token


def _with_submit(form, label):
    form.helper = FormHelper()
    form.helper.add_input(Submit("submit", label))
    return form


class LoginView(auth_views.LoginView):
    template_name = "signed_in/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "signed_in/form_page.html"
    success_url = reverse_lazy("accounts:password_change_done")
    extra_context = {"page_title": gettext_lazy("修改密码")}

    def get_form(self, form_class=None):
        return _with_submit(super().get_form(form_class), _("修改密码"))


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "signed_in/form_page.html"
    form_class = NotifyingPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {
        "page_title": gettext_lazy("忘记密码"),
        "intro": gettext_lazy("请输入账户的邮箱,我们会发送重置密码的链接。"),
    }

    def get_form(self, form_class=None):
        return _with_submit(super().get_form(form_class), _("发送重置链接"))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "signed_in/set_password.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_form(self, form_class=None):
        return _with_submit(super().get_form(form_class), _("设置新密码"))


def invitation(request, uidb64, token):
    """Set the first password from the one-time link of an invitation."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not user.is_active or not invitation_token.check_token(user, token):
        return render(request, "signed_in/invitation_invalid.html", status=400)
    form = _with_submit(SetPasswordForm(user, request.POST or None), _("设置密码"))
    if request.method == "POST" and form.is_valid():
        accept_invitation(user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, _("密码已设置,请用新密码登录。"))
        return redirect("accounts:login")
    return render(
        request, "signed_in/set_password.html", {"form": form, "validlink": True, "invited": user}
    )
