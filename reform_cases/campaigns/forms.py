from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import ShanghaiDateTimeField, ShanghaiDateTimeInput
from reform_cases.filetypes import check_upload
from reform_cases.models import AttachmentKind, Campaign, CampaignStatus, Tier


class CampaignForm(forms.ModelForm):
    required_attachment_kinds = forms.MultipleChoiceField(
        label=_("必交附件"),
        choices=AttachmentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Campaign
        fields = [
            "year",
            "title",
            "title_en",
            "submission_opens_at",
            "submission_closes_at",
            "max_cases_per_organisation",
            "required_attachment_kinds",
            "organiser_name",
            "description",
            "call_for_entries",
        ]
        field_classes = {
            "submission_opens_at": ShanghaiDateTimeField,
            "submission_closes_at": ShanghaiDateTimeField,
        }
        widgets = {
            "submission_opens_at": ShanghaiDateTimeInput(),
            "submission_closes_at": ShanghaiDateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "call_for_entries": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "submission_opens_at": _("北京时间。"),
            "submission_closes_at": _("北京时间。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("请填写 2000 到 2100 之间的年份。"))
        # The unique-year constraint is conditional on is_demo, which the form leaves out,
        # so Django would not check it here.
        clash = Campaign.objects.filter(year=year, is_demo=False).exclude(pk=self.instance.pk)
        if not self.instance.is_demo and clash.exists():
            raise forms.ValidationError(_("%(year)d 年度已有评选活动。") % {"year": year})
        return year

    def clean(self):
        data = super().clean()
        opens, closes = data.get("submission_opens_at"), data.get("submission_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("submission_closes_at", _("申报截止时间必须晚于开始时间。"))
        return data


class OrganiserNameForm(forms.Form):
    """The organiser's name alone, open in every status (services.set_organiser_name)."""

    organiser_name = forms.CharField(
        label=_("主办单位"),
        required=False,
        strip=False,
        help_text=_("印在获奖证书落款处,如“浙江省改革办”。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organiser_name"]
        field.widget.attrs["maxlength"] = Campaign._meta.get_field("organiser_name").max_length
        # The service checks what was typed (NUL, length, blank) and says why in one set of
        # messages; Django's own NUL check would answer first with another.
        field.validators = []


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["order", "code", "name", "name_en", "quota"]
        widgets = {"order": forms.NumberInput(attrs={"min": 1, "style": "max-width:6rem"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The table's column headings are the only visible labels: name each input too.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", field.label)


class BaseTierFormSet(forms.BaseInlineFormSet):
    def validate_unique(self):
        """clean() below checks order, code and name with messages people understand."""

    def clean(self):
        super().clean()
        errors = self._referenced_tiers_marked_for_deletion()
        seen = {"order": set(), "code": set(), "name": set()}
        live = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            live += 1
            for key, message in (
                ("order", _("顺序不能重复。")),
                ("code", _("代码不能重复。")),
                ("name", _("名称不能重复。")),
            ):
                value = form.cleaned_data.get(key)
                if value in seen[key]:
                    form.add_error(key, message)
                seen[key].add(value)
            if form.cleaned_data.get("quota") == 0:
                form.add_error("quota", _("名额至少为 1。"))
        if live == 0:
            errors.append(forms.ValidationError(_("请至少设置一个奖项等次。")))
        if errors:
            raise forms.ValidationError(errors)

    def _referenced_tiers_marked_for_deletion(self) -> list[forms.ValidationError]:
        """A tier that a case, a ranking entry or a tier override points at cannot be deleted."""
        marked = {
            form.instance.pk: form.initial.get("name") or form.instance.name
            for form in self.initial_forms
            if form.cleaned_data.get("DELETE")
        }
        if not marked:
            return []
        used = Tier.objects.filter(pk__in=marked).referenced().values_list("pk", flat=True)
        return [
            forms.ValidationError(
                _("“%(name)s”已被案例或排名使用,不能删除。"),
                code="tier_referenced",
                params={"name": marked[pk]},
            )
            for pk in sorted(used)
        ]


TierFormSet = forms.inlineformset_factory(
    Campaign, Tier, form=TierForm, formset=BaseTierFormSet, extra=1, can_delete=True
)
# A new campaign is usually given all its tiers at once: three blank rows without JavaScript
# (static/js/forms.js adds more from the formset's empty form with "添加一行").
NEW_CAMPAIGN_TIER_ROWS = 3
NewCampaignTierFormSet = forms.inlineformset_factory(
    Campaign,
    Tier,
    form=TierForm,
    formset=BaseTierFormSet,
    extra=NEW_CAMPAIGN_TIER_ROWS,
    can_delete=True,
)


class StatusChangeForm(forms.Form):
    to = forms.ChoiceField(choices=CampaignStatus.choices, widget=forms.HiddenInput)
    confirm = forms.BooleanField(label=_("我确认提前结束征集"), required=False)
    note = forms.CharField(label=_("说明"), max_length=1000, required=False)


class CampaignFileForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=120, required=False)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、DOCX 或 XLSX,不超过 20 MB。"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("文件过大(上限 20 MB)。"))
        try:
            self.kind = check_upload(upload, allowed=("pdf", "docx", "xlsx"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload
