"""The Celery task of repeated-submission detection (enqueued on commit by receivers.py)."""

from celery import shared_task


@shared_task(name="case_text.tasks.detect_resubmission", ignore_result=True, acks_late=True)
def detect_resubmission(case_id: int) -> None:
    """Idempotent (services.detect_resubmission): a task delivered twice compares once."""
    # Imported on first run (NumPy, datasketch): a worker knows every task by name without
    # loading what only some of them need.
    from case_text.resubmission import services

    services.detect_resubmission(case_id=case_id)
