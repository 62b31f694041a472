"""Delivery channels behind one small interface (email now; SMS could be added)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import DeliveryStatus, Notification


def send_email(notification: Notification) -> None:
    address = notification.recipient.email
    if not address:
        raise ValueError("recipient has no email address")
    body = notification.body
    if notification.link:
        body = f"{body}\n\n{notification.link}"
    EmailMessage(
        subject=notification.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    ).send()


def deliver(pk: int) -> str:
    """Send one pending notification once; a sent row is never sent again."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=pk)
            .first()
        )
        if notification is None or notification.status != DeliveryStatus.PENDING:
            return "skipped"
        notification.attempts += 1
        try:
            send_email(notification)
        except Exception as exc:  # recorded on the row; the resend task retries pending rows
            notification.last_error = str(exc)[:2000]
            if notification.attempts >= 5:
                notification.status = DeliveryStatus.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            return "error"
        notification.status = DeliveryStatus.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return "sent"
