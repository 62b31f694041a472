"""Delivery channels behind one small interface.

A channel has `name` and `send(notification)`, raising on failure. Email is
the only one now; an SMS or government-messaging channel is a class listed in
settings.NOTIFICATION_CHANNELS, without touching any caller.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, linebreaks
from django.utils.module_loading import import_string


class EmailChannel:
    name = "email"

    def send(self, notification) -> None:
        address = notification.recipient.email
        if not address:
            raise PermanentFailure("recipient has no email address")
        text = notification.body + (f"\n\n{notification.link}" if notification.link else "")
        html = linebreaks(escape(notification.body))
        if notification.link:
            html += f'<p><a href="{escape(notification.link)}">{escape(notification.link)}</a></p>'
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        message.attach_alternative(
            f'<html lang="{escape(notification.language)}"><body>{html}</body></html>', "text/html"
        )
        message.send()


class PermanentFailure(Exception):
    """Retrying cannot help (no address, refused recipient)."""


def channels():
    return [import_string(path)() for path in getattr(settings, "NOTIFICATION_CHANNELS", [])] or [
        EmailChannel()
    ]
