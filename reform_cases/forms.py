from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _


class ResultsImportForm(forms.Form):
    file = forms.FileField(
        label=_("结果文件"),
        help_text=_("CSV(UTF-8)或 XLSX,列为 year,tier,title,units,region,field,evidence。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.add_input(Submit("preview", _("预览变更")))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise forms.ValidationError(_("只支持 CSV 或 XLSX 文件。"))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("文件过大(上限 5 MB)。"))
        return upload
