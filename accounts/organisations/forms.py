from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import OrganisationChoiceField
from accounts.models import Organisation, OrganisationKind
from common.forms import clear_nul_message, form_helper, validate_single_line


def descendant_ids(organisation: Organisation) -> set[int]:
    """The unit and every unit under it, from one query of the whole (small) tree."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Organisation.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [organisation.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo += children.get(pk, [])
    return found


class OrganisationForm(forms.Form):
    """A unit's names, kind and parent; the reason is asked when the unit is in public results."""

    name = forms.CharField(label=_("名称"), validators=[validate_single_line], max_length=120)
    name_en = forms.CharField(
        label=_("英文名称"), validators=[validate_single_line], max_length=200, required=False
    )
    kind = forms.ChoiceField(label=_("类型"), choices=OrganisationKind.choices)
    parent = OrganisationChoiceField(
        label=_("上级单位"), required=False, empty_label=_("(无,顶级单位)")
    )
    reason = forms.CharField(
        label=_("修改理由"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("单位出现在已公示或已发布的评选结果中时必填;记录在案。"),
    )

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        if organisation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": organisation.name,
                    "name_en": organisation.name_en,
                    "kind": organisation.kind,
                    "parent": organisation.parent_id,
                },
            )
        super().__init__(*args, **kwargs)
        if organisation is None:
            del self.fields["reason"]
            self.helper = form_helper(("save", _("新建单位")))
        else:
            # Neither the unit itself nor one under it may become its parent (no cycles);
            # the service refuses a forged one as well.
            parent = self.fields["parent"]
            parent.queryset = parent.queryset.exclude(pk__in=descendant_ids(organisation))
            self.helper = form_helper(("save", _("保存修改")))
        clear_nul_message(self)
