import time

from django.conf import settings

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
