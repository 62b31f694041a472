"""The chained records about one object, for a page that shows its history.

For facts an app chains with `chain.append` rather than in a table of its own (a row whose
history must not keep it from being deleted: a unit, a field of reform).
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import models

from audit.chain import label
from audit.models import AuditRecord


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    at: datetime
    content: dict


def records_about(model: type[models.Model], pk, *, kinds, limit: int = 50) -> list[Entry]:
    """The latest `limit` records of `kinds` about the row `pk` of `model`, newest first."""
    records = AuditRecord.objects.filter(
        object_type=label(model), object_id=str(pk), kind__in=list(kinds)
    ).order_by("-seq")[:limit]
    return [Entry(r.seq, r.kind, r.recorded_at, json.loads(r.content)) for r in records]
