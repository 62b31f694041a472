from celery import shared_task

from .delivery import deliver


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(pk: int) -> str:
    return deliver(pk)
