"""/manage/watermarks/: the office looks up the code printed on a leaked copy."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.permissions import administrator_required
from reviews.documents.selectors import copy_by_code


class CodeForm(forms.Form):
    code = forms.CharField(label=_("水印编号"), max_length=40, strip=True)


@administrator_required
@require_GET
def watermark_lookup(request):
    form = CodeForm(request.GET or None)
    traced, searched = None, False
    if form.is_bound and form.is_valid():
        searched = True
        traced = copy_by_code(form.cleaned_data["code"])
    return render(
        request,
        "office/watermark_lookup.html",
        {"form": form, "traced": traced, "searched": searched},
    )
