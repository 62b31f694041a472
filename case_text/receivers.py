"""What this app does when other apps announce something (connected in apps.py)."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

# The broker is asked once, briefly: a submission does not wait on a broker that is down.
BROKER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}


def enqueue_vectorize_case(case_id: int) -> None:
    """Hand the case to a worker (or, with no broker, compute its vector now, in process).

    Never raises: the submission has been committed and must be reported as done. A case whose
    vector could not be computed gets one at the next refit (weekly, or refit_text_model).
    """
    from case_text.tasks import vectorize_case

    try:
        vectorize_case.apply_async((case_id,), retry=True, retry_policy=BROKER_RETRY)
    except Exception:
        logger.warning("Could not compute the text vector of case %s now", case_id, exc_info=True)


def case_submitted(sender, case_id: int, **kwargs):
    transaction.on_commit(lambda: enqueue_vectorize_case(case_id))


def connect():
    from reform_cases.signals import case_submitted as submitted

    submitted.connect(case_submitted, dispatch_uid="case-text-vectorize-on-submit")

    from case_text.search import receivers as search_receivers

    search_receivers.connect()

    from case_text.resubmission import receivers as resubmission_receivers

    resubmission_receivers.connect()
