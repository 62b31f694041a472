"""Log-in (with its two-factor step), password, invitation and two-factor pages."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts.forms import LoginForm, NotifyingPasswordResetForm
from accounts.models import Role, User
from accounts.services import accept_invitation
from accounts.tokens import invitation_token
from accounts.two_factor import pending
from accounts.two_factor.forms import CodeForm, DisableForm, EnrolForm
from accounts.two_factor.policy import two_factor_required
from accounts.two_factor.services import (
    RECOVERY_CODE_COUNT,
    check_code,
    confirm_enrolment,
    disable_two_factor,
    has_two_factor,
    is_valid_secret,
    new_secret,
    otpauth_url,
    qr_code_svg,
    regenerate_recovery_codes,
    remaining_recovery_codes,
    secret_for_manual_entry,
)
from common.exceptions import InvalidTransition

ENROL_KEY = "two_factor_enrol_key"  # the secret being enrolled, kept server-side until confirmed

# Where each role lands after log-in when no ?next= says otherwise.
LANDING_PAGES = {
    Role.ADMINISTRATOR: "manage:dashboard",
    Role.EXPERT: "reviews:workspace",
    Role.LOCALITY: "cases:mine",
}


def landing_url(user) -> str:
    """The page `user` starts from after log-in: their role's own pages, else the home page."""
    if getattr(user, "is_administrator", False):
        return reverse(LANDING_PAGES[Role.ADMINISTRATOR])
    name = LANDING_PAGES.get(getattr(user, "role", ""))
    return reverse(name) if name else resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_submit(form, label):
    form.helper = FormHelper()
    form.helper.add_input(Submit("submit", label))
    return form


class LoginView(auth_views.LoginView):
    """The password; for a user with two-factor log-in, the code is asked next (login_code)."""

    template_name = "signed_in/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    _landing_user = None  # the user whose password was just accepted, before log-in

    def get_default_redirect_url(self):
        """Without ?next=: the role's own pages (/manage/, /review/, /cases/mine/)."""
        return landing_url(self._landing_user or self.request.user)

    def form_valid(self, form):
        user = form.get_user()
        self._landing_user = user
        if not has_two_factor(user):
            return super().form_valid(form)
        # Not signed in yet: the user waits in the session for the code.
        self.request.session.cycle_key()
        pending.start(self.request, user, next_url=self.get_success_url())
        return redirect("accounts:login_code")


def _next_url(request, fallback=None) -> str:
    """The ?next= address if it is on this site, else `fallback` or the home page."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback or resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@sensitive_post_parameters("code")
def login_code(request):
    """The second step of log-in: a code from the authenticator app, or a recovery code.

    Serves the user waiting after the password, and a signed-in session that
    still needs a code (the policy requires it, or the user enrolled in
    another session). After pending.MAX_WRONG_CODES wrong codes the attempt ends.
    """
    signed_in = request.user.is_authenticated
    if signed_in:
        user = request.user
        next_url = _next_url(request, fallback=landing_url(user))
        if user.is_verified() or not has_two_factor(user):
            return redirect(next_url)
    else:
        user, data = pending.pending(request)
        if user is None:
            if request.method == "POST":
                messages.error(request, _("登录已超时,请重新输入用户名和密码。"))
            return redirect("accounts:login")
        next_url = data["next"]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = check_code(user=user, code=form.cleaned_data["code"])
        if check.accepted:
            pending.clear(request)
            if not signed_in:
                auth_login(request, user, backend=data["backend"])
            otp_login(request, check.device)
            if check.used_recovery_code:
                messages.warning(request, _recovery_code_warning(user))
            return redirect(next_url)
        if pending.count_wrong_code(request) == 0:
            pending.clear(request)
            if signed_in:
                auth_logout(request)
            messages.error(
                request, _("验证码错误次数过多,本次登录已结束。请重新输入用户名和密码。")
            )
            return redirect("accounts:login")
        form.add_error("code", check.message)
    return render(request, "signed_in/login_code.html", {"form": form, "signed_in": signed_in})


def _recovery_code_warning(user) -> str:
    left = remaining_recovery_codes(user)
    return _(
        "您使用了一个恢复码,还剩 %(left)d 个。如果手机已丢失,请在“两步验证”页面停用后重新绑定,并生成新的恢复码。"
    ) % {"left": left}


def _status_page(request, *, regenerate_form=None, disable_form=None):
    user = request.user
    context = {
        "page_title": _("两步验证"),
        "remaining": remaining_recovery_codes(user),
        "required": two_factor_required(user),
        "regenerate_form": regenerate_form
        or CodeForm(
            submit=_("生成新的恢复码"),
            action="accounts:two_factor_recovery_codes",
            autofocus=False,
        ),
        "disable_form": disable_form or DisableForm(),
    }
    return render(request, "signed_in/two_factor.html", context)


def _recovery_codes_page(request, codes, *, enrolled):
    context = {
        "page_title": _("恢复码"),
        "codes": codes,
        "enrolled": enrolled,
        "next_url": _next_url(request, fallback=reverse("accounts:two_factor")),
        "count": RECOVERY_CODE_COUNT,
    }
    return render(request, "signed_in/two_factor_recovery_codes.html", context)


@never_cache
@login_required
def two_factor(request):
    """Enrol (QR code, secret, a code to confirm), or, once enrolled, the status page."""
    user = request.user
    if has_two_factor(user):
        return _status_page(request)
    key = request.session.get(ENROL_KEY)
    if not is_valid_secret(key):
        key = request.session[ENROL_KEY] = new_secret()
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = confirm_enrolment(
                user=user, key=key, code=form.cleaned_data["code"], by=user
            )
        except InvalidTransition as e:
            messages.error(request, e.message)
            return redirect("accounts:two_factor")
        except ValidationError as e:
            form.add_error(None, e)
        else:
            request.session.pop(ENROL_KEY, None)
            otp_login(request, device)  # this session has just shown a valid code
            return _recovery_codes_page(request, codes, enrolled=True)
    context = {
        "page_title": _("启用两步验证"),
        "form": form,
        "qr_svg": qr_code_svg(otpauth_url(user, key)),
        "secret": secret_for_manual_entry(key),
        "required": two_factor_required(user),
    }
    return render(request, "signed_in/two_factor_enrol.html", context)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("code")
def two_factor_recovery_codes(request):
    """New recovery codes, confirmed with a code; shown once."""
    if not has_two_factor(request.user):
        return redirect("accounts:two_factor")
    form = CodeForm(
        request.POST,
        submit=_("生成新的恢复码"),
        action="accounts:two_factor_recovery_codes",
        autofocus=False,
    )
    if form.is_valid():
        try:
            codes = regenerate_recovery_codes(
                user=request.user, code=form.cleaned_data["code"], by=request.user
            )
        except InvalidTransition as e:
            messages.error(request, e.message)
            return redirect("accounts:two_factor")
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return _recovery_codes_page(request, codes, enrolled=False)
    return _status_page(request, regenerate_form=form)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("password", "code")
def two_factor_disable(request):
    """Turn two-factor log-in off, with the password and a code."""
    if not has_two_factor(request.user):
        return redirect("accounts:two_factor")
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            disable_two_factor(
                user=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                by=request.user,
            )
        except InvalidTransition as e:
            messages.error(request, e.message)
            return redirect("accounts:two_factor")
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("两步验证已停用。"))
            return redirect("accounts:two_factor")
    return _status_page(request, disable_form=form)


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
