"""Celery tasks of reform_cases: the daily erasure of expired personal data."""

import logging

from celery import shared_task

from reform_cases.publication.retention import erase_expired_personal_data, retention_cutoff

logger = logging.getLogger(__name__)


@shared_task(name="reform_cases.tasks.erase_expired_personal_data", ignore_result=True)
def erase_expired_personal_data_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE). Two beats firing it at once are safe: row locks, see
    reform_cases/publication/retention.py. Returns how many items were erased."""
    report = erase_expired_personal_data(cutoff=retention_cutoff())
    logger.info("personal data retention: %s", report)
    return report.total
