"""Sending one outbox row: at most once, retried with backoff, then marked failed."""

import smtplib
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.channels import PermanentFailure, channels
from notifications.models import DeliveryStatus, Notification

MAX_ATTEMPTS = 5


def backoff(attempts: int) -> int:
    """Seconds before the next try: 30 s, 60 s, 120 s, 240 s... at most an hour."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


def deliver(pk: int) -> str:
    """'sent', 'skipped' (not pending: already sent or failed), 'retry' or 'failed'.

    The row is locked while it is sent, so two workers given the same row send it once.
    """
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
            for channel in channels():
                channel.send(notification)
        except Exception as exc:  # recorded on the row; what to do next depends on the attempts
            permanent = isinstance(exc, PermanentFailure | smtplib.SMTPRecipientsRefused)
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if permanent or notification.attempts >= MAX_ATTEMPTS:
                notification.status = DeliveryStatus.FAILED
                notification.next_attempt_at = None
                outcome = "failed"
            else:
                notification.next_attempt_at = timezone.now() + timedelta(
                    seconds=backoff(notification.attempts)
                )
                outcome = "retry"
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return outcome
        notification.status = DeliveryStatus.SENT
        notification.sent_at = timezone.now()
        notification.next_attempt_at = None
        notification.last_error = ""
        notification.save(
            update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"]
        )
        return "sent"


def due_for_resend(now=None, grace=timedelta(minutes=5)):
    """Pending rows that no queued task is about to deliver (the broker was down, a worker died)."""
    now = now or timezone.now()
    before = now - grace
    return Notification.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=before).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=before)
    )


@transaction.atomic
def reset_failed(ids=None) -> list[int]:
    """Put failed rows back in the queue (the outbox page's resend)."""
    qs = Notification.objects.select_for_update(of=("self",)).filter(status=DeliveryStatus.FAILED)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    picked = list(qs.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=picked).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None
    )
    return picked
