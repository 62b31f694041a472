from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import ShanghaiDateTimeField, form_helper
from reform_cases.models import ObjectionStatus
from reform_cases.publication.services import NOTICE_DAYS, notice_end


class ResultsImportForm(forms.Form):
    file = forms.FileField(
        label=_("结果文件"),
        help_text=_("CSV(UTF-8)或 XLSX,列为 year,tier,title,units,region,field,evidence。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(("preview", _("预览变更")))
        self.helper.form_enctype = "multipart/form-data"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("只支持 CSV 或 XLSX 文件。"))
        if upload.size > settings.IMPORT_MAX_BYTES:  # the limit common.tabular applies too
            raise forms.ValidationError(_("文件过大(上限 5 MB)。"))
        return upload


class ObjectionForm(forms.Form):
    MAX_FILE_BYTES = 10 * 1024 * 1024

    case = forms.TypedChoiceField(label=_("涉及案例"), coerce=int, required=False, empty_value=None)
    name = forms.CharField(label=_("姓名或单位"), max_length=100)
    contact = forms.CharField(
        label=_("联系方式"), max_length=100, help_text=_("电话或邮箱,便于答复。")
    )
    text = forms.CharField(
        label=_("异议内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
    )
    file = forms.FileField(
        label=_("附件(可选)"), required=False, help_text=_("PDF、JPG 或 PNG,不超过 10 MB。")
    )

    def __init__(self, *args, cases=(), file_too_large=False, **kwargs):
        """`file_too_large`: the view refused the file while reading the request (too large)."""
        super().__init__(*args, **kwargs)
        self.file_too_large = file_too_large
        self.fields["case"].choices = [("", _("(整体名单)"))] + [(c.pk, c.title) for c in cases]

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) < 10:
            raise forms.ValidationError(_("请具体说明异议的事实和理由(至少 10 个字)。"))
        return text

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.file_too_large or (upload and upload.size > self.MAX_FILE_BYTES):
            raise forms.ValidationError(_("文件过大(上限 10 MB)。"))
        return upload


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处理结果"),
        choices=[(ObjectionStatus.UPHELD, _("成立")), (ObjectionStatus.DISMISSED, _("不成立"))],
    )
    answer = forms.CharField(
        label=_("书面答复"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    tier = forms.CharField(required=False)


class CorrectionForm(forms.Form):
    tier = forms.CharField(label=_("等次"), required=False)
    title = forms.CharField(label=_("案例名称"), max_length=200)
    summary = forms.CharField(
        label=_("案例简介"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(
        label=_("更正理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticePeriodForm(forms.Form):
    """The notice period: a number of calendar days (ending at 17:00 Beijing time on the last
    day) or an end time; an end time typed wins. `cleaned_data["ends_at"]` is the end."""

    days = forms.IntegerField(
        label=_("公示天数"),
        min_value=1,
        max_value=60,
        required=False,
        initial=NOTICE_DAYS,
        help_text=_("按自然日计算,今天为第一天,最后一天北京时间 17:00 结束。"),
    )
    ends_at = ShanghaiDateTimeField(
        label=_("或公示截止时间"), required=False, help_text=_("填写后以此为准(北京时间)。")
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("ends_at") is None:
            if not data.get("days"):
                raise forms.ValidationError(_("请填写公示天数或公示截止时间。"))
            data["ends_at"] = notice_end(days=data["days"])
        if data["ends_at"] <= timezone.now():
            self.add_error(
                "ends_at" if self.data.get("ends_at") else "days",
                _("公示截止时间必须晚于现在。"),
            )
        return data


class NoticeChangeForm(forms.Form):
    """A running notice's new end, with the reason shown on the public page."""

    ends_at = ShanghaiDateTimeField(label=_("新的公示截止时间"))
    reason = forms.CharField(
        label=_("调整理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
        help_text=_("将在结果页公开。"),
    )


class PublishForm(forms.Form):
    """发布评选结果: the announcement date shown with the results (today by default)."""

    announced_on = forms.DateField(
        label=_("揭晓日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("显示在结果页、首页和开放数据中。"),
    )

    def clean_announced_on(self):
        value = self.cleaned_data["announced_on"]
        if not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("请填写有效的日期。"))
        return value
