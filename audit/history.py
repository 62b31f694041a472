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


@dataclass(frozen=True)
class HistoryRow:
    """One change as a history page shows it."""

    at: datetime
    what: str
    actor: object  # the user who made it, None when unknown or gone
    changes: list[str]
    reason: str


def _changes(before: dict | None, after: dict | None, labels: dict, shown) -> list[str]:
    """ "label:value" of each attribute on a creation or deletion; "label:old → new" of each
    that differs on a change."""
    if before is None or after is None:
        state = after or before or {}
        return [f"{labels[k]}:{shown(k, state)}" for k in labels]
    return [
        f"{labels[k]}:{shown(k, before)} → {shown(k, after)}"
        for k in labels
        if before.get(k) != after.get(k)
    ]


def history_of(obj: models.Model, *, record_kinds, attributes, shown) -> list[HistoryRow]:
    """The records of `record_kinds` (a TextChoices) about `obj`, newest first, as rows: each
    record's content holds `by` (a user's id), `before`/`after` (states by attribute) and
    `reason`; `shown(attribute, state)` is how an attribute's value reads."""
    from django.contrib.auth import get_user_model

    model = type(obj)
    labels = {k: str(model._meta.get_field(k).verbose_name) for k in attributes}
    entries = records_about(model, obj.pk, kinds=record_kinds.values)
    actors = get_user_model().objects.in_bulk({e.content.get("by") for e in entries} - {None})
    return [
        HistoryRow(
            at=e.at,
            what=str(record_kinds(e.kind).label),
            actor=actors.get(e.content.get("by")),
            changes=_changes(e.content.get("before"), e.content.get("after"), labels, shown),
            reason=e.content.get("reason") or "",
        )
        for e in entries
    ]
