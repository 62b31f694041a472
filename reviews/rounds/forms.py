from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import (
    ShanghaiDateTimeField,
    ShanghaiDateTimeInput,
    form_helper,
    relation_formfield,
)
from reform_cases.models import Campaign
from reviews.models import Criterion, Panel, ReviewRound


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["order", "name", "description", "max_score", "weight"]


class RoundForm(forms.ModelForm):
    class Meta:
        model = ReviewRound
        fields = [
            "name",
            "order",
            "panels",
            "reviewers_per_case",
            "opens_at",
            "closes_at",
            "visibility",
            "blind",
            "reminder_days",
        ]
        field_classes = {"opens_at": ShanghaiDateTimeField, "closes_at": ShanghaiDateTimeField}
        widgets = {
            "opens_at": ShanghaiDateTimeInput(),
            "closes_at": ShanghaiDateTimeInput(),
            "panels": forms.CheckboxSelectMultiple,
        }
        formfield_callback = relation_formfield
        help_texts = {
            "opens_at": _("北京时间。"),
            "closes_at": _("北京时间。"),
            "panels": _("不选则所有专家均可分配。"),
        }

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign or self.instance.campaign
        self.fields["panels"].queryset = Panel.objects.filter(campaign=self.campaign)
        self.helper = form_helper(_("保存"))

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("截止时间必须晚于开始时间。"))
        order = data.get("order")
        if order is not None:
            clash = ReviewRound.objects.filter(campaign=self.campaign, order=order).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                self.add_error("order", _("该顺序已被其他轮次使用。"))
        return data


class BaseCriterionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """A criterion's name is unique in its campaign, rows outside the formset included.

        The campaign is the formset's parent, which Django leaves out of each row's unique
        check; without this a new row named like an existing one ended in an IntegrityError."""
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if not (self.can_delete and self._should_delete_form(f))]
        edited = [f.instance.pk for f in self.initial_forms if f.instance.pk]
        taken = set(
            Criterion.objects.filter(campaign=self.instance)
            .exclude(pk__in=edited)
            .values_list("name", flat=True)
        )
        for form in kept:
            name = form.cleaned_data.get("name")
            if name in taken:
                form.add_error("name", taken_criterion_name(name))
            taken.add(name)  # two new rows of the same name


def taken_criterion_name(name) -> str:
    return _("已有名为“%(name)s”的评分指标,请换一个名称。") % {"name": name}


CriterionFormSet = forms.inlineformset_factory(
    Campaign,
    Criterion,
    form=CriterionForm,
    formset=BaseCriterionFormSet,
    extra=1,
    can_delete=True,
)
