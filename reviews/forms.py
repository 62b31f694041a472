from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from reform_cases.forms import ShanghaiDateTimeInput
from reform_cases.models import Campaign

from .models import Criterion, ExpertProfile, Panel, ReviewRound


def _helper(label=None, form_tag=True):
    helper = FormHelper()
    helper.form_tag = form_tag
    if label:
        helper.add_input(Submit("save", label))
    return helper


class ExpertChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        profile = getattr(obj, "expert_profile", None)
        where = profile.affiliation_label if profile else ""
        return f"{obj} · {where}" if where else str(obj)


class PanelForm(forms.ModelForm):
    members = ExpertChoiceField(
        label=_("成员"),
        queryset=User.objects.filter(role=Role.EXPERT, is_active=True).select_related(
            "expert_profile__affiliation"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-searchable": "1", "size": 10}),
    )

    class Meta:
        model = Panel
        fields = ["name", "fields", "members", "chair"]
        widgets = {"fields": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = User.objects.filter(role=Role.EXPERT, is_active=True)
        self.helper = _helper(_("保存"))

    def clean(self):
        data = super().clean()
        chair, members = data.get("chair"), data.get("members")
        if chair and members is not None and chair not in members:
            self.add_error("chair", _("组长必须是评审组成员。"))
        return data


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["order", "name", "description", "max_score", "weight"]


CriterionFormSet = forms.inlineformset_factory(
    Campaign,
    Criterion,
    form=CriterionForm,
    extra=1,
    can_delete=True,
)


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
        widgets = {
            "opens_at": ShanghaiDateTimeInput(),
            "closes_at": ShanghaiDateTimeInput(),
            "panels": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "opens_at": _("北京时间。"),
            "closes_at": _("北京时间。"),
            "panels": _("不选则所有专家均可分配。"),
        }

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign or self.instance.campaign
        self.fields["panels"].queryset = Panel.objects.filter(campaign=self.campaign)
        self.helper = _helper(_("保存"))

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


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExpertImportForm(forms.Form):
    file = forms.FileField(
        label=_("专家名单"),
        help_text=_(
            "CSV(UTF-8)或 XLSX,列为 name,email,phone,affiliation,city,institution,inside,fields,max_cases;"
            "fields 用分号分隔;inside 填 是/否。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("预览"))
        self.helper.form_enctype = "multipart/form-data"


class ExpertProfileForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = ["affiliation", "institution", "inside_province", "fields", "max_cases_per_round"]
        widgets = {"fields": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("保存"))


class NoticeForm(forms.Form):
    ends_at = forms.DateTimeField(label=_("公示截止"), widget=ShanghaiDateTimeInput())
