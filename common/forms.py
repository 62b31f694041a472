"""Form pieces every app uses: the date-time picker and its field, the crispy helper, a reason
field, and the checks for text read from a POST without a Form."""

import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.timefmt import local_datetime


class ShanghaiDateTimeInput(forms.DateTimeInput):
    """A native date-time picker; values are in Asia/Shanghai (the site's time zone)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def validate_sane_datetime(value) -> None:
    """Refuse a date outside 2000–2100: year 1 or 9999 overflows when converted to UTC."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("请填写 %(earliest)d 年到 %(latest)d 年之间的日期。"),
            code="date_out_of_range",
            params={"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
        )


class ShanghaiDateTimeField(forms.DateTimeField):
    """A date-time in Asia/Shanghai, picked natively, between 2000 and 2100."""

    widget = ShanghaiDateTimeInput
    default_validators = [validate_sane_datetime]


# The largest key a row can have: primary keys are 64-bit signed integers. SQLite refuses a
# larger Python int with OverflowError (a 500) instead of finding no row, so a forged choice
# such as 2**63 is refused here as an invalid choice, as any other unknown key is.
MAX_KEY = 2**63 - 1


def _beyond_any_key(value) -> bool:
    try:
        return abs(int(str(value).strip())) > MAX_KEY
    except (TypeError, ValueError):
        return False


class ModelChoiceField(forms.ModelChoiceField):
    """A choice of one row; a key no row can have is an invalid choice, not a 500."""

    def to_python(self, value):
        if value not in self.empty_values and _beyond_any_key(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of rows; a key no row can have is an invalid choice, not a 500."""

    def _check_values(self, value):
        for key in value:
            if _beyond_any_key(key):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": key},
                )
        return super()._check_values(value)


def relation_formfield(db_field, **kwargs):
    """`Meta.formfield_callback` of model forms: relations chosen with the two fields above."""
    if isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
    elif isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", ModelChoiceField)
    return db_field.formfield(**kwargs)


def text_problems(value: str, *, label, max_length: int) -> list[str]:
    """What is wrong with a typed text, each message naming the field; [] when nothing."""
    problems = []
    if "\x00" in value:
        problems.append(_("%(label)s:含有不允许的空字符(NUL),请删除后重试。") % {"label": label})
    if len(value) > max_length:
        problems.append(
            _("%(label)s:不能超过 %(limit)d 个字,现在有 %(n)d 个。")
            % {"label": label, "limit": max_length, "n": len(value)}
        )
    return problems


def posted_text(data, name: str, *, label, max_length: int) -> str:
    """The stripped text `name` of a POST, or ValidationError naming the field.

    For views that read a text straight from request.POST: too long or holding NUL is refused,
    never cut or passed on to the database."""
    value = str(data.get(name, "")).strip()
    problems = text_problems(value, label=label, max_length=max_length)
    if problems:
        raise ValidationError(problems)
    return value


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


def _shown(field, value) -> str:
    if value in (None, "", [], ()):
        return "—"
    if isinstance(field, forms.ModelMultipleChoiceField):
        objects = value if hasattr(value, "__iter__") else [value]
        return "、".join(sorted(str(o) for o in objects)) or "—"
    if isinstance(field, forms.ModelChoiceField) and not hasattr(value, "_meta"):
        value = field.queryset.filter(pk=value).first() or value
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return local_datetime(value)
    return str(value)


def describe_changes(form) -> str:
    """ "label: before → after" for each field a valid bound form changed; "" when none.

    What services record as the "what" of a change (the why is asked for separately)."""
    parts = []
    for name in form.changed_data:
        field = form.fields[name]
        before = form.initial.get(name, field.initial)
        after = form.cleaned_data.get(name)
        if _shown(field, before) != _shown(field, after):
            parts.append(f"{field.label}:{_shown(field, before)} → {_shown(field, after)}")
    return ";".join(parts)


def describe_formset(formset, name_field: str = "name") -> str:
    """Rows added, changed and deleted in a valid bound model formset, one phrase each."""
    parts = []
    for form in formset.forms:
        if not form.has_changed():
            continue
        name = form.cleaned_data.get(name_field) or form.initial.get(name_field) or "—"
        if formset.can_delete and formset._should_delete_form(form):
            if form.instance.pk:
                parts.append(_("删除“%(name)s”") % {"name": form.initial.get(name_field, name)})
        elif not form.instance.pk:
            parts.append(_("新增“%(name)s”") % {"name": name})
        else:
            changes = describe_changes(form)
            if changes:
                parts.append(f"“{form.initial.get(name_field, name)}”:{changes}")
    return ";".join(parts)


NUL_MESSAGE = _("含有不允许的空字符(NUL),请删除后重试。")


def clear_nul_message(form) -> None:
    """Django's own message for a NUL in a text field reads, in Chinese, as if an empty string
    were refused: each text field of `form` says what is wrong instead."""
    for field in form.fields.values():
        field.validators = [
            ProhibitNullCharactersValidator(message=NUL_MESSAGE)
            if isinstance(v, ProhibitNullCharactersValidator)
            else v
            for v in field.validators
        ]


def validate_single_line(value: str) -> None:
    """A name is one line of visible text: no line break, tab or other control or format
    character (a right-to-left override would make a list read in another order)."""
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ValidationError(_("不能包含换行、制表符或其他控制字符。"), code="control_character")
