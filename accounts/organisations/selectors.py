"""Reads of the office's unit pages: the list with its counts, the parents to filter by, the
history of one unit. Each a fixed number of queries, whatever the number of units."""

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.audit_records import OrganisationRecord
from accounts.models import Organisation, OrganisationKind
from audit.history import HistoryRow, history_of
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


def _shown(key: str, state: dict) -> str:
    if key == "kind":
        return str(OrganisationKind(state["kind"]).label) if state.get("kind") else "—"
    if key == "parent":
        return state.get("parent_name") or _("(无,顶级单位)")
    return state.get(key) or "—"


def organisation_history(organisation: Organisation) -> list[HistoryRow]:
    """What the office's pages did to the unit, newest first (from the audit chain)."""
    return history_of(
        organisation,
        record_kinds=OrganisationRecord,
        attributes=("name", "name_en", "kind", "parent"),
        shown=_shown,
    )
