"""Sending one outbox row: claimed, sent outside any transaction, then recorded.

Three steps, so that no row lock (and no open transaction) is held while a mail
server is talked to (`EMAIL_TIMEOUT` bounds each connection):

1. **Claim**, in a short transaction: the row is locked with
   `select_for_update(skip_locked=True)` and, if it is pending (or its claim is
   older than `CLAIM_TIMEOUT`), set to `sending` with `claimed_at` and one more
   attempt; the transaction commits. A row another worker is claiming, or has
   claimed recently, is skipped.
2. **Send**, outside any transaction: a link holding a token is made now
   (`secret_links`), then every channel sends.
3. **Record**, in one UPDATE of its own: `sent`; or, after an error, `pending`
   with a backoff (`retry`) or `failed` — the latter only if the claim is still
   ours, since a claim taken over belongs to the worker that took it.

Delivery is therefore **at least once**: a worker that dies (or stalls past
`CLAIM_TIMEOUT`) between sending and recording leaves the row `sending`; the
periodic resend hands it to a worker again, which sends it a second time. Two
workers given the same row while nothing fails send it once.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from notifications.channels import PermanentFailure, channels
from notifications.models import DeliveryStatus, Notification
from notifications.secret_links import ExpiredLink, secret_link

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim older than this is presumed dead (a killed worker) and may be taken over.
# Far above what one send may take: EMAIL_TIMEOUT (10 s by default) per network step.
CLAIM_TIMEOUT = timedelta(minutes=10)


def backoff(attempts: int) -> int:
    """Seconds before the next try: 30 s, 60 s, 120 s, 240 s... at most an hour."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


@dataclass(frozen=True)
class Message:
    """What the channels send: the row's text, or, for a secret link, text made just now."""

    pk: int
    kind: str
    recipient: object
    language: str
    subject: str
    body: str
    link: str


def _claimable(now) -> Q:
    return Q(status=DeliveryStatus.PENDING) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )


def claim(pk: int) -> Notification | None:
    """Mark the row `sending` for this worker and commit; None if it is not ours to send."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("recipient")
            .filter(_claimable(now), pk=pk)
            .first()
        )
        if notification is None:
            return None
        if notification.status == DeliveryStatus.SENDING:
            logger.warning(
                "Notification %s: taking over a claim from %s", pk, notification.claimed_at
            )
        notification.status = DeliveryStatus.SENDING
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(update_fields=["status", "claimed_at", "attempts"])
    return notification


def compose(notification: Notification) -> Message:
    """The message to send; a secret link is minted here, and stored nowhere."""
    body, link = notification.body, notification.link
    secret = secret_link(notification.kind)
    if secret is not None:
        if timezone.now() - notification.created_at > secret.lifetime():
            raise ExpiredLink("requested longer ago than the link's lifetime; ask again")
        from notifications.services import render

        recipient = notification.recipient
        link = secret.build(recipient)
        with translation.override(notification.language):
            _subject, body = render(
                notification.kind, {"recipient": recipient, "obj": recipient, "link": link}
            )
    return Message(
        pk=notification.pk,
        kind=notification.kind,
        recipient=notification.recipient,
        language=notification.language,
        subject=notification.subject,
        body=body,
        link=link,
    )


def deliver(pk: int) -> str:
    """'sent', 'skipped' (not ours: sent, failed, or claimed by another worker), 'retry' or 'failed'.

    Must run outside any transaction (the tasks do): the send itself holds no lock.
    """
    notification = claim(pk)
    if notification is None:
        return "skipped"
    try:
        message = compose(notification)
        for channel in channels():
            channel.send(message)
    except Exception as exc:  # recorded on the row; what to do next depends on the attempts
        return _record_failure(notification, exc)
    # The mail has gone: the row says so, whatever became of the claim meanwhile.
    Notification.objects.filter(pk=pk).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        claimed_at=None,
        next_attempt_at=None,
        last_error="",
    )
    return "sent"


def _record_failure(notification: Notification, exc: Exception) -> str:
    permanent = isinstance(exc, PermanentFailure | ExpiredLink | smtplib.SMTPRecipientsRefused)
    fields = {"last_error": f"{type(exc).__name__}: {exc}"[:2000], "claimed_at": None}
    if permanent or notification.attempts >= MAX_ATTEMPTS:
        fields |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        outcome = "failed"
    else:
        fields |= {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": timezone.now() + timedelta(seconds=backoff(notification.attempts)),
        }
        outcome = "retry"
    ours = Notification.objects.filter(
        pk=notification.pk, status=DeliveryStatus.SENDING, claimed_at=notification.claimed_at
    ).update(**fields)
    if not ours:  # the claim was taken over after CLAIM_TIMEOUT: its new owner decides
        logger.warning("Notification %s failed after its claim was taken over", notification.pk)
        return "skipped"
    return outcome


def due_for_resend(now=None, grace=timedelta(minutes=5)):
    """Rows that no queued task is about to deliver.

    Pending rows (the broker was down, a worker died before claiming) older than
    `grace` and not waiting for a retry, and rows claimed longer ago than
    CLAIM_TIMEOUT (a worker died while sending: they may be sent twice).
    """
    now = now or timezone.now()
    before = now - grace
    waiting = Q(status=DeliveryStatus.PENDING, created_at__lt=before) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=before)
    )
    stalled = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return Notification.objects.filter(waiting | stalled)


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
