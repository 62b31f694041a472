"""After a submission is committed, compare the case with the others (a task).

reform_cases sends `case_submitted` from submit_case, for a first submission and for a returned
case submitted again after revision (whose text may have changed).
"""

import logging

from django.db import transaction

from case_text.resubmission import tasks  # imported at start-up: a worker knows the task by name

logger = logging.getLogger(__name__)

# The broker is asked once, briefly: a submission does not wait on a broker that is down.
BROKER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}


def enqueue_detection(case_id: int) -> None:
    """Hand the case to a worker (in process on the embedded default). Never raises: the
    submission is committed and reported as done; a case missed here is compared by the next
    `detect_resubmissions`."""
    try:
        tasks.detect_resubmission.apply_async((case_id,), retry=True, retry_policy=BROKER_RETRY)
    except Exception:
        logger.warning("Could not compare case %s with the others now", case_id, exc_info=True)


def _case_submitted(sender, case_id: int, **kwargs):
    transaction.on_commit(lambda: enqueue_detection(case_id))


def connect():
    from reform_cases.signals import case_submitted

    case_submitted.connect(_case_submitted, dispatch_uid="case-text-resubmission-on-submit")
