"""The shared form pieces: the date-time field's sane range, the checks of posted text."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import translation

from common.forms import (
    ModelChoiceField,
    ModelMultipleChoiceField,
    ShanghaiDateTimeField,
    posted_text,
    relation_formfield,
)
from reform_cases.models import Field
from reviews.models import Panel
from tests.factories import FieldFactory


@pytest.fixture(autouse=True)
def chinese():
    """Messages are checked in Chinese, the default, whatever an earlier test activated."""
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "1999-12-31T23:59", "9999-12-31T23:59"])
def test_date_outside_2000_to_2100_is_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as exc:
        ShanghaiDateTimeField().clean(typed)
    assert exc.value.messages == ["请填写 2000 年到 2100 年之间的日期。"]


@pytest.mark.parametrize("typed", ["2000-01-01T00:00", "2031-03-01T09:00", "2100-12-31T23:59"])
def test_date_inside_the_range_is_kept(typed):
    assert ShanghaiDateTimeField().clean(typed).year == int(typed[:4])


def test_posted_text_refuses_nul_and_over_long_text_naming_the_field():
    assert posted_text(QueryDict("note=+ok+"), "note", label="说明", max_length=5) == "ok"
    with pytest.raises(ValidationError) as exc:
        posted_text(QueryDict("note=a%00b"), "note", label="说明", max_length=5)
    assert exc.value.messages == ["说明:含有不允许的空字符(NUL),请删除后重试。"]
    with pytest.raises(ValidationError) as exc:
        posted_text(QueryDict("note=abcdef"), "note", label="说明", max_length=5)
    assert exc.value.messages == ["说明:不能超过 5 个字,现在有 6 个。"]


# --- relations chosen by key -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [str(2**63), str(-(2**63) - 1), "99999999999999999999999"])
def test_a_key_no_row_can_have_is_an_invalid_choice_not_a_server_error(typed):
    # SQLite raises OverflowError for such a key; the field refuses it before any query.
    single = ModelChoiceField(queryset=Field.objects.all())
    several = ModelMultipleChoiceField(queryset=Field.objects.all())

    with pytest.raises(ValidationError) as exc:
        single.clean(typed)
    assert exc.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as exc:
        several.clean([typed])
    assert exc.value.code == "invalid_choice"


@pytest.mark.django_db
def test_keys_in_range_are_chosen_as_before():
    fields = FieldFactory.create_batch(2)

    assert ModelChoiceField(queryset=Field.objects.all()).clean(str(fields[0].pk)) == fields[0]
    chosen = ModelMultipleChoiceField(queryset=Field.objects.all()).clean(
        [str(f.pk) for f in fields]
    )
    assert set(chosen) == set(fields)
    with pytest.raises(ValidationError):
        ModelChoiceField(queryset=Field.objects.all()).clean("-1")


def test_model_forms_get_the_checked_fields_for_their_relations():
    class PanelForm(forms.ModelForm):
        class Meta:
            model = Panel
            fields = ["name", "chair", "fields"]
            formfield_callback = relation_formfield

    form = PanelForm()
    assert type(form.fields["chair"]) is ModelChoiceField
    assert type(form.fields["fields"]) is ModelMultipleChoiceField
