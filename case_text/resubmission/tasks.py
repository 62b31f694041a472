"""The Celery task of repeated-submission detection (enqueued on commit by receivers.py)."""

from celery import shared_task

from case_text.resubmission import services


@shared_task(name="case_text.tasks.detect_resubmission", ignore_result=True, acks_late=True)
def detect_resubmission(case_id: int) -> None:
    """Idempotent (services.detect_resubmission): a task delivered twice compares once."""
    services.detect_resubmission(case_id=case_id)
