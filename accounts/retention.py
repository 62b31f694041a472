"""Log-in records are kept for the retention period (`PERSONAL_DATA_RETENTION_DAYS`), then deleted.

django-axes writes one row per log-in (`AccessLog`: user name, address, browser) and one per
run of failures (`AccessAttempt`, `AccessFailureLog`). Throttling needs the failures of the
last `AXES_COOLOFF_HOURS` only, and who logged in from where is needed to look into an
incident, not forever. The rows are deleted in chunks, so memory stays bounded whatever
their number; a second run finds nothing older than the cut-off and deletes nothing.
"""

from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog

CHUNK = 1000
LOGIN_RECORD_MODELS = (AccessLog, AccessAttempt, AccessFailureLog)


def erase_old_login_records(*, cutoff: datetime) -> int:
    """Delete log-in records made before `cutoff`; how many were deleted."""
    deleted = 0
    for model in LOGIN_RECORD_MODELS:
        old = model.objects.filter(attempt_time__lt=cutoff)
        while pks := list(old.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
            deleted += model.objects.filter(pk__in=pks).delete()[1].get(model._meta.label, 0)
    return deleted
