"""Reads of the office's field pages: the list with case counts, one field's history."""

from django.db.models import QuerySet

from audit.history import HistoryRow, history_of
from common.references import count_of
from reform_cases.audit_records import FieldRecord
from reform_cases.models import Field


def fields_for_listing() -> QuerySet[Field]:
    """Every field in the order forms offer them, with how many cases name each."""
    return Field.objects.annotate(cases_count=count_of(Field, "case")).order_by("order", "name")


def _shown(key: str, state: dict) -> str:
    value = state.get(key)
    return "—" if value in (None, "") else str(value)


def field_history(field: Field) -> list[HistoryRow]:
    """What the office's pages did to the field, newest first (from the audit chain)."""
    return history_of(
        field, record_kinds=FieldRecord, attributes=("name", "name_en", "order"), shown=_shown
    )
