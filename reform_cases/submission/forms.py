"""Forms of the locality's case pages and of the formal check."""

import re
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.forms import (
    ModelMultipleChoiceField,
    ShanghaiDateTimeInput,
    relation_formfield,
)
from reform_cases.models import CASE_SECTIONS, AttachmentKind, Case, FormalCheckAction
from reform_cases.submission.services import MAX_CO_ORGANISATIONS

MOBILE = re.compile(r"^1[3-9]\d{9}$")


LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


SECTION_LIMIT = 5000


SUMMARY_LIMIT = 500


def normalise_phone(text: str) -> str:
    return re.sub(r"[\s()()]", "", text or "").removeprefix("+86").removeprefix("86-")


class OrganisationMultipleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class CaseForm(forms.ModelForm):
    co_organisations = OrganisationMultipleChoiceField(
        label=_("共同实施单位"),
        queryset=Organisation.objects.select_related("parent").order_by("parent__name", "name"),
        required=False,
        help_text=_("可多选,最多 10 个;在上方输入框中键入名称筛选。"),
        widget=forms.SelectMultiple(attrs={"data-searchable": "1", "size": 8}),
    )

    class Meta:
        model = Case
        formfield_callback = relation_formfield
        fields = [
            "title",
            "field",
            "co_organisations",
            *CASE_SECTIONS,
            "contact_name",
            "contact_phone",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Drafts may be incomplete: completeness is checked when submitting.
        for field in self.fields.values():
            field.required = False
        self.fields["title"].widget.attrs["maxlength"] = 200
        self.fields["summary"].widget = forms.Textarea(
            attrs={"rows": 4, "maxlength": SUMMARY_LIMIT}
        )
        self.fields["summary"].max_length = SUMMARY_LIMIT
        for name in ("background", "measures", "results", "innovation", "replicability"):
            self.fields[name].widget = forms.Textarea(attrs={"rows": 8, "maxlength": SECTION_LIMIT})
        self.fields["contact_phone"].help_text = _("手机号或座机(如 0571-87654321)。")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(_("基本信息"), "title", "field", "co_organisations"),
            Fieldset(_("案例内容"), *CASE_SECTIONS),
            Fieldset(
                _("联系人"),
                "contact_name",
                "contact_phone",
                HTML('{% include "_privacy_note.html" %}'),
            ),
        )

    def _clean_text(self, name, limit):
        value = (self.cleaned_data.get(name) or "").replace("\r\n", "\n")
        if len(value) > limit:
            raise forms.ValidationError(
                _("最多 %(limit)d 字,当前 %(n)d 字。") % {"limit": limit, "n": len(value)}
            )
        return value

    def clean_summary(self):
        return self._clean_text("summary", SUMMARY_LIMIT)

    def clean_background(self):
        return self._clean_text("background", SECTION_LIMIT)

    def clean_measures(self):
        return self._clean_text("measures", SECTION_LIMIT)

    def clean_results(self):
        return self._clean_text("results", SECTION_LIMIT)

    def clean_innovation(self):
        return self._clean_text("innovation", SECTION_LIMIT)

    def clean_replicability(self):
        return self._clean_text("replicability", SECTION_LIMIT)

    def clean_contact_phone(self):
        phone = normalise_phone(self.cleaned_data.get("contact_phone", ""))
        if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            raise forms.ValidationError(
                _("请填写有效的大陆手机号(11 位)或座机号码(如 0571-87654321)。")
            )
        return phone

    def clean_co_organisations(self):
        chosen = self.cleaned_data.get("co_organisations")
        if chosen is not None and len(chosen) > MAX_CO_ORGANISATIONS:
            raise forms.ValidationError(
                _("共同实施单位最多 %(limit)d 个,当前选择了 %(n)d 个。")
                % {"limit": MAX_CO_ORGANISATIONS, "n": len(chosen)}
            )
        return chosen

    def hidden_errors(self) -> list[str]:
        """Errors of the hidden fields (the page shows them above the form)."""
        hidden = ("edit_version", "form_token", "take_stored")
        return [e for name in hidden for e in self.errors.get(name, [])]

    def draft_data(self) -> dict:
        hidden = ("co_organisations", "form_token", "edit_version", "take_stored")
        return {k: v for k, v in self.cleaned_data.items() if k not in hidden}


class NewCaseForm(CaseForm):
    """The new-case form, with a one-time token: posting it twice creates one draft."""

    form_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("页面已过期,请再点一次“保存草稿”。"),
            "invalid": _("页面已过期,请再点一次“保存草稿”。"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_token"].required = True
        if not self.is_bound:
            self.initial["form_token"] = uuid.uuid4()

    def renew_token(self):
        """After a refused token: the page shown again carries a fresh one."""
        self.data = self.data.copy()
        self.data["form_token"] = str(uuid.uuid4())


INVALID_VERSION = _("页面的版本信息无效,您的修改尚未保存。请对照下方已保存的版本,确认后再保存。")


class EditCaseForm(CaseForm):
    """The draft's form, carrying the version of the draft it was drawn from."""

    edit_version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": INVALID_VERSION,
            "invalid": INVALID_VERSION,
            "min_value": INVALID_VERSION,
        },
    )
    # On the page shown after a refused save: the sections to take from the stored version.
    take_stored = forms.MultipleChoiceField(
        choices=[(name, name) for name in CaseForm.Meta.fields],
        required=False,
        widget=forms.MultipleHiddenInput,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edit_version"].required = True
        if not self.is_bound and self.instance.pk:
            self.initial["edit_version"] = self.instance.edit_version

    def show_version(self, version: int):
        """The page shown again carries `version`: saving it again means 'keep what I typed'."""
        self.data = self.data.copy()
        self.data["edit_version"] = str(version)
        self.data.pop("take_stored", None)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("附件类型"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("PDF、DOCX、XLSX、JPG 或 PNG,单个不超过 20 MB,每个案例最多 10 个。"),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    revise_by = forms.DateTimeField(
        label=_("重新提交截止"),
        required=False,
        widget=ShanghaiDateTimeInput(),
        help_text=_("北京时间;留空表示不限。"),
    )


class FormalCheckBulkForm(forms.Form):
    """One formal-check decision for several submitted cases of a campaign."""

    action = forms.ChoiceField(label=_("操作"), choices=FormalCheckAction.choices)
    cases = ModelMultipleChoiceField(queryset=Case.objects.none(), widget=forms.MultipleHiddenInput)
    reason = forms.CharField(label=_("理由"), max_length=2000, required=False)
    revise_by = forms.DateTimeField(
        label=_("重新提交截止"), required=False, widget=ShanghaiDateTimeInput()
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None:
            self.fields["cases"].queryset = Case.objects.filter(campaign=campaign)

    def clean(self):
        data = super().clean()
        if (
            data.get("action") in (FormalCheckAction.RETURN, FormalCheckAction.INELIGIBLE)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("退回或不予受理必须填写理由。"))
        return data
