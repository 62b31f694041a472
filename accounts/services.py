from dataclasses import dataclass

from django.db import transaction

from .models import Organisation, OrganisationKind

PROVINCE_NAME = "浙江省"


@dataclass(frozen=True)
class UnitPlan:
    """Where a named unit lives, whether or not it exists yet."""

    name: str
    kind: str
    parent: Organisation | None
    existing: Organisation | None

    @property
    def is_new(self):
        return self.existing is None

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent else self.name


def find_region(name: str) -> Organisation | None:
    """A region is the province itself or one of its prefecture-level cities."""
    name = (name or "").strip()
    if not name:
        return None
    return Organisation.objects.filter(
        name=name, parent__isnull=True, kind__in=[OrganisationKind.PROVINCE, OrganisationKind.CITY]
    ).first()


def plan_unit(name: str, region: Organisation | None) -> UnitPlan:
    """Decide which organisation a unit name in the published lists means.

    A name is matched within the region's city first (county-level units are
    written by their short name), then among top-level units (cities and
    provincial departments). An unknown name becomes a unit under the city,
    or a top-level unit for province-level cases: never a second unit of the
    same name under the same city.
    """
    name = name.strip()
    city = region if region is not None and region.kind == OrganisationKind.CITY else None
    if city is not None:
        found = Organisation.objects.filter(name=name, parent=city).first()
        if found:
            return UnitPlan(name, found.kind, city, found)
    top = Organisation.objects.filter(name=name, parent__isnull=True).first()
    if top:
        return UnitPlan(name, top.kind, None, top)
    kind = OrganisationKind.DEPARTMENT if name.startswith("省") else OrganisationKind.OTHER
    return UnitPlan(name, kind, city, None)


@transaction.atomic
def ensure_unit(plan: UnitPlan) -> Organisation:
    if plan.existing is not None:
        return plan.existing
    organisation, _created = Organisation.objects.get_or_create(
        name=plan.name, parent=plan.parent, defaults={"kind": plan.kind}
    )
    return organisation
