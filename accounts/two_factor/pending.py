"""The half-finished log-in: password accepted, code not yet given.

The user is kept in the server-side session (never in a form field), with the
backend that accepted the password, where to go afterwards and how many wrong
codes were typed. After MAX_WRONG_CODES wrong codes, or PENDING_SECONDS, the
attempt ends and the password must be given again. A signed-in session that
still needs a code (enrolled elsewhere, or staff when the policy is turned on)
counts its wrong codes under the same key.
"""

import time

from django.conf import settings

from accounts.models import User

PENDING_KEY = "two_factor_pending"
WRONG_CODES_KEY = "two_factor_wrong_codes"
MAX_WRONG_CODES = 5
PENDING_SECONDS = 10 * 60


def start(request, user: User, *, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,  # set by authenticate()
        "next": next_url,
        "since": int(time.time()),
    }
    request.session[WRONG_CODES_KEY] = 0


def pending(request) -> tuple[User | None, dict]:
    """The user waiting for a code, and the attempt's data; (None, {}) if none or expired."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None, {}
    expired = int(time.time()) - int(data.get("since", 0)) > PENDING_SECONDS
    if expired or data.get("backend") not in settings.AUTHENTICATION_BACKENDS:
        clear(request)
        return None, {}
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        clear(request)
        return None, {}
    return user, data


def count_wrong_code(request) -> int:
    """One more wrong code; returns how many are left (0: the attempt is over)."""
    wrong = int(request.session.get(WRONG_CODES_KEY, 0)) + 1
    request.session[WRONG_CODES_KEY] = wrong
    return max(MAX_WRONG_CODES - wrong, 0)


def clear(request) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(WRONG_CODES_KEY, None)
