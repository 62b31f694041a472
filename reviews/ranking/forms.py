from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import ShanghaiDateTimeInput


class NoticeForm(forms.Form):
    ends_at = forms.DateTimeField(label=_("公示截止"), widget=ShanghaiDateTimeInput())
