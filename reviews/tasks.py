from celery import shared_task

from reviews.scoring.reminders import send_review_reminders as send


@shared_task(ignore_result=True)
def send_review_reminders() -> int:
    return send()
