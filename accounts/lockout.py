from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.forms import LoginForm
from accounts.models import User


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """django-axes lockout page: the log-in form again, saying when to try again."""
    minutes = int(timedelta(hours=settings.AXES_COOLOFF_TIME).total_seconds() // 60)
    form = LoginForm(request, data=request.POST or None)
    form.errors.clear()
    form.add_error(
        None,
        _(
            "登录失败次数过多,该账户在此网络上已被暂时锁定。请在 %(minutes)d 分钟后再试,或使用“忘记密码”重置。"
        )
        % {"minutes": minutes},
    )
    return render(request, "signed_in/login.html", {"form": form, "locked": True}, status=429)


def lockout_username(request, credentials):
    """The account a log-in attempt is for, however it was spelled (username or email, any case).

    django-axes counts failures per this value, so "zhao" and "ZHAO@example.org"
    share one counter.
    """
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    typed = typed.strip()
    if "@" in typed:
        user = User.objects.filter(email__iexact=typed).only("username").first()
        return user.username if user else typed.lower()
    return typed
