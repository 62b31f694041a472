from django.conf import settings


class AdministratorIdleTimeoutMiddleware:
    """Administrators' sessions end after a period without activity (30 minutes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_administrator:
            # Sliding expiry: each request restarts the idle clock.
            request.session.set_expiry(settings.ADMIN_IDLE_TIMEOUT_SECONDS)
        return self.get_response(request)
