"""Reads of the office's unit pages: the list with its counts, the parents to filter by, the
history of one unit. Each a fixed number of queries, whatever the number of units."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.audit_records import OrganisationRecord
from accounts.models import Organisation, OrganisationKind, User
from audit.history import records_about
from common.references import count_of

TOP_LEVEL = "top"  # the parent filter's value for units without a parent


def organisations_for_listing(
    *, query: str = "", kind: str = "", parent: str = ""
) -> QuerySet[Organisation]:
    """Units by name, each with how many accounts, cases and co-implemented cases name it.

    `parent` is a unit's id (its direct children), TOP_LEVEL, or "" (all). The case counts go
    through the reverse relations that reform_cases' Case declares (`cases`,
    `co_implemented_cases`): counted by relation name, so accounts imports nothing of it."""
    qs = Organisation.objects.select_related("parent").annotate(
        accounts_count=count_of(Organisation, "members"),
        cases_count=count_of(Organisation, "cases"),
        co_cases_count=count_of(Organisation, "co_implemented_cases"),
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(name_en__icontains=query))
    if kind in OrganisationKind.values:
        qs = qs.filter(kind=kind)
    if parent == TOP_LEVEL:
        qs = qs.filter(parent__isnull=True)
    elif parent.isdigit() and len(parent) <= 9:
        qs = qs.filter(parent_id=int(parent))
    # Top-level units first on every database (PostgreSQL puts NULLs last by default).
    return qs.order_by(F("parent__name").asc(nulls_first=True), "name", "pk")


def parents_for_filter() -> QuerySet[Organisation]:
    """Units that have units under them (the province, the cities)."""
    return (
        Organisation.objects.filter(pk__in=Organisation.objects.values("parent_id"))
        .only("name")
        .order_by("name")
    )


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    what: str
    actor: User | None
    changes: list[str]
    reason: str


def _shown(key: str, state: dict) -> str:
    if key == "kind":
        return str(OrganisationKind(state["kind"]).label) if state.get("kind") else "—"
    if key == "parent":
        return state.get("parent_name") or _("(无,顶级单位)")
    return state.get(key) or "—"


def _changes(before: dict | None, after: dict | None) -> list[str]:
    labels = {
        k: str(Organisation._meta.get_field(k).verbose_name)
        for k in ("name", "name_en", "kind", "parent")
    }
    if before is None or after is None:
        state = after or before or {}
        return [f"{labels[k]}:{_shown(k, state)}" for k in labels]
    return [
        f"{labels[k]}:{_shown(k, before)} → {_shown(k, after)}"
        for k in labels
        if before.get(k) != after.get(k)
    ]


def organisation_history(organisation: Organisation) -> list[HistoryRow]:
    """What the office's pages did to the unit, newest first (from the audit chain)."""
    entries = records_about(Organisation, organisation.pk, kinds=OrganisationRecord.values)
    actors = User.objects.in_bulk({e.content.get("by") for e in entries} - {None})
    return [
        HistoryRow(
            at=e.at,
            what=str(OrganisationRecord(e.kind).label),
            actor=actors.get(e.content.get("by")),
            changes=_changes(e.content.get("before"), e.content.get("after")),
            reason=e.content.get("reason") or "",
        )
        for e in entries
    ]
