from django import forms
from django.utils.translation import gettext_lazy as _

from case_text.models import ResemblanceVerdict


class VerdictForm(forms.Form):
    """The office's word on a pair: a repeated submission or not, and why."""

    verdict = forms.ChoiceField(
        label=_("核实结果"),
        choices=[
            (v, label) for v, label in ResemblanceVerdict.choices if v != ResemblanceVerdict.PENDING
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("认定不是重复申报时必须说明理由。"),
    )
