"""What refers to a row: every reverse relation, including hidden ones and many-to-many links.

A row that something refers to is kept (PROTECT raises ProtectedError on delete), and a
many-to-many link would be removed silently with it: the office pages delete only a row that
nothing refers to, and say what does otherwise. Found through the model's own relations, so
no app is imported and a relation added later is counted too.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


@dataclass(frozen=True)
class Reference:
    label: str  # e.g. "案例(共同实施单位)"
    count: int

    def __str__(self):
        return f"{self.label} {self.count}"


def reverse_relations(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    """Every relation of another row to `model`, those with related_name="+" included."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created
        and not f.concrete
        and (f.one_to_many or f.many_to_many or f.one_to_one)
        # The automatic through rows of a many-to-many field are counted by the field itself.
        and not f.related_model._meta.auto_created
    ]


def _label(relation: models.ForeignObjectRel) -> str:
    model = relation.related_model._meta.verbose_name
    return f"{model}({relation.field.verbose_name})"


def referring_rows(relation: models.ForeignObjectRel, obj: models.Model) -> models.QuerySet:
    # The base manager: a default manager that hides rows (demo data, say) must not hide them here.
    return relation.related_model._base_manager.filter(**{relation.field.name: obj})


def references(obj: models.Model) -> list[Reference]:
    """What refers to `obj`, one entry per relation that has rows; [] when nothing does."""
    found = []
    for relation in reverse_relations(type(obj)):
        n = referring_rows(relation, obj).count()
        if n:
            found.append(Reference(_label(relation), n))
    return found


def count_of(model: type[models.Model], relation_name: str) -> Coalesce:
    """An annotation: how many rows refer to each row of `model` through `relation_name` (the
    relation's query name: its related_name, else the referring model's name, e.g. "case").

    A subquery per relation, so that two counts on one list do not multiply each other's joins.
    """
    relation = model._meta.get_field(relation_name)
    rows = (
        relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        .order_by()
        .values(relation.field.name)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)
