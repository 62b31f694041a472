"""The account links that hold a token, made by notifications when the e-mail is sent.

Registered at start-up (accounts/apps.py), so notifications imports nothing of
accounts and its rows never hold a working token (notifications/secret_links.py).
"""

from datetime import timedelta

from django.conf import settings

from accounts.tokens import INVITATION_LIFETIME
from notifications import secret_links
from notifications.models import NotificationKind


def register() -> None:
    from accounts.services import invitation_link, password_reset_link

    secret_links.register(
        NotificationKind.ACCOUNT_INVITATION,
        build=invitation_link,
        lifetime=lambda: INVITATION_LIFETIME,
    )
    secret_links.register(
        NotificationKind.PASSWORD_RESET,
        build=password_reset_link,
        lifetime=lambda: timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
