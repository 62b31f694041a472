"""Delivery channels behind one small interface.

A channel has `name` and `send(message)`, raising on failure; `message` is a
`delivery.Message` (recipient, language, subject, body, link: a secret link is
already minted into it). `send` is called outside any transaction, after the row
was claimed, so a slow server holds no lock; it must not wait forever (the SMTP
backend gives up after settings.EMAIL_TIMEOUT). Email is the only channel now; an
SMS or government-messaging channel is a class listed in
settings.NOTIFICATION_CHANNELS, without touching any caller.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, linebreaks
from django.utils.module_loading import import_string


class EmailChannel:
    name = "email"

    def send(self, message) -> None:
        address = message.recipient.email
        if not address:
            raise PermanentFailure("recipient has no email address")
        text = message.body + (f"\n\n{message.link}" if message.link else "")
        html = linebreaks(escape(message.body))
        if message.link:
            html += f'<p><a href="{escape(message.link)}">{escape(message.link)}</a></p>'
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        email.attach_alternative(
            f'<html lang="{escape(message.language)}"><body>{html}</body></html>', "text/html"
        )
        email.send()


class PermanentFailure(Exception):
    """Retrying cannot help (no address, refused recipient)."""


def channels():
    return [import_string(path)() for path in getattr(settings, "NOTIFICATION_CHANNELS", [])] or [
        EmailChannel()
    ]
