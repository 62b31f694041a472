from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.models import Role


def role_required(*roles):
    """Anonymous → log-in page; signed in without one of `roles` → 403.

    Superusers count as administrators.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = user.is_active and (
                user.role in roles or (Role.ADMINISTRATOR in roles and user.is_superuser)
            )
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


administrator_required = role_required(Role.ADMINISTRATOR)
