"""Celery tasks: they only deliver or enqueue.

Delivery is at least once (see notifications/delivery.py): `acks_late` and the
periodic resend bring back a row whose worker died, even one that died after the
mail left and before the row said so.
"""

from celery import shared_task

from notifications.delivery import backoff, deliver, due_for_resend
from notifications.models import Notification


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver_notification(self, pk: int) -> str:
    outcome = deliver(pk)
    if outcome == "retry" and self.request.is_eager:
        # In process (embedded default, tests) there is no later: try again now, up to the limit.
        while outcome == "retry":
            outcome = deliver(pk)
        return outcome
    if outcome == "retry":
        attempts = (
            Notification.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 1
        )
        raise self.retry(countdown=backoff(attempts))
    return outcome


@shared_task(ignore_result=True)
def resend_pending() -> int:
    """Periodic: hand pending rows (and stalled claims) to the workers again.

    A broker outage only delays mail; a row whose worker died while sending is
    sent again once its claim is older than delivery.CLAIM_TIMEOUT.
    """
    from notifications.services import enqueue

    ids = list(due_for_resend().values_list("pk", flat=True)[:5000])
    enqueue(ids)
    return len(ids)
