from celery import shared_task

from reviews.panels.expert_vectors import refresh_expert_vectors as refresh
from reviews.scoring.reminders import send_review_reminders as send


@shared_task(ignore_result=True)
def send_review_reminders() -> int:
    return send()


@shared_task(ignore_result=True)
def refresh_expert_vectors(user_ids=None) -> int:
    """Experts' profile vectors (reviews/panels/expert_vectors.py); None: every expert."""
    return refresh(user_ids)
