from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import ShanghaiDateTimeField


class NoticeForm(forms.Form):
    ends_at = ShanghaiDateTimeField(label=_("公示截止"))
