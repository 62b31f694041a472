"""/manage/personal-data/: what the platform holds about one person, as a JSON file.

Looking up is a POST too, so that the e-mail address or phone number stays out of URLs,
browser history and access logs: a POST shows how many rows of each kind were found, and one
with `download` sends them and records the export
(accounts.services.record_personal_data_export)."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import PersonalDataQueryForm
from accounts.permissions import administrator_required
from accounts.personal_data import category_labels, export
from accounts.services import record_personal_data_export


@administrator_required
@require_http_methods(["GET", "POST"])
def personal_data(request):
    form = PersonalDataQueryForm(request.POST or None)
    summary = None
    if form.is_bound and form.is_valid():
        person = form.cleaned_data["person"]
        data = export(person)
        counts = {category: len(data[category]) for category in category_labels()}
        if not any(counts.values()):
            messages.info(request, _("没有找到与此电子邮箱、电话号码或用户名相关的个人信息。"))
        elif "download" in request.POST:
            record_personal_data_export(person=person, counts=counts, by=request.user)
            return _download(data)
        else:
            labels = category_labels()
            summary = [(labels[category], n) for category, n in counts.items()]
    return render(
        request,
        "office/personal_data.html",
        {"form": form, "summary": summary, "page_title": _("个人信息查询与导出")},
    )


def _download(data: dict) -> HttpResponse:
    # No personal data in the file name: it shows in download lists and logs.
    name = f"personal-data-{timezone.localtime():%Y%m%d-%H%M%S}.json"
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
