"""When a case's words may have changed, index it again after the commit (a task).

reform_cases does not import this app: the post_save signal of `Case` is the hook. It
covers the submission (the status leaves draft), a resubmission, a correction (`correct_case`
saves the case), an imported result and an edit in the admin. Saves that touch neither the
text nor the status (ranks, tiers, contact details) enqueue nothing; a returned case being
revised is indexed again when it is resubmitted, not at each autosave.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save

from case_text.search import tasks  # imported at start-up: a worker knows the task by name
from case_text.search.parts import TEXT_FIELDS
from reform_cases.models import Case, CaseStatus

WATCHED_FIELDS = frozenset((*TEXT_FIELDS, "status"))
NOT_INDEXED_WHILE = (CaseStatus.DRAFT, CaseStatus.RETURNED)
# The broker is asked once, briefly: a save does not wait on a broker that is down.
BROKER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}

logger = logging.getLogger(__name__)


def enqueue_index_case(case_id: int) -> None:
    """Hand the case to a worker; never raises (the change is committed and was reported as
    done). A case missed here is indexed by the next `rebuild_search_index`."""
    try:
        tasks.index_case.apply_async((case_id,), retry=True, retry_policy=BROKER_RETRY)
    except Exception:
        logger.warning("Could not index case %s for search now", case_id, exc_info=True)


def _case_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.status in NOT_INDEXED_WHILE:
        return  # fixtures (raw) are indexed by rebuild_search_index
    if update_fields is not None and not WATCHED_FIELDS.intersection(update_fields):
        return
    case_id = instance.pk
    transaction.on_commit(lambda: enqueue_index_case(case_id))


def connect():
    post_save.connect(_case_saved, sender=Case, dispatch_uid="case-text-search-index")
