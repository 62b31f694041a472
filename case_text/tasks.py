"""Celery tasks of the text core. Both are idempotent: running one twice changes nothing more
than running it once (case_text/services.py says why)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="case_text.tasks.vectorize_case", ignore_result=True, acks_late=True)
def vectorize_case(case_id: int) -> None:
    """After a submission (enqueued on commit by receivers.py)."""
    from case_text import (
        services,
    )  # on first run: jieba, NumPy, the model (see tasks of resubmission)

    services.vectorize_case(case_id=case_id)


@shared_task(name="case_text.tasks.refit_model", ignore_result=True, acks_late=True)
def refit_model() -> int:
    """Weekly (CELERY_BEAT_SCHEDULE). Returns the new version."""
    from case_text import services

    report = services.refit_model(by=None)
    logger.info("text model refitted: %s", report)
    return report.version
