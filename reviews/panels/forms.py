from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from common.forms import form_helper
from reviews.models import ExpertProfile, Panel


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
        self.helper = form_helper(_("保存"))

    def clean(self):
        data = super().clean()
        chair, members = data.get("chair"), data.get("members")
        if chair and members is not None and chair not in members:
            self.add_error("chair", _("组长必须是评审组成员。"))
        return data


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
        self.helper = form_helper(_("预览"))
        self.helper.form_enctype = "multipart/form-data"


class ExpertProfileForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = ["affiliation", "institution", "inside_province", "fields", "max_cases_per_round"]
        widgets = {"fields": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(_("保存"))
