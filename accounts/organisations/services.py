"""Creating, changing and deleting units (单位) from the office's pages.

Each function runs in one transaction, takes the acting administrator as `by`, locks the
unit's row before checking it, and chains what it did in the audit chain
(accounts/audit_records.OrganisationRecord: before → after and the reason), in that same
transaction. Refusals are `ValidationError`s keyed by form field (`InvalidTransition` when
the unit's state forbids the step), never an IntegrityError or ProtectedError.

Published results are not changed quietly: what the public pages show of a unit named in a
result on notice or published (its name; for a region also its kind and parent, which place
it in the results' region filter) is refused here, with the way to do it — a correction of
each case, recorded and listed publicly (reform_cases/publication/services.correct_case).
Any other change to such a unit needs a written reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from accounts.audit_records import OrganisationRecord
from accounts.models import Organisation, OrganisationKind
from accounts.organisations import rules
from accounts.organisations.public_use import public_use
from audit import chain
from common.exceptions import InvalidTransition
from common.lists import join_list
from common.references import references

EDITABLE = ("name", "name_en", "kind", "parent")


def state_of(organisation: Organisation) -> dict:
    """What the chain keeps of a unit (the parent by id and, for reading, by name)."""
    parent = organisation.parent
    return {
        "name": organisation.name,
        "name_en": organisation.name_en,
        "kind": organisation.kind,
        "parent": organisation.parent_id,
        "parent_name": parent.name if parent else None,
    }


def _record(kind: OrganisationRecord, organisation, *, by, before, after, reason="") -> None:
    chain.append(
        kind=kind.value,
        obj=Organisation(pk=organisation.pk),
        content={"by": by.pk, "before": before, "after": after, "reason": reason},
    )


def _require_office(by) -> None:
    if not rules.can_edit_organisations.test(by):
        raise PermissionDenied


def _check_name(name: str, parent: Organisation | None, *, exclude_pk=None) -> None:
    same = Organisation.objects.filter(name=name, parent=parent)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        if parent is None:
            message = _("已有同名的顶级单位“%(name)s”。") % {"name": name}
        else:
            message = _("“%(parent)s”下已有同名单位“%(name)s”。") % {
                "parent": parent.name,
                "name": name,
            }
        raise ValidationError({"name": message})


def _check_parent(organisation: Organisation | None, parent: Organisation | None) -> None:
    """A parent is neither the unit itself nor one of its descendants: no cycles."""
    if parent is None or organisation is None or organisation.pk is None:
        return
    if parent.pk == organisation.pk:
        raise ValidationError({"parent": _("上级单位不能是自身。")})
    # Up from the chosen parent (a few levels: province, city, county); `seen` stops a loop
    # already in the data from running forever.
    node, seen = parent, set()
    while node is not None and node.pk not in seen:
        if node.pk == organisation.pk:
            raise ValidationError({"parent": _("上级单位不能是本单位的下级单位。")})
        seen.add(node.pk)
        node = Organisation.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def _locked_parent(parent: Organisation | None) -> Organisation | None:
    """The chosen parent, locked so that it cannot be deleted before this unit refers to it."""
    if parent is None:
        return None
    locked = Organisation.objects.select_for_update().filter(pk=parent.pk).first()
    if locked is None:
        raise ValidationError({"parent": _("所选的上级单位已不存在,请重新选择。")})
    return locked


def _save_checked(organisation: Organisation) -> None:
    """Save; a name taken meanwhile by another request is the same field error as before."""
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            organisation.save()
    except IntegrityError:
        _check_name(organisation.name, organisation.parent, exclude_pk=organisation.pk)
        raise


@transaction.atomic
def create_organisation(
    *, by, name: str, kind: str, name_en: str = "", parent: Organisation | None = None
) -> Organisation:
    """A new unit; its name is unique within its parent (or among top-level units)."""
    _require_office(by)
    if kind not in OrganisationKind.values:
        raise ValidationError({"kind": _("请选择单位类型。")})
    parent = _locked_parent(parent)
    name, name_en = name.strip(), name_en.strip()
    _check_name(name, parent)
    organisation = Organisation(name=name, name_en=name_en, kind=kind, parent=parent)
    organisation.full_clean(validate_unique=False, validate_constraints=False)
    _save_checked(organisation)
    _record(
        OrganisationRecord.CREATED,
        organisation,
        by=by,
        before=None,
        after=state_of(organisation),
    )
    return organisation


def locked_attributes(organisation: Organisation) -> tuple[frozenset[str], tuple[str, ...]]:
    """The attributes public results show (refused here) and the campaigns that show them."""
    use = public_use(organisation)
    return use.attributes, use.campaigns


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    by,
    name: str,
    name_en: str,
    kind: str,
    parent: Organisation | None,
    reason: str = "",
) -> Organisation:
    """Change a unit's names, kind or parent; returns it unchanged when nothing differs."""
    _require_office(by)
    organisation = (
        Organisation.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=organisation.pk)
    )
    if kind not in OrganisationKind.values:
        raise ValidationError({"kind": _("请选择单位类型。")})
    before = state_of(organisation)
    wanted = {
        "name": name.strip(),
        "name_en": name_en.strip(),
        "kind": kind,
        "parent": parent.pk if parent else None,
    }
    changed = [k for k in EDITABLE if wanted[k] != before[k]]
    if not changed:
        return organisation
    reason = reason.strip()
    attributes, campaigns = locked_attributes(organisation)
    refused = [k for k in changed if k in attributes]
    if refused:
        labels = join_list(str(Organisation._meta.get_field(k).verbose_name) for k in refused)
        raise InvalidTransition(
            _(
                "该单位出现在已公示或已发布的评选结果中(%(campaigns)s),"
                "修改%(fields)s会改变已发布的页面。如确需改正,请新建单位,"
                "再在各案例页面通过“更正”改正申报单位或地区:更正须填写理由,并公开记录。"
            )
            % {"campaigns": join_list(campaigns), "fields": labels}
        )
    if campaigns and not reason:
        raise ValidationError(
            {"reason": _("该单位出现在已公示或已发布的评选结果中,修改须填写理由。")}
        )
    parent = _locked_parent(parent)
    _check_parent(organisation, parent)
    organisation.name, organisation.name_en, organisation.kind = (
        wanted["name"],
        wanted["name_en"],
        kind,
    )
    organisation.parent = parent
    _check_name(organisation.name, parent, exclude_pk=organisation.pk)
    organisation.full_clean(validate_unique=False, validate_constraints=False)
    _save_checked(organisation)
    _record(
        OrganisationRecord.CHANGED,
        organisation,
        by=by,
        before=before,
        after=state_of(organisation),
        reason=reason,
    )
    return organisation


def refusal_to_delete(organisation: Organisation) -> str:
    """Why the unit cannot be deleted, naming what refers to it; "" when it can be."""
    found = references(organisation)
    if not found:
        return ""
    return _("仍有数据引用该单位(%(what)s),不能删除。") % {"what": join_list(str(r) for r in found)}


@transaction.atomic
def delete_organisation(*, organisation: Organisation, by, reason: str = "") -> None:
    """Delete a unit nothing refers to; otherwise refused, saying what does."""
    _require_office(by)
    # The row is locked first: on PostgreSQL a row inserted meanwhile that refers to the unit
    # (an account, a case, a co-implementing link) waits for this lock (FOR KEY SHARE), so the
    # check below cannot miss it, and no many-to-many link is removed silently with the unit.
    organisation = (
        Organisation.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(pk=organisation.pk)
        .first()
    )
    if organisation is None:
        raise InvalidTransition(_("该单位已不存在(可能已被删除)。"))
    refusal = refusal_to_delete(organisation)
    if refusal:
        raise InvalidTransition(refusal)
    before = state_of(organisation)
    pk = organisation.pk
    try:
        with transaction.atomic():
            organisation.delete()
    except (ProtectedError, RestrictedError):
        raise InvalidTransition(_("仍有数据引用该单位,不能删除。")) from None
    _record(
        OrganisationRecord.DELETED,
        Organisation(pk=pk),
        by=by,
        before=before,
        after=None,
        reason=reason.strip(),
    )
