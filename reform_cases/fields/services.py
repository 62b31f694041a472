"""Creating, changing and deleting fields of reform (申报领域).

One transaction each, the acting administrator as `by`, the row locked before it is checked,
and every change chained in the audit chain (audit_records.FieldRecord: before → after, the
reason) in the same transaction. Refusals are `ValidationError`s keyed by form field
(`InvalidTransition` when the field's use forbids the step), never an IntegrityError.

The public results show a case's field by name (and by English name on the English pages),
read live: the Chinese name of a field named in a result on notice or published is refused
here, with the way to do it — a new field and a correction of each case, recorded and listed
publicly (publication/services.correct_case). Its English name changes only with a reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from audit import chain
from common.exceptions import InvalidTransition
from common.lists import join_list
from common.references import references
from reform_cases.audit_records import FieldRecord
from reform_cases.fields import rules
from reform_cases.models import Field
from reform_cases.publication.public_names import field_public_campaigns

EDITABLE = ("name", "name_en", "order")


def state_of(field: Field) -> dict:
    return {"name": field.name, "name_en": field.name_en, "order": field.order}


def _record(kind: FieldRecord, pk: int, *, by, before, after, reason="") -> None:
    chain.append(
        kind=kind.value,
        obj=Field(pk=pk),
        content={"by": by.pk, "before": before, "after": after, "reason": reason},
    )


def _require_office(by) -> None:
    if not rules.can_edit_fields.test(by):
        raise PermissionDenied


def _check_name(name: str, *, exclude_pk=None) -> None:
    same = Field.objects.filter(name=name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError({"name": _("已有同名领域“%(name)s”。") % {"name": name}})


def _save_checked(field: Field) -> None:
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            field.save()
    except IntegrityError:  # the same name saved meanwhile by another request
        _check_name(field.name, exclude_pk=field.pk)
        raise


@transaction.atomic
def create_field(*, by, name: str, name_en: str = "", order: int = 0) -> Field:
    _require_office(by)
    name, name_en = name.strip(), name_en.strip()
    _check_name(name)
    field = Field(name=name, name_en=name_en, order=order)
    field.full_clean(validate_unique=False)
    _save_checked(field)
    _record(FieldRecord.CREATED, field.pk, by=by, before=None, after=state_of(field))
    return field


@transaction.atomic
def update_field(
    *, field: Field, by, name: str, name_en: str, order: int, reason: str = ""
) -> Field:
    """Change a field's names or place in the list; returns it unchanged when nothing differs."""
    _require_office(by)
    field = Field.objects.select_for_update().get(pk=field.pk)
    before = state_of(field)
    wanted = {"name": name.strip(), "name_en": name_en.strip(), "order": order}
    changed = [k for k in EDITABLE if wanted[k] != before[k]]
    if not changed:
        return field
    reason = reason.strip()
    campaigns = field_public_campaigns(field)
    if campaigns and "name" in changed:
        raise InvalidTransition(
            _(
                "该领域出现在已公示或已发布的评选结果中(%(campaigns)s),修改名称会改变已发布的"
                "页面。如确需改正,请新建领域,再在各案例页面通过“更正”改正领域:更正须填写理由,"
                "并公开记录。"
            )
            % {"campaigns": join_list(campaigns)}
        )
    if campaigns and "name_en" in changed and not reason:
        raise ValidationError(
            {"reason": _("该领域出现在已公示或已发布的评选结果中,修改英文名称须填写理由。")}
        )
    _check_name(wanted["name"], exclude_pk=field.pk)
    field.name, field.name_en, field.order = wanted["name"], wanted["name_en"], order
    field.full_clean(validate_unique=False)
    _save_checked(field)
    _record(
        FieldRecord.CHANGED, field.pk, by=by, before=before, after=state_of(field), reason=reason
    )
    return field


def refusal_to_delete(field: Field) -> str:
    """Why the field cannot be deleted, naming what refers to it; "" when it can be."""
    found = references(field)
    if not found:
        return ""
    return _("仍有数据引用该领域(%(what)s),不能删除。") % {"what": join_list(str(r) for r in found)}


@transaction.atomic
def delete_field(*, field: Field, by, reason: str = "") -> None:
    """Delete a field nothing refers to (no case, expert profile or panel)."""
    _require_office(by)
    # Locked first: a row inserted meanwhile that refers to it waits (PostgreSQL's FOR KEY
    # SHARE), so the check cannot miss it and no panel or expert loses the field silently.
    field = Field.objects.select_for_update().filter(pk=field.pk).first()
    if field is None:
        raise InvalidTransition(_("该领域已不存在(可能已被删除)。"))
    refusal = refusal_to_delete(field)
    if refusal:
        raise InvalidTransition(refusal)
    before, pk = state_of(field), field.pk
    try:
        with transaction.atomic():
            field.delete()
    except (ProtectedError, RestrictedError):
        raise InvalidTransition(_("仍有数据引用该领域,不能删除。")) from None
    _record(FieldRecord.DELETED, pk, by=by, before=before, after=None, reason=reason.strip())
