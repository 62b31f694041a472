from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import clear_nul_message, form_helper, validate_single_line
from reform_cases.models import Field

# PositiveSmallIntegerField: 0 … 32767 on every database.
MAX_ORDER = 32767


class FieldForm(forms.Form):
    """A field's names and place in the list; the reason is asked when it is in public results."""

    name = forms.CharField(label=_("名称"), validators=[validate_single_line], max_length=60)
    name_en = forms.CharField(
        label=_("英文名称"), validators=[validate_single_line], max_length=120, required=False
    )
    order = forms.IntegerField(
        label=_("顺序"),
        min_value=0,
        max_value=MAX_ORDER,
        initial=0,
        help_text=_("数字小的排在前面;申报表和结果筛选按此顺序列出领域。"),
    )
    reason = forms.CharField(
        label=_("修改理由"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("领域出现在已公示或已发布的评选结果中时,修改英文名称必填;记录在案。"),
    )

    def __init__(self, *args, field: Field | None = None, **kwargs):
        if field is not None:
            kwargs.setdefault(
                "initial", {"name": field.name, "name_en": field.name_en, "order": field.order}
            )
        super().__init__(*args, **kwargs)
        if field is None:
            del self.fields["reason"]
            self.helper = form_helper(("save", _("新建领域")))
        else:
            self.helper = form_helper(("save", _("保存修改")))
        clear_nul_message(self)
