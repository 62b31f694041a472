import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor.policy import two_factor_required
from accounts.two_factor.services import has_two_factor

TOUCH_KEY = "_admin_idle_touch"
TOUCH_EVERY = 60  # seconds; saving the session on every request would cost three queries


class AdministratorIdleTimeoutMiddleware:
    """Administrators' sessions end after 30 minutes without activity.

    The expiry is counted from the session's last save, so the session is
    refreshed at most once a minute: idle time is measured to within a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_administrator:
            now = int(time.time())
            session = request.session
            if (
                session.get_expiry_age() > settings.ADMIN_IDLE_TIMEOUT_SECONDS
                or now - session.get(TOUCH_KEY, 0) >= TOUCH_EVERY
            ):
                session.set_expiry(settings.ADMIN_IDLE_TIMEOUT_SECONDS)
                session[TOUCH_KEY] = now
        return self.get_response(request)


def start_idle_clock(sender, request, user, **kwargs):
    """At log-in, so that the first request need not save the session again."""
    if user.is_administrator and hasattr(request, "session"):
        request.session.set_expiry(settings.ADMIN_IDLE_TIMEOUT_SECONDS)
        request.session[TOUCH_KEY] = int(time.time())


class TwoFactorPolicyMiddleware:
    """Staff must verify with a code before using the site (settings.OTP_REQUIRED_FOR_STAFF).

    A signed-in staff user without an authenticator is sent to enrolment, one
    with an authenticator but an unverified session to the code step; only
    those pages, log-out and the language switch stay open (static files are
    served before this). The Django admin is covered like every other page.
    The admin's own log-in form would skip the second step, so it is replaced
    by the site's log-in page. Runs after django_otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Anonymous visitors of the admin's log-in form, and any attempt to sign in
        # there, go to the site's log-in (a signed-in user without admin access still
        # gets the admin's "not authorised" page: redirecting it would loop).
        if request.path == reverse("admin:login") and (
            request.method != "GET" or not request.user.is_authenticated
        ):
            return redirect(_with_next("accounts:login", request.GET.get("next", "")))
        user = request.user
        if user.is_authenticated and two_factor_required(user) and not user.is_verified():
            enrolled = has_two_factor(user)
            step = "accounts:login_code" if enrolled else "accounts:two_factor"
            if request.path not in _open_paths(step):
                return redirect(_with_next(step, request.get_full_path()))
        return self.get_response(request)


def _open_paths(step):
    return {reverse(step), reverse("accounts:logout"), reverse("set_language")}


def _with_next(name, next_path):
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url
