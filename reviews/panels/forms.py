from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from common.forms import ModelMultipleChoiceField, form_helper, relation_formfield
from reviews.models import ExpertProfile, Panel


def taken_panel_name(name) -> str:
    return _("本次评选已有名为“%(name)s”的评审组,请换一个名称。") % {"name": name}


class ExpertChoiceField(ModelMultipleChoiceField):
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
        formfield_callback = relation_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = User.objects.filter(role=Role.EXPERT, is_active=True)
        self.helper = form_helper(_("保存"))

    def clean_name(self):
        # The campaign is not a field of the form, so Django leaves its unique constraint to
        # the database; a second click on "save" would otherwise end in an IntegrityError.
        name = self.cleaned_data["name"]
        taken = Panel.objects.filter(campaign_id=self.instance.campaign_id, name=name).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(taken_panel_name(name), code="unique")
        return name

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
            "CSV(UTF-8)或 XLSX,列为 name,email,phone,affiliation,city,institution,inside,fields,max_cases,"
            "keywords(可选);fields 用分号分隔;inside 填 是/否;keywords 为专长关键词。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(_("预览"))
        self.helper.form_enctype = "multipart/form-data"


class ExpertProfileForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = [
            "affiliation",
            "institution",
            "inside_province",
            "fields",
            "expertise_keywords",
            "max_cases_per_round",
        ]
        widgets = {
            "expertise_keywords": forms.Textarea(attrs={"rows": 2}),
            "fields": forms.CheckboxSelectMultiple,
            # One organisation among some 120: a type-to-search box (static/js/forms.js).
            "affiliation": forms.Select(attrs={"data-searchable": "1"}),
        }
        formfield_callback = relation_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(_("保存"))
