"""Form pieces every app uses: the date-time picker, the crispy helper, a reason field."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _


class ShanghaiDateTimeInput(forms.DateTimeInput):
    """A native date-time picker; values are in Asia/Shanghai (the site's time zone)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def form_helper(*buttons, form_tag: bool = True, method: str = "post") -> FormHelper:
    """A crispy helper with submit buttons, each a label (named "save") or a (name, label) pair."""
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.form_method = method
    for button in buttons:
        name, label = button if isinstance(button, tuple) else ("save", button)
        helper.add_input(Submit(name, label))
    return helper


class ReasonForm(forms.Form):
    """A written reason: returning a case, reopening a review, answering a change."""

    reason = forms.CharField(
        label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
