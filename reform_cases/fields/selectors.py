"""Reads of the office's field pages: the list with case counts, one field's history."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from audit.history import records_about
from common.references import count_of
from reform_cases.audit_records import FieldRecord
from reform_cases.models import Field


def fields_for_listing() -> QuerySet[Field]:
    """Every field in the order forms offer them, with how many cases name each."""
    return Field.objects.annotate(cases_count=count_of(Field, "case")).order_by("order", "name")


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    what: str
    actor: User | None
    changes: list[str]
    reason: str


def _changes(before: dict | None, after: dict | None) -> list[str]:
    labels = {k: str(Field._meta.get_field(k).verbose_name) for k in ("name", "name_en", "order")}

    def shown(state, k):
        value = state.get(k)
        return "—" if value in (None, "") else str(value)

    if before is None or after is None:
        state = after or before or {}
        return [f"{labels[k]}:{shown(state, k)}" for k in labels]
    return [
        f"{labels[k]}:{shown(before, k)} → {shown(after, k)}"
        for k in labels
        if before.get(k) != after.get(k)
    ]


def field_history(field: Field) -> list[HistoryRow]:
    """What the office's pages did to the field, newest first (from the audit chain)."""
    entries = records_about(Field, field.pk, kinds=FieldRecord.values)
    actors = User.objects.in_bulk({e.content.get("by") for e in entries} - {None})
    return [
        HistoryRow(
            at=e.at,
            what=str(FieldRecord(e.kind).label),
            actor=actors.get(e.content.get("by")),
            changes=_changes(e.content.get("before"), e.content.get("after")),
            reason=e.content.get("reason") or "",
        )
        for e in entries
    ]
